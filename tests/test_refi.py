"""REFI-QDA export (validated against Project.xsd) and import, with a round trip."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from buyerlab.corpus import Corpus
from buyerlab.errors import InputError
from buyerlab.qda import human_rows, interview_layout, load_human_codes, save_human_codes
from buyerlab.qda.refi import NS, build_project, export_qdc, export_qdpx, guid, import_qdpx
from buyerlab.study import Study

FIX = Path(__file__).parent / "fixtures" / "qda"
XSD = Path(__file__).resolve().parents[1].parent / "shared" / "refi-qda" / "Project.xsd"
KEY = ["interview_id", "turn_index", "char_start", "char_end", "code", "coder", "polarity"]


@pytest.fixture
def study(qda_study) -> Study:
    return qda_study


@pytest.fixture
def codebook(qda_codebook):
    return qda_codebook


def _span(corpus: Corpus, iid: str, tix: int, phrase: str, code: str, family: str) -> dict:
    text = corpus.interview(iid).set_index("turn_index").at[tix, "text"]
    s = text.index(phrase)
    return {"interview_id": iid, "turn_index": tix, "family": family, "code": code, "char_start": s,
            "char_end": s + len(phrase), "evidence": phrase}


def _codes(corpus: Corpus) -> pd.DataFrame:
    alice = human_rows([_span(corpus, "A1", 1, "price was too high", "price", "barrier"),
                        _span(corpus, "A1", 3, "Procurement", "procurement", "stakeholder"),
                        _span(corpus, "A2", 1, "Jörg, that is me", "finance", "stakeholder")], "alice")
    bob = human_rows([_span(corpus, "A1", 1, "price", "price", "barrier"),
                      _span(corpus, "A2", 3, "finance director", "finance", "stakeholder")], "bob")
    auto = human_rows([_span(corpus, "A1", 1, "CFO", "finance", "stakeholder"),
                       _span(corpus, "A1", 1, "no time", "lack_resources", "barrier")], "auto").assign(source="rule")
    auto.loc[1, "polarity"] = "negated"
    return pd.concat([alice, bob, auto], ignore_index=True)


def _qde(path: Path):
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde"), {n: zf.read(n) for n in zf.namelist() if n.startswith("sources/")}, etree


def test_export_is_valid_refi_qda_project(study, codebook):
    if not XSD.exists():
        pytest.skip("shared/refi-qda/Project.xsd not available")
    from lxml import etree

    corpus = Corpus.load(study)
    path = export_qdpx(study, study.path / "out.qdpx", codes=_codes(corpus), codebook=codebook)
    qde, _, _ = _qde(path)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(qde)
    assert schema.validate(doc), schema.error_log


def test_export_structure_offsets_and_attributes(study, codebook):
    corpus = Corpus.load(study)
    codes = _codes(corpus)
    path = export_qdpx(study, study.path / "out.qdpx", codes=codes, codebook=codebook)
    qde, sources, etree = _qde(path)
    assert not qde.startswith(b"\xef\xbb\xbf") and qde.startswith(b"<?xml")
    root = etree.fromstring(qde)
    ns = {"q": NS}
    # Families are non-codable parents with their codes as codable children.
    barrier = root.find("q:CodeBook/q:Codes/q:Code[@name='Barrier']", ns)
    assert barrier.get("isCodable") == "false"
    assert {c.get("name") for c in barrier.findall("q:Code", ns)} == {"Price", "Lack of resources"}
    assert all(c.get("isCodable") == "true" for c in barrier.findall("q:Code", ns))
    speakers = root.find("q:CodeBook/q:Codes/q:Code[@name='Speakers']", ns)
    assert {c.get("name") for c in speakers} >= {"Anna Lindqvist", "Jörg Müller", "Interviewer"}
    # Every coded span is one selection whose source text is the evidence, coded by its coder.
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{{{NS}}}User")}
    code_guids = {guid("code", c.id): c.id for c in codebook.codes}
    found = set()
    for src in root.iter(f"{{{NS}}}TextSource"):
        member = "sources/" + src.get("plainTextPath").removeprefix("internal://")
        text = sources[member].decode("utf-8")
        assert not sources[member].startswith(b"\xef\xbb\xbf")
        assert text == interview_layout(corpus.turns, src.get("name")).text
        for sel in src.findall("q:PlainTextSelection", ns):
            ref = sel.find("q:Coding/q:CodeRef", ns).get("targetGUID")
            if ref in code_guids:
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                user = users[sel.find("q:Coding", ns).get("creatingUser")]
                found.add((src.get("name"), text[s:e], code_guids[ref], user))
    expected = {(r.interview_id, r.evidence, r.code, r.coder) for r in codes.itertuples()}
    assert found == expected
    # Interview attributes: a Variable each, a Case per interview holding its values.
    variables = {v.get("name"): v.get("guid") for v in root.iter(f"{{{NS}}}Variable")}
    assert {"segment", "country", "outcome", "date"} <= set(variables)
    case = root.find("q:Cases/q:Case[@name='A2']", ns)
    values = {vv.find("q:VariableRef", ns).get("targetGUID"): vv[1].text for vv in case.findall("q:VariableValue", ns)}
    assert values[variables["outcome"]] == "lost" and values[variables["country"]] == "DE"
    assert root.find("q:Variables/q:Variable[@name='date']", ns).get("typeOfVariable") == "Date"


def test_speaker_codes_cover_each_turn_text(study, codebook):
    corpus = Corpus.load(study)
    qde, texts = build_project(corpus, _codes(corpus), codebook)
    from lxml import etree

    root = etree.fromstring(qde)
    speaker_code = guid("code", "speaker:Jörg Müller")
    src = [s for s in root.iter(f"{{{NS}}}TextSource") if s.get("name") == "A2"][0]
    text = texts[src.get("guid")]
    spans = [text[int(sel.get("startPosition")):int(sel.get("endPosition"))]
             for sel in src.iter(f"{{{NS}}}PlainTextSelection")
             if sel.find(f"{{{NS}}}Coding/{{{NS}}}CodeRef").get("targetGUID") == speaker_code]
    assert spans == corpus.interview("A2").query("speaker == 'Jörg Müller'")["text"].tolist()


def test_round_trip_gives_identical_codings(study, codebook):
    corpus = Corpus.load(study)
    codes = _codes(corpus)
    path = export_qdpx(study, study.path / "rt.qdpx", codes=codes, codebook=codebook)
    back = import_qdpx(path, corpus, codebook, include_auto=True)
    assert sorted(map(tuple, back[KEY].astype(str).values)) == sorted(map(tuple, codes[KEY].astype(str).values))
    assert (back["source"] == "human").all()
    # By default buyerlab's own automatic codings are not re-imported as human codes.
    assert "auto" not in set(import_qdpx(path, corpus, codebook)["coder"])


def test_round_trip_from_stored_human_codes(study, codebook):
    corpus = Corpus.load(study)
    save_human_codes(study, _codes(corpus).query("coder != 'auto'"))
    path = export_qdpx(study, study.path / "h.qdpx", coders=["alice", "bob"], codebook=codebook)
    back = import_qdpx(path, corpus, codebook)
    stored = load_human_codes(study)
    assert sorted(map(tuple, back[KEY].astype(str).values)) == sorted(map(tuple, stored[KEY].astype(str).values))


def _foreign_qdpx(path: Path, text: str, selections: list[tuple[int, int, str]], code_name: str = "Price") -> Path:
    sel = "".join(
        f'<PlainTextSelection guid="{guid("t", s, e)}" startPosition="{s}" endPosition="{e}" creatingUser="{guid("u")}">'
        f'<Coding guid="{guid("c", s, e)}" creatingUser="{guid("u")}"><CodeRef targetGUID="{guid("k", n)}"/></Coding>'
        f'</PlainTextSelection>' for s, e, n in selections)
    codes = "".join(f'<Code guid="{guid("k", n)}" name="{n}" isCodable="true"/>' for n in {n for _, _, n in selections})
    qde = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="x"><Users><User guid="{guid("u")}" '
           f'name="Carla"/></Users><CodeBook><Codes>{codes}</Codes></CodeBook><Sources>'
           f'<TextSource guid="{guid("s")}" name="A1.docx" plainTextPath="internal://{guid("s")}.txt">{sel}</TextSource>'
           f'</Sources></Project>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{guid('s')}.txt", text)
    return path


def test_import_foreign_project_locates_selected_text(study, codebook, tmp_path):
    corpus = Corpus.load(study)
    # Another tool's text of A1: timestamps, other line breaks; selections found by their text.
    text = ("[00:00:01] Interviewer: What made you look for a new tool?\n"
            "[00:00:04] Anna Lindqvist: Our CFO said the price was too high.  We had no time to switch, honestly.\n"
            "[00:00:09] Interviewer: Who else was involved?\n"
            "[00:00:12] Anna Lindqvist: Procurement ran the tender with finance.")
    s = text.index("the price")
    e = text.index("too high") + len("too high")
    s2 = text.index("no time")
    e2 = text.index("Procurement ran") + len("Procurement ran")  # runs over two turns (and labels)
    path = _foreign_qdpx(tmp_path / "f.qdpx", text, [(s, e, "Price"), (s2, e2, "lack_resources")])
    got = import_qdpx(path, corpus, codebook)
    turns = corpus.interview("A1").set_index("turn_index")["text"]
    rows = {(r.turn_index, r.code, turns[r.turn_index][r.char_start:r.char_end]) for r in got.itertuples()}
    assert (1, "price", "the price was too high") in rows
    pieces = sorted((t, ev) for t, c, ev in rows if c == "lack_resources")
    assert pieces[0] == (1, "no time to switch, honestly.")
    assert pieces[-1] == (3, "Procurement ran")
    assert set(got["coder"]) == {"Carla"}


def test_import_unknown_code_is_an_error_naming_the_file(study, codebook, tmp_path):
    corpus = Corpus.load(study)
    text = interview_layout(corpus.turns, "A1").text
    s = text.index("price")
    path = _foreign_qdpx(tmp_path / "u.qdpx", text, [(s, s + 5, "Pricing pain")])
    with pytest.raises(InputError, match=r"u\.qdpx.*Pricing pain"):
        import_qdpx(path, corpus, codebook)
    kept = import_qdpx(path, corpus, codebook, strict=False)
    assert kept["code"].tolist() == ["pricing_pain"] and kept["family"].tolist() == ["other"]


def test_qdc_codebook(codebook, tmp_path):
    from lxml import etree

    path = export_qdc(codebook, tmp_path / "cb.qdc")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    root = etree.fromstring(raw)
    ns = {"c": "urn:QDA-XML:codebook:1.0"}
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    parents = root.findall("c:Codes/c:Code", ns)
    assert [p.get("name") for p in parents] == ["Stakeholder", "Barrier", "Motive"]
    assert all(p.get("isCodable") == "false" for p in parents)
    assert [c.get("name") for c in parents[2].findall("c:Code", ns)] == ["Cost and ROI"]
    assert parents[1].find("c:Code/c:Description", ns).text == "The price is too high."


def test_cli_export_and_import_qdpx(study, capsys):
    from buyerlab.cli import main

    corpus = Corpus.load(study)
    save_human_codes(study, _codes(corpus).query("coder == 'alice'"))
    out = study.path / "x.qdpx"
    assert main(["export", str(study.path), "--out", str(out)]) == 0
    shutil.rmtree(study.output_dir / "human_codes")
    assert main(["import", str(study.path), str(out)]) == 0
    assert len(load_human_codes(study, ["alice"])) == 3
    assert main(["import", str(study.path), str(study.path / "missing.qdpx")]) == 2
    assert "missing.qdpx" in capsys.readouterr().err
