"""The codebook: default content, validation errors, extends, pattern syntax, CLI actions."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from buyerlab.cli import main as cli_main
from buyerlab.codebook import (
    BUYING_ROLES,
    Codebook,
    PatternSyntaxError,
    PatternToken,
    load_codebook,
    parse_pattern,
)
from buyerlab.commands.codebook import check_command, export_command, show_command
from buyerlab.errors import BuyerlabError, CodebookError

FIXTURES = Path(__file__).parent / "fixtures" / "codebooks"

# The code ids of docs/ARCHITECTURE.md, family by family, in order.
ARCHITECTURE_IDS = {
    "trigger": ["pain_with_current", "growth", "incident", "regulation", "merger", "new_leadership",
                "contract_end", "cost_pressure", "recommendation", "competitor_move"],
    "stakeholder": ["management", "finance", "it", "security", "legal_compliance", "procurement", "operations",
                    "end_users", "board", "consultants", "clients", "colleagues", "vendor"],
    "motive": ["cost_roi", "time_efficiency", "risk_reduction", "compliance", "integration", "ease_of_use",
               "support_service", "scalability", "vendor_trust", "quality_accuracy", "strategic_fit", "innovation"],
    "barrier": ["price", "change_risk", "switching_cost", "trust", "security_privacy", "politics",
                "lack_resources", "technical_fit", "lock_in"],
    "alternative": ["status_quo", "do_nothing", "in_house", "competitor", "other_option"],
    "stage": ["problem_identification", "solution_exploration", "requirements_building", "supplier_selection",
              "validation", "consensus_creation", "purchase", "onboarding"],
}


@pytest.fixture(scope="module")
def default() -> Codebook:
    return load_codebook()


# --------------------------------------------------------------------------- default codebook

def test_default_has_the_six_families_in_order(default):
    assert [f.id for f in default.families] == list(ARCHITECTURE_IDS)
    assert [f.id for f in default.families if f.ordered] == ["stage"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", default.version)
    assert default.languages == ["en", "sv", "de"]


def test_default_has_exactly_the_architecture_code_ids(default):
    for family, ids in ARCHITECTURE_IDS.items():
        assert [c.id for c in default.family_codes(family)] == ids, family
    assert len(default.codes) == sum(len(v) for v in ARCHITECTURE_IDS.values())


def test_every_default_code_is_documented_in_three_languages(default):
    for c in default.codes:
        assert c.label and len(c.description.split()) >= 8, c.id
        for lang in ("en", "sv", "de"):
            assert len(c.examples.get(lang, [])) >= 2, (c.id, lang)
            assert len(c.patterns.get(lang, [])) >= 15, (c.id, lang)


def test_default_patterns_are_unique_within_code_and_language(default):
    for c in default.codes:
        for lang, pats in c.patterns.items():
            lowered = [p.lower() for p in pats if isinstance(p, str)]
            assert len(lowered) == len(set(lowered)), (c.id, lang)


def test_default_buying_roles_cover_all_seven_roles(default):
    assert set(default.buying_roles) == set(BUYING_ROLES)
    for role, cues in default.buying_roles.items():
        assert set(cues) == {"en", "sv", "de"}, role
    assert "final say" in default.buying_roles["decider"]["en"]
    assert "sista ordet" in default.buying_roles["decider"]["sv"]
    assert "das letzte Wort" in default.buying_roles["decider"]["de"]


def test_barrier_price_does_not_fire_on_the_bare_topic_word(default):
    # "price" alone is a topic, not a barrier; the barrier needs "too expensive" and the like.
    for lang, word in (("en", "price"), ("sv", "pris"), ("de", "preis")):
        assert word not in [p.lower() for p in default.code("price").patterns[lang]]
    assert "too expensive" in default.code("price").patterns["en"]


def test_code_lookup_and_family_codes(default):
    assert default.code("lock_in").family == "barrier"
    with pytest.raises(KeyError):
        default.code("no_such_code")
    assert default.family_codes("nope") == []


def test_fingerprint_is_stable_and_tracks_content():
    a, b = load_codebook(), load_codebook()
    assert a.fingerprint() == b.fingerprint()
    assert len(a.fingerprint()) == 64
    b.codes[0].patterns["en"].append("brand new pattern")
    assert a.fingerprint() != b.fingerprint()


def test_fingerprint_hashes_the_canonical_json_of_to_dict(default):
    """The fast path hashes exactly what to_dict() says the content is (cache keys stay put)."""
    import hashlib
    import json

    blob = json.dumps(default.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert default.fingerprint() == hashlib.sha256(blob.encode("utf-8")).hexdigest()


def test_to_frame_one_row_per_code(default):
    frame = default.to_frame()
    assert list(frame["code"]) == [c.id for c in default.codes]
    assert {"family", "code", "label", "description", "examples_sv", "patterns_de"} <= set(frame.columns)
    row = frame.set_index("code").loc["price"]
    assert row["family"] == "barrier"
    assert "too expensive ; " in row["patterns_en"] or row["patterns_en"].startswith("too expensive")


def test_load_codebook_accepts_the_word_default(default):
    assert load_codebook("default").fingerprint() == default.fingerprint()


# --------------------------------------------------------------------------- other codebooks

def test_minimal_codebook_loads_with_expert_pattern():
    cb = load_codebook(FIXTURES / "minimal.yaml")
    assert cb.languages == ["en", "sv"]
    assert cb.code("expert_code").patterns["en"] == [[{"LOWER": "no"}, {"LOWER": "brainer"}]]
    assert cb.family("stage").ordered is True
    assert cb.code("pilot").examples == {}
    assert cb.buying_roles == {"decider": {"en": ["final say"], "sv": ["sista ordet"]}}


def test_extends_default_adds_and_replaces(default):
    cb = load_codebook(FIXTURES / "extends_default.yaml")
    assert cb.version == "1.0.0-acme.1"
    assert [f.id for f in cb.families] == list(ARCHITECTURE_IDS) + ["channel"]
    # same id replaces, in place
    assert cb.code("price").label == "Price (ACME wording)"
    assert cb.code("price").patterns["de"] == ["zu teuer"]
    assert [c.id for c in cb.family_codes("barrier")] == ARCHITECTURE_IDS["barrier"]
    # new ids are appended
    assert cb.code_ids[-2:] == ["marketplace", "energy_audit"]
    assert cb.code("energy_audit").family == "trigger"
    assert len(cb.codes) == len(default.codes) + 2
    # the rest of the default is untouched
    assert cb.code("lock_in").patterns == default.code("lock_in").patterns
    assert cb.buying_roles["gatekeeper"] == {"en": ["gatekeeper"]}
    assert cb.buying_roles["decider"] == default.buying_roles["decider"]


BAD = [
    ("bad_unknown_family.yaml", ["code 'cheap'", "unknown family 'motives'"]),
    ("bad_duplicate_id.yaml", ["code 'cheap'", "duplicate code id"]),
    ("bad_missing_label.yaml", ["code 'cheap'", "missing 'label'"]),
    ("bad_missing_description.yaml", ["code 'cheap'", "missing 'description'"]),
    ("bad_empty_patterns.yaml", ["code 'cheap'", "'sv'", "empty"]),
    ("bad_unknown_language.yaml", ["code 'cheap'", "unknown language key 'fr'"]),
    ("bad_pattern_empty.yaml", ["code 'cheap'", "pattern 2 (en)", "empty pattern"]),
    ("bad_pattern_gap_only.yaml", ["code 'cheap'", "only '...'"]),
    ("bad_pattern_star.yaml", ["code 'cheap'", "pattern 2 (en)", "'*' needs a word"]),
    ("bad_pattern_pipe.yaml", ["code 'cheap'", "unbalanced '|'"]),
    ("bad_expert_nondict.yaml", ["code 'cheap'", "expert list", "token dicts"]),
    ("bad_no_version.yaml", ["'version' is missing"]),
    ("bad_yaml_syntax.yaml", ["bad_yaml_syntax.yaml:8:", "YAML syntax error"]),
    ("bad_extends_other.yaml", ["extends: 'acme'", "only 'extends: default'"]),
    ("bad_buying_role.yaml", ["buying role 'sponsor'", "unknown buying role"]),
    ("bad_extends_unknown_family.yaml", ["code 'marketplace'", "unknown family 'channel'"]),
]


@pytest.mark.parametrize("name,expected", BAD, ids=[b[0] for b in BAD])
def test_malformed_codebooks_raise_a_one_line_error_naming_file_and_key(name, expected):
    with pytest.raises(CodebookError) as info:
        load_codebook(FIXTURES / name)
    message = str(info.value)
    assert name in message
    assert "\n" not in message
    for part in expected:
        assert part in message, (part, message)


def test_missing_file_is_a_codebook_error(tmp_path):
    with pytest.raises(CodebookError, match="no such codebook file"):
        load_codebook(tmp_path / "nope.yaml")


def test_unknown_keys_are_rejected(tmp_path):
    path = tmp_path / "typo.yaml"
    text = (FIXTURES / "minimal.yaml").read_text(encoding="utf-8").replace("    label: Pilot\n",
                                                                          "    label: Pilot\n    colour: red\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match=r"code 'pilot': unknown key\(s\) \['colour'\]"):
        load_codebook(path)


# --------------------------------------------------------------------------- pattern syntax

def test_parse_pattern_every_form():
    assert parse_pattern("Cost") == [PatternToken("exact", ("cost",))]
    assert parse_pattern("ekonomi*") == [PatternToken("prefix", ("ekonomi",))]
    assert parse_pattern("*chef") == [PatternToken("suffix", ("chef",))]
    assert parse_pattern("*säkerhet*") == [PatternToken("infix", ("säkerhet",))]
    assert parse_pattern("save ... time") == [
        PatternToken("exact", ("save",)), PatternToken("gap"), PatternToken("exact", ("time",))]
    (any_of,) = parse_pattern("CEO|cfo|chef*")
    assert any_of.kind == "any-of"
    assert any_of.values == ("ceo", "cfo", "chef")
    assert [o.kind for o in any_of.options] == ["exact", "exact", "prefix"]


def test_parse_pattern_marks_acronyms_verbatim():
    it, dept = parse_pattern("IT department")
    assert it.verbatim and not dept.verbatim
    assert not parse_pattern("it")[0].verbatim
    assert parse_pattern("NIS2")[0].verbatim
    assert parse_pattern("IT-avdelning*")[0].verbatim is False  # a compound, lemmatise as usual


def test_pattern_token_matches():
    assert parse_pattern("inköp*")[0].matches("Inköpschefen")
    assert parse_pattern("*chef")[0].matches("inköpschef")
    assert not parse_pattern("*chef")[0].matches("chefen")
    assert parse_pattern("*sicherheit*")[0].matches("it-sicherheitsbeauftragter")
    assert parse_pattern("teuer")[0].matches("TEUER")
    assert not parse_pattern("teuer")[0].matches("teurer")
    assert parse_pattern("a|b*")[0].matches("banana")
    assert PatternToken("gap").matches("anything")


@pytest.mark.parametrize("bad,why", [
    ("", "empty"), ("   ", "empty"), ("...", "only '...'"), ("... ...", "two gaps"), ("*", "needs a word"),
    ("**", "single"), ("a|", "unbalanced"), ("|a", "unbalanced"), ("a||b", "unbalanced"),
    ("a*b", "only start or end"), ("!never", "reserved"), ("save ...", "between two words"),
    ("... time", "between two words"), ("save...time", "stand alone"), ("too **expensive", "single"),
])
def test_parse_pattern_rejects_malformed(bad, why):
    with pytest.raises(PatternSyntaxError, match=why.replace("|", r"\|").replace("*", r"\*")
                       .replace(".", r"\.").replace("(", r"\(")):
        parse_pattern(bad)


def test_parse_pattern_rejects_non_strings():
    with pytest.raises(PatternSyntaxError, match="must be a string"):
        parse_pattern(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- commands

def _ns(**kw) -> argparse.Namespace:
    base = {"codebook": None, "study": None, "family": None, "path": None, "out": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_check_command_summarises_default(capsys, default):
    assert check_command(_ns()) == 0
    assert capsys.readouterr().out.strip() == (
        f"ok: 57 codes in 6 families, languages en, sv, de, version {default.version}")


def test_check_command_on_a_file(capsys):
    assert check_command(_ns(path=str(FIXTURES / "minimal.yaml"))) == 0
    assert capsys.readouterr().out.strip() == "ok: 3 codes in 2 families, languages en, sv, version 0.1.0"


def test_check_via_cli_reports_error_and_exits_2(capsys):
    assert cli_main(["codebook", "check", str(FIXTURES / "bad_duplicate_id.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("buyerlab: error: ") and "bad_duplicate_id.yaml" in err and "'cheap'" in err


def test_check_uses_the_study_setting(tmp_path, capsys):
    shutil.copy(FIXTURES / "minimal.yaml", tmp_path / "my_codebook.yaml")
    (tmp_path / "study.toml").write_text('codebook = "my_codebook.yaml"\n', encoding="utf-8")
    assert check_command(_ns(study=str(tmp_path))) == 0
    assert "3 codes in 2 families" in capsys.readouterr().out
    (tmp_path / "study.toml").write_text('codebook = "default"\n', encoding="utf-8")
    assert check_command(_ns(study=str(tmp_path))) == 0
    assert "57 codes" in capsys.readouterr().out


def test_show_command_lists_a_family_in_order(capsys):
    assert show_command(_ns(family="stage")) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"  {cid} ") for cid in ARCHITECTURE_IDS["stage"]]
    assert positions == sorted(positions)
    assert "stage: Decision stage (ordered" in out
    assert "[patterns en " in out and "price" not in out


def test_show_command_unknown_family(capsys):
    with pytest.raises(BuyerlabError, match="no family 'barriers'.*barrier"):
        show_command(_ns(family="barriers"))


def test_show_via_cli_lists_all_families(capsys):
    assert cli_main(["codebook", "show", "--codebook", str(FIXTURES / "minimal.yaml")]) == 0
    out = capsys.readouterr().out
    assert "motive: Motive, 2 codes" in out and "saves_time" in out and "buying roles: decider" in out


def test_export_csv_round_trips_code_ids(tmp_path, default, capsys):
    out = tmp_path / "sub" / "codebook.csv"
    assert export_command(_ns(out=str(out))) == 0
    frame = pd.read_csv(out)
    assert list(frame["code"]) == default.code_ids
    assert list(frame["family"].unique()) == list(ARCHITECTURE_IDS)
    assert frame.set_index("code").loc["price", "patterns_sv"].startswith("för dyr")
    assert "wrote 57 codes" in capsys.readouterr().out


def test_export_xlsx_has_codes_families_and_roles(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "codebook.xlsx"
    assert export_command(_ns(out=str(out), codebook=str(FIXTURES / "extends_default.yaml"))) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["codes", "families", "buying_roles"]
    codes = pd.read_excel(out, sheet_name="codes")
    assert codes["code"].iloc[-1] == "energy_audit"


def test_export_rejects_unknown_suffix(tmp_path):
    with pytest.raises(BuyerlabError, match=r"\.csv or \.xlsx"):
        export_command(_ns(out=str(tmp_path / "codebook.json")))
