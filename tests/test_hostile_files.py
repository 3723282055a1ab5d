"""Crafted .qdpx, .xlsx and .docx files: zip slip, zip bombs and XML entities are refused, not read."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from buyerlab.errors import InputError
from buyerlab.safezip import check_archive, parse_xml, unsafe_name

FIX = Path(__file__).parent / "fixtures" / "qda"
NS = "urn:QDA-XML:project:1.0"
PLAIN_QDE = f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="x"/>'
BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  f'<Project xmlns="{NS}" name="&lol3;"/>')
XXE = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       f'<Project xmlns="{NS}" name="&xxe;"/>')


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from buyerlab.corpus import Corpus
    from buyerlab.ingest import ingest_study

    root = tmp_path_factory.mktemp("hostile") / "study"
    shutil.copytree(FIX / "study", root)
    ingest_study(root)
    return Corpus.load(root)


def _import(path, corpus):
    from buyerlab.qda.refi import import_qdpx

    return import_qdpx(path, corpus, None)


@pytest.mark.parametrize("name", ["../evil.txt", "sources/../../evil.txt", "/etc/cron.d/x", "C:/x.txt",
                                  "..\\evil.txt"])
def test_zip_slip_names_are_refused(tmp_path, corpus, name):
    path = _zip(tmp_path / "slip.qdpx", {"project.qde": PLAIN_QDE, name: "x"})
    with pytest.raises(InputError, match="unsafe member name"):
        _import(path, corpus)
    assert not (tmp_path.parent / "evil.txt").exists()
    assert unsafe_name(name) and not unsafe_name("sources/abc.txt")


def test_zip_bomb_is_refused_before_reading(tmp_path, corpus):
    # 30 MB of zeros compress about 1000:1; refused from the zip directory, never inflated.
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", PLAIN_QDE)
        with zf.open("sources/big.txt", "w") as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(30):
                fh.write(chunk)
    assert path.stat().st_size < 200_000
    with pytest.raises(InputError, match="zip bomb"):
        _import(path, corpus)


def test_total_size_limit_and_member_count(tmp_path):
    path = _zip(tmp_path / "big.qdpx", {"project.qde": PLAIN_QDE, "sources/a.txt": "x" * 5000})
    with pytest.raises(InputError, match="over the limit"):
        check_archive(path, kind=".qdpx", max_uncompressed=1000)
    many = _zip(tmp_path / "many.qdpx", {f"sources/{k}.txt": "" for k in range(30)})
    with pytest.raises(InputError, match="30 members"):
        check_archive(many, kind=".qdpx", max_uncompressed=10**9, max_members=20)


@pytest.mark.parametrize("qde", [BILLION_LAUGHS, XXE, BILLION_LAUGHS.encode("utf-16")])
def test_entity_declarations_are_refused(tmp_path, corpus, qde):
    path = _zip(tmp_path / "ent.qdpx", {"project.qde": qde})
    with pytest.raises(InputError, match="entity declarations are not allowed"):
        _import(path, corpus)


def test_parse_xml_refuses_dtd_even_past_the_byte_scan(tmp_path):
    with pytest.raises(InputError, match="entity declarations are not allowed"):
        parse_xml(BILLION_LAUGHS.encode(), tmp_path / "x.qde", "project.qde")
    with pytest.raises(InputError, match="not well-formed"):
        parse_xml(b"<Project><unclosed></Project>", tmp_path / "x.qde", "project.qde")


def test_not_a_zip_and_missing_project(tmp_path, corpus):
    fake = tmp_path / "fake.qdpx"
    fake.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match=r"fake\.qdpx: not a valid \.qdpx file"):
        _import(fake, corpus)
    empty = _zip(tmp_path / "empty.qdpx", {"sources/a.txt": "x"})
    with pytest.raises(InputError, match="no project.qde"):
        _import(empty, corpus)
    outside = _zip(tmp_path / "ext.qdpx", {"project.qde": (
        f'<Project xmlns="{NS}" name="x"><Sources><TextSource guid="00000000-0000-0000-0000-000000000001" '
        'name="A1" plainTextPath="internal://missing.txt"/></Sources></Project>')})
    with pytest.raises(InputError, match="missing member"):
        _import(outside, corpus)


def test_deeply_nested_codes_do_not_crash(tmp_path, corpus):
    depth = 50_000
    codes = "".join(f'<Code guid="00000000-0000-0000-0000-{k:012d}" name="c{k}" isCodable="true">' for k in range(depth))
    qde = f'<Project xmlns="{NS}" name="x"><CodeBook><Codes>{codes}{"</Code>" * depth}</Codes></CodeBook></Project>'
    path = _zip(tmp_path / "deep.qdpx", {"project.qde": qde})
    assert len(_import(path, corpus)) == 0


def test_taguette_xlsx_bomb_is_refused(tmp_path, corpus):
    from buyerlab.qda.taguette import import_taguette

    path = tmp_path / "h.xlsx"
    _zip(path, {"[Content_Types].xml": BILLION_LAUGHS, "xl/workbook.xml": "<workbook/>"})
    with pytest.raises(InputError, match="entity declarations are not allowed"):
        import_taguette(path, corpus, None, coder="dana")


def _docx(members: dict[str, str]) -> bytes:
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, members.pop(info.filename, None) or src.read(info.filename))
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("members, message", [
    ({"word/document.xml": BILLION_LAUGHS}, "entity declarations are not allowed"),
    ({"word/document.xml": XXE}, "entity declarations are not allowed"),
    ({"../../evil.xml": "<x/>"}, "unsafe member name"),
])
def test_docx_reader_refuses_crafted_files(tmp_path, members, message):
    from buyerlab.readers.base import ReaderOptions
    from buyerlab.readers.docx import parse_docx

    path = tmp_path / "T1.docx"
    path.write_bytes(_docx(dict(members)))
    with pytest.raises(InputError, match=message):
        parse_docx(path, ReaderOptions())


def test_cli_import_of_a_hostile_file_is_one_line(tmp_path, corpus, capsys):
    from buyerlab.cli import main

    study = tmp_path / "s"
    shutil.copytree(FIX / "study", study)
    (study / "study.toml").write_text(f'codebook = "{(FIX / "codebook.yaml").as_posix()}"\n', encoding="utf-8")
    corpus.write(study / "output")
    path = _zip(tmp_path / "x.qdpx", {"project.qde": XXE})
    assert main(["import", str(study), str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("buyerlab: error:") and "x.qdpx" in err and len(err.splitlines()) == 1
