"""Quality floors of the rule coder on the hand-labelled gold and held-out sets (bench/quality.py).

Floors sit a few points below the F1 measured when they were set (see bench/quality.py),
so a change that makes coding worse fails here. Raise them when quality improves.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold"

# turn-level F1 floors per (language, family); measured figures are in the final report.
# measured (codebook 1.2.0): en trigger .789 stakeholder .897 motive .784 barrier .795 alternative .828
# stage .826; sv .791 .870 .800 .829 .632 .815; de .857 .909 .833 .769 .833 .778. Floors: en -0.04;
# sv/de -0.07 (64 and 44 turns: one turn moves a family's F1 by several points).
FLOORS: dict[str, dict[str, float]] = {
    "en": {"trigger": 0.75, "stakeholder": 0.85, "motive": 0.74, "barrier": 0.75, "alternative": 0.78,
           "stage": 0.78},
    "sv": {"trigger": 0.72, "stakeholder": 0.80, "motive": 0.73, "barrier": 0.75, "alternative": 0.56,
           "stage": 0.74},
    "de": {"trigger": 0.78, "stakeholder": 0.83, "motive": 0.76, "barrier": 0.70, "alternative": 0.76,
           "stage": 0.70},
}
CODE_MICRO_FLOOR = {"en": 0.74, "sv": 0.70, "de": 0.74}  # measured .783 / .770 / .812
POLARITY_FLOOR = 0.30  # measured 23/68 = .34 (codebook 1.2.0; the code is found for 33 of the 68)
ROLE_FLOOR = 0.70  # measured 56/72 = .78 (codebook 1.2.0)


def _quality():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "bench" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table():
    paths = sorted(GOLD.glob("*.jsonl"))
    if not (GOLD / "COMPLETE").exists() or not paths:
        pytest.skip("gold set not complete")
    return _quality().evaluate(paths)


@pytest.mark.parametrize("lang", sorted(FLOORS))
def test_turn_level_f1_floors_per_family(table, lang):
    turn = table[(table["scope"] == "turn") & (table["lang"] == lang)].set_index("family")["f1"]
    below = {fam: round(turn[fam], 3) for fam, floor in FLOORS[lang].items() if turn[fam] < floor}
    assert not below, f"{lang}: F1 below floor: {below} (floors {FLOORS[lang]})"


def test_code_level_micro_f1_floors(table):
    code = table[table["scope"] == "code"].set_index("lang")["f1"]
    below = {lang: round(code[lang], 3) for lang, floor in CODE_MICRO_FLOOR.items() if code[lang] < floor}
    assert not below, f"code-level micro F1 below floor: {below}"


def test_polarity_accuracy_floor(table):
    a = table.attrs
    assert a["polarity_total"] > 0
    assert a["polarity_correct"] / a["polarity_total"] >= POLARITY_FLOOR


def test_buying_role_accuracy_floor(table):
    a = table.attrs
    assert a["role_total"] > 0
    assert a["role_correct"] / a["role_total"] >= ROLE_FLOOR, f"{a['role_correct']}/{a['role_total']}"


def test_evaluate_counts_a_turn_once_per_family(tmp_path):
    gold = tmp_path / "en.jsonl"
    gold.write_text(
        '{"id": "t1", "lang": "en", "text": "Our CFO and the finance director agreed.", '
        '"labels": [{"family": "stakeholder", "code": "finance", "polarity": "present", "evidence": "CFO"}]}\n'
        '{"id": "t2", "lang": "en", "text": "Nice weather today.", "labels": []}\n',
        encoding="utf-8")
    t = _quality().evaluate([gold])
    row = t[(t["scope"] == "turn") & (t["lang"] == "en") & (t["family"] == "stakeholder")].iloc[0]
    assert (row.tp, row.fp, row.fn) == (1, 0, 0)
    assert row.f1 == 1.0


# Held-out set (never tuned on): floors a few points below codebook 1.3.0's turn-level F1 over
# all languages (trigger .639 stakeholder .756 motive .529 barrier .500 alternative .410 stage
# .598; code micro .462), so a change that helps gold but hurts new text fails here too.
HELDOUT = ROOT / "tests" / "data" / "heldout"
HELDOUT_FLOORS = {"trigger": 0.58, "stakeholder": 0.70, "motive": 0.47, "barrier": 0.44, "alternative": 0.35,
                  "stage": 0.54}
HELDOUT_CODE_MICRO_FLOOR = 0.42


@pytest.fixture(scope="module")
def heldout_table():
    paths = sorted(HELDOUT.glob("*.jsonl"))
    if not (HELDOUT / "COMPLETE").exists() or not paths:
        pytest.skip("held-out set not complete")
    return _quality().evaluate(paths)


def test_heldout_floors(heldout_table):
    t = heldout_table
    turn = t[(t["scope"] == "turn") & (t["lang"] == "all")].set_index("family")["f1"]
    below = {fam: round(turn[fam], 3) for fam, floor in HELDOUT_FLOORS.items() if turn[fam] < floor}
    assert not below, f"held-out F1 below floor: {below}"
    micro = t[(t["scope"] == "code") & (t["lang"] == "all")]["f1"].iloc[0]
    assert micro >= HELDOUT_CODE_MICRO_FLOOR, micro
