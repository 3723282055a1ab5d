"""How well a codebook codes hand-labelled turns: precision, recall and F1 per family and language.

Figures (the same definitions in ``bench/quality.py`` and ``buyerlab codebook evaluate``):

- turn level, per family and language: a family is present in a turn iff a label (hand) or
  a coded row (coder) of that family has polarity ``present``;
- code level, micro-averaged: (turn, code) pairs with polarity ``present``;
- polarity accuracy on the hand labels that are ``negated`` or ``hypothetical``: the share
  for which the coder found the code in that turn with the same polarity;
- buying-role accuracy on hand stakeholder labels that carry a buying_role.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from buyerlab.codebook import Codebook, load_codebook
from buyerlab.coding import code_turns
from buyerlab.labelled import read_labelled


def predict(gold: list[dict], codebook: Codebook | None = None) -> pd.DataFrame:
    """Code every gold turn as a respondent turn in its own language."""
    turns = pd.DataFrame([dict(interview_id=g["id"], turn_index=0, role="respondent", text=g["text"])
                          for g in gold])
    langs = {g["id"]: g["lang"] for g in gold}
    return code_turns(turns, langs, codebook)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _rows(scope: str, lang: str, family: str, gold: set, pred: set) -> dict:
    tp, fp, fn = len(gold & pred), len(pred - gold), len(gold - pred)
    p, r, f = _prf(tp, fp, fn)
    return dict(scope=scope, lang=lang, family=family, tp=tp, fp=fp, fn=fn, precision=p, recall=r, f1=f)


def evaluate(paths: Iterable[Path | str], codebook: Codebook | None = None,
             pred: pd.DataFrame | None = None) -> pd.DataFrame:
    """Precision/recall/F1 per (scope, lang, family) of the coder on labelled turns in JSONL files.

    ``result.attrs``: polarity and buying-role accuracy, number of turns, codebook version.
    """
    codebook = codebook or load_codebook()
    gold = read_labelled(paths)
    pred = predict(gold, codebook) if pred is None else pred  # ``pred``: codes already made for these turns
    families = [f.id for f in codebook.families]
    langs = sorted({g["lang"] for g in gold})
    present = pred[pred["polarity"] == "present"]
    pred_fam = {(r.interview_id, r.family) for r in present.itertuples()}
    pred_code = {(r.interview_id, r.code) for r in present.itertuples()}
    lang_of = {g["id"]: g["lang"] for g in gold}
    gold_fam = {(g["id"], lab["family"]) for g in gold for lab in g["labels"] if lab.get("polarity") == "present"}
    gold_code = {(g["id"], lab["code"]) for g in gold for lab in g["labels"] if lab.get("polarity") == "present"}

    rows = []
    for lang in langs + ["all"]:
        def keep(pairs, lang=lang):
            return {p for p in pairs if lang == "all" or lang_of[p[0]] == lang}

        for fam in families:
            rows.append(_rows("turn", lang, fam, {p for p in keep(gold_fam) if p[1] == fam},
                              {p for p in keep(pred_fam) if p[1] == fam}))
        rows.append(_rows("code", lang, "micro", keep(gold_code), keep(pred_code)))
    table = pd.DataFrame(rows)

    by_turn_code: dict[tuple[str, str], set[str]] = {}
    roles: dict[tuple[str, str], set] = {}
    for r in pred.itertuples():
        by_turn_code.setdefault((r.interview_id, r.code), set()).add(r.polarity)
        roles.setdefault((r.interview_id, r.code), set()).add(r.buying_role)
    pol_total = pol_found = pol_right = 0
    role_total = role_right = 0
    for g in gold:
        for lab in g["labels"]:
            key = (g["id"], lab["code"])
            if lab.get("polarity") in ("negated", "hypothetical"):
                pol_total += 1
                pol_found += key in by_turn_code
                pol_right += lab["polarity"] in by_turn_code.get(key, ())
            if lab.get("buying_role"):
                role_total += 1
                role_right += lab["buying_role"] in roles.get(key, ())
    table.attrs.update(polarity_total=pol_total, polarity_found=pol_found, polarity_correct=pol_right,
                       role_total=role_total, role_correct=role_right, turns=len(gold),
                       codebook_version=codebook.version)
    return table


def format_table(table: pd.DataFrame) -> str:
    """Human-readable report of :func:`evaluate`."""
    lines = []
    turn = table[table["scope"] == "turn"]
    f1 = turn.pivot(index="family", columns="lang", values="f1")
    f1 = f1.reindex(index=list(dict.fromkeys(turn["family"])))
    lines.append("turn-level F1 per family (rows) and language (columns):")
    lines.append(f1.round(3).to_string())
    allrows = turn[turn["lang"] == "all"].set_index("family")[["tp", "fp", "fn", "precision", "recall", "f1"]]
    lines.append("\nturn-level, all languages:")
    lines.append(allrows.round(3).to_string())
    code = table[table["scope"] == "code"].set_index("lang")[["tp", "fp", "fn", "precision", "recall", "f1"]]
    lines.append("\ncode-level micro-average (present):")
    lines.append(code.round(3).to_string())
    a = table.attrs
    if a.get("polarity_total"):
        lines.append(f"\npolarity (negated/hypothetical labels): {a['polarity_correct']}/{a['polarity_total']} "
                     f"correct = {a['polarity_correct'] / a['polarity_total']:.2f} "
                     f"(code found in {a['polarity_found']})")
    if a.get("role_total"):
        lines.append(f"buying role: {a['role_correct']}/{a['role_total']} correct = "
                     f"{a['role_correct'] / a['role_total']:.2f}")
    lines.append(f"({a.get('turns', 0)} labelled turns, codebook {a.get('codebook_version', '?')})")
    return "\n".join(lines)


def per_code(paths: Iterable[Path | str], codebook: Codebook | None = None,
             pred: pd.DataFrame | None = None) -> pd.DataFrame:
    """tp, fp, fn, precision, recall, F1 per code (turn level, ``present``), weakest F1 first."""
    codebook = codebook or load_codebook()
    turns = read_labelled(paths)
    pred = predict(turns, codebook) if pred is None else pred
    present = pred[pred["polarity"] == "present"]
    found = {(r.interview_id, r.code) for r in present.itertuples()}
    hand = {(t["id"], lab["code"]) for t in turns for lab in t["labels"] if lab.get("polarity") == "present"}
    rows = []
    for code in codebook.codes:
        h = {p for p in hand if p[1] == code.id}
        f = {p for p in found if p[1] == code.id}
        if h or f:
            row = _rows("code", "all", code.family, h, f)
            rows.append({"code": code.id, **{k: row[k] for k in ("family", "tp", "fp", "fn", "precision", "recall",
                                                                  "f1")}})
    out = pd.DataFrame(rows, columns=["code", "family", "tp", "fp", "fn", "precision", "recall", "f1"])
    return out.sort_values(["f1", "code"], kind="stable").reset_index(drop=True)
