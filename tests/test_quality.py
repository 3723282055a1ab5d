"""Quality floors of the rule coder on the hand-labelled sets: gold, train, heldout, heldout2 (bench/quality.py).

Floors sit a few points below the F1 measured when they were set (see bench/quality.py),
so a change that makes coding worse fails here. Raise them when quality improves.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold"

# turn-level F1 floors per (language, family) on the gold set; measured (codebook 1.4.0):
# en trigger .867 stakeholder .917 motive .818 barrier .860 alternative .833 stage .847;
# sv .851 .886 .848 .957 .600 .836; de .903 .945 .960 .839 .800 .900. Floors: en -0.04;
# sv/de -0.07 (64 and 44 turns: one turn moves a family's F1 by several points).
FLOORS: dict[str, dict[str, float]] = {
    "en": {"trigger": 0.82, "stakeholder": 0.87, "motive": 0.77, "barrier": 0.82, "alternative": 0.79,
           "stage": 0.80},
    "sv": {"trigger": 0.78, "stakeholder": 0.81, "motive": 0.77, "barrier": 0.88, "alternative": 0.53,
           "stage": 0.76},
    "de": {"trigger": 0.83, "stakeholder": 0.87, "motive": 0.89, "barrier": 0.76, "alternative": 0.73,
           "stage": 0.83},
}
CODE_MICRO_FLOOR = {"en": 0.77, "sv": 0.75, "de": 0.82}  # measured .804 / .804 / .873
POLARITY_FLOOR = 0.33  # measured 26/68 = .38 (codebook 1.4.0; the code is found for 34 of the 68)
ROLE_FLOOR = 0.76  # measured 60/72 = .83 (codebook 1.4.0)


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


# The other labelled sets, all languages together (codebook 1.4.0, measured -> floor):
# - train (440 turns; the 1.4.0 patterns were written from its misses): floors 0.03 below;
# - heldout (150 turns, never tuned on; used once to compare methods) and heldout2 (161 turns,
#   never tuned on or used to choose): floors 0.05 below, so a change that helps the tuning sets
#   but hurts new text fails here too.
SET_FLOORS: dict[str, tuple[dict[str, float], float]] = {
    # measured train: trigger .809 stakeholder .844 motive .775 barrier .860 alternative .686 stage .818; micro .738
    "train": ({"trigger": 0.78, "stakeholder": 0.81, "motive": 0.74, "barrier": 0.83, "alternative": 0.65,
               "stage": 0.79}, 0.70),
    # measured heldout: .676 .742 .551 .493 .526 .619; micro .486
    "heldout": ({"trigger": 0.62, "stakeholder": 0.69, "motive": 0.50, "barrier": 0.44, "alternative": 0.47,
                 "stage": 0.57}, 0.43),
    # measured heldout2: .549 .787 .437 .549 .259 .645; micro .454
    "heldout2": ({"trigger": 0.50, "stakeholder": 0.73, "motive": 0.38, "barrier": 0.49, "alternative": 0.20,
                  "stage": 0.59}, 0.40),
}


@pytest.fixture(scope="module")
def set_tables() -> dict:
    return {}


@pytest.mark.parametrize("name", sorted(SET_FLOORS))
def test_family_and_micro_floors_on_the_other_sets(set_tables, name):
    folder = ROOT / "tests" / "data" / name
    paths = sorted(folder.glob("*.jsonl"))
    if not (folder / "COMPLETE").exists() or not paths:
        pytest.skip(f"{name} set not complete")
    t = set_tables.setdefault(name, _quality().evaluate(paths))
    floors, micro_floor = SET_FLOORS[name]
    turn = t[(t["scope"] == "turn") & (t["lang"] == "all")].set_index("family")["f1"]
    below = {fam: round(turn[fam], 3) for fam, floor in floors.items() if turn[fam] < floor}
    assert not below, f"{name}: F1 below floor: {below}"
    micro = t[(t["scope"] == "code") & (t["lang"] == "all")]["f1"].iloc[0]
    assert micro >= micro_floor, f"{name}: code micro F1 {micro:.3f} < {micro_floor}"
