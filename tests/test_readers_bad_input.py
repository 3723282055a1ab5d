"""Bad and odd input: every failure is a one-line InputError naming the file; decoding is exact."""

import codecs
import os
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buyerlab.errors import InputError
from buyerlab.readers import ReaderOptions, decode_bytes, parse_turns, read_file
from buyerlab.readers.subtitles import parse_srt, parse_vtt
from buyerlab.readers.table import parse_table
from buyerlab.readers.whisper_json import parse_whisper_json

FIX = Path(__file__).parent / "fixtures" / "readers"
SAMPLE = "Åsa Öberg: Vi köpte – “äntligen” – nya mätare för 10 000 €.\nJürgen Groß: Süß, ‘ja’."


def write(tmp_path, name, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def error_of(path, options=None) -> InputError:
    with pytest.raises(InputError) as err:
        read_file(path, options)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    return err.value


# --- decoding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        codecs.BOM_UTF8 + SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"),
        SAMPLE.encode("utf-16-le"),  # BOM-less, found by the NUL pattern
        SAMPLE.encode("utf-16-be"),
        SAMPLE.replace("€", "EUR").encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "utf16le-nobom", "utf16be-nobom", "cp1252"],
)
def test_decoding_is_exact(data):
    expected = SAMPLE if b"EUR" not in data else SAMPLE.replace("€", "EUR")
    assert decode_bytes(data, "x.txt") == expected


def test_latin1_without_cp1252_specials():
    assert decode_bytes("Grüße aus Köln".encode("latin-1")) == "Grüße aus Köln"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028", "\n"])
def test_line_endings_normalised(newline, tmp_path):
    text = "Emma: Hej.\n\nKarin: Hå?\nJa.".replace("\n", newline)
    p = write(tmp_path, "le.txt", text.encode("utf-8"))
    turns = read_file(p)[0].turns
    assert [(t.speaker, t.text, t.line) for t in turns] == [("Emma", "Hej.", 1), ("Karin", "Hå? Ja.", 3)]


def test_cp1252_file_with_crlf_reads_exactly(tmp_path):
    text = "Interviewer: Hur började det?\r\nSanne Bakker: Med “revisionen” – och priset.\r\n"
    p = write(tmp_path, "NL04.txt", text.encode("cp1252"))
    assert [t.text for t in read_file(p)[0].turns] == ["Hur började det?", "Med “revisionen” – och priset."]


def test_empty_and_whitespace_files(tmp_path):
    for name, data in [("e.txt", b""), ("w.txt", b" \n\r\n\t"), ("u.txt", "  \n".encode("utf-16"))]:
        assert error_of(write(tmp_path, name, data)).message == "empty file"


def test_binary_file_named_txt(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert error_of(write(tmp_path, "img.txt", png)).message == "binary file, not text"
    noise = bytes((i * 37 + 11) % 256 or 1 for i in range(4000))  # no NULs, mostly control codes
    assert error_of(write(tmp_path, "noise.txt", bytes(b for b in noise if b not in b"\r\n"))).message == (
        "binary file, not text"
    )


def test_undecodable_bytes(tmp_path):
    mixed = "Åsa: hej\nBo: då\n".encode("utf-8") + b"Bo: caf\xe9 \xff\n" + "Åsa: ö\n".encode("utf-8")
    err = error_of(write(tmp_path, "mixed.txt", mixed))
    assert err.line == 3 and "not valid UTF-8" in err.message and "mixes encodings" in err.message
    bad_bom = codecs.BOM_UTF8 + b"ok\nok\n\xc3(\n"
    err = error_of(write(tmp_path, "bom.txt", bad_bom))
    assert err.line == 3 and "not valid UTF-8" in err.message
    odd_utf16 = codecs.BOM_UTF16_LE + "A: hi\n".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    assert "not valid UTF-16" in error_of(write(tmp_path, "odd.txt", odd_utf16)).message


def test_size_guard(tmp_path):
    p = write(tmp_path, "big.txt", b"A: " + b"x" * 3_000_000)
    err = error_of(p, ReaderOptions(max_bytes=1_000_000))
    assert err.message == "file is 3.0 MB, over the limit of 1.0 MB (readers.max_bytes in study.toml)"


def test_missing_file_and_directory(tmp_path):
    assert "cannot read file" in error_of(tmp_path / "nope.txt").message
    (tmp_path / "dir.txt").mkdir()
    assert "not a regular file" in error_of(tmp_path / "dir.txt").message


# --- subtitles and JSON ------------------------------------------------------------------------


def test_truncated_vtt(tmp_path):
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>Hi</v>\n\n00:00:02.000 --> 00:0"
    err = error_of(write(tmp_path, "t.vtt", text.encode()))
    assert err.line == 6 and "malformed WebVTT cue timing '00:00:02.000 --> 00:0'" in err.message
    cut = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>Hi</v>\n\n00:00:02.000 --> 00:00:03.000\n"
    err = error_of(write(tmp_path, "t2.vtt", cut.encode()))
    assert err.line == 6 and "truncated" in err.message
    ident_only = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n\ncue-2\n"
    assert error_of(write(tmp_path, "t3.vtt", ident_only.encode())).line == 6


def test_vtt_without_header(tmp_path):
    err = error_of(write(tmp_path, "h.vtt", b"1\n00:00:01.000 --> 00:00:02.000\nHi\n"))
    assert err.line == 1 and "WEBVTT" in err.message


def test_malformed_srt_timing(tmp_path):
    text = "1\n00:00:01,000 --> 00:00:02,000\nA: hi\n\n2\n00:00:02,000 -> 00:00:03,000\nB: ho\n"
    err = error_of(write(tmp_path, "m.srt", text.encode()))
    assert err.line == 6 and "malformed SRT cue timing" in err.message
    err = error_of(write(tmp_path, "n.srt", b"1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n"))
    assert err.line == 5 and "no timing line" in err.message
    err = error_of(write(tmp_path, "p.srt", b"just some text\n"))
    assert err.line == 1 and "expected a cue number" in err.message
    err = error_of(write(tmp_path, "q.srt", b"1\n00:00:01,000 --> 00:00:75,000\nA\n"))
    assert err.line == 2 and "over 59" in err.message


def test_malformed_json_has_line_number(tmp_path):
    text = '{\n  "segments": [\n    {"start": 0, "end": 1, "text": "a"}\n    {"start": 1}\n  ]\n}\n'
    err = error_of(write(tmp_path, "bad.json", text.encode()))
    assert err.line == 4 and err.message.startswith("malformed JSON: Expecting ',' delimiter")
    assert str(err).startswith(f"{tmp_path / 'bad.json'}:4: malformed JSON")
    deep = "[" * 100_000 + "]" * 100_000
    assert "malformed JSON" in error_of(write(tmp_path, "deep.json", deep.encode())).message


# --- docx -------------------------------------------------------------------------------------


@pytest.fixture
def good_docx(tmp_path) -> Path:
    document = docx.Document()
    document.add_paragraph("Anna: Hello.")
    document.add_paragraph("Bo: Hi.")
    path = tmp_path / "good.docx"
    document.save(str(path))
    return path


def rebuild(src: Path, dst: Path, change) -> Path:
    """Copy a docx member by member; ``change(name, data)`` returns new data or None to keep it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, change(info.filename, data) or data)
    return dst


def test_good_docx_reads(good_docx):
    assert [t.speaker for t in read_file(good_docx)[0].turns] == ["Anna", "Bo"]


def test_corrupt_docx(tmp_path, good_docx):
    err = error_of(write(tmp_path, "noise.docx", b"this is not a zip at all"))
    assert "not a valid .docx" in err.message
    data = good_docx.read_bytes()
    truncated = write(tmp_path, "cut.docx", data[: len(data) // 2])
    assert isinstance(error_of(truncated), InputError)
    plain_zip = tmp_path / "plain.docx"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("hello.txt", "not a word file")
    assert "cannot read .docx" in error_of(plain_zip).message
    damaged = bytearray(data)
    start = data.find(b"word/document.xml")  # scramble the compressed body after the local header
    damaged[start + 40 : start + 200] = b"\x00" * 160
    assert isinstance(error_of(write(tmp_path, "damaged.docx", bytes(damaged))), InputError)


def test_zip_bomb_docx(tmp_path, good_docx):
    huge = b"\0" * 30_000_000  # compresses about 1000:1
    bomb = rebuild(good_docx, tmp_path / "bomb.docx", lambda n, d: None)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/media/filler.bin", huge)
    assert bomb.stat().st_size < 200_000
    assert "zip bomb" in error_of(bomb).message
    err = error_of(good_docx, ReaderOptions(max_docx_uncompressed=1_000))
    assert "over the limit" in err.message and "max_docx_uncompressed" in err.message


def test_docx_with_entity_declaration(tmp_path, good_docx):
    laughs = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'

    def inject(name, data):
        if name == "word/document.xml":
            return laughs + data.split(b"?>", 1)[1]
        return None

    bad = rebuild(good_docx, tmp_path / "xxe.docx", inject)
    assert error_of(bad).message.startswith("XML entity declarations are not allowed")


def test_docx_with_unsafe_member_name(tmp_path, good_docx):
    bad = rebuild(good_docx, tmp_path / "slip.docx", lambda n, d: None)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("../../evil.xml", "<x/>")
    assert "unsafe member name" in error_of(bad).message


# --- files are never modified -----------------------------------------------------------------


def test_reading_never_modifies_files(good_docx):
    paths = sorted(FIX.iterdir()) + [good_docx]
    before = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in paths}
    for p in paths:
        assert read_file(p), p
    assert {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in paths} == before


# --- property tests: arbitrary input raises nothing but InputError -----------------------------

PROPERTY = settings(max_examples=int(os.environ.get("BUYERLAB_HYPOTHESIS_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENS = list("AaBb Öß:–-[]()<>v.,0123456789\n\t&;/\"'{}*") + [
    "-->", "WEBVTT", "Speaker 1", "00:00:01.000", "00:01,5", "[00:01:02] ", "<v A>", "</v>", "NOTE",
    "Emma Clarke: ", "EMMA  0:05", "\r", "\u2028", "\n\n", "id,text\n", '"',
]
line_text = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=60).map("".join),
    st.text(max_size=120),
)


def check_turns(turns):
    assert all(t.text and t.text.strip() for t in turns)


@PROPERTY
@given(line_text)
def test_parse_turns_total(text):
    turns = parse_turns(text)
    check_turns(turns)
    assert all(w in text for t in turns for w in t.text.split())


@PROPERTY
@given(st.one_of(st.binary(max_size=300), line_text.map(lambda s: s.encode("utf-8"))))
def test_parsers_raise_only_input_error(data):
    try:
        text = decode_bytes(data, "p")
    except InputError:
        return
    for parse in (parse_vtt, parse_srt, lambda t, p: parse_whisper_json(t, p)[0]):
        try:
            check_turns(parse(text, "p"))
        except InputError:
            pass
    for kind in ("csv", "tsv", "jsonl"):
        try:
            for tr in parse_table(text, "p." + kind, kind):
                check_turns(tr.turns)
        except InputError:
            pass


@PROPERTY
@given(line_text)
def test_vtt_and_srt_on_cue_like_text(body):
    for parse, text in ((parse_vtt, "WEBVTT\n\n" + body), (parse_srt, "1\n00:00:01,000 --> 00:00:02,000\n" + body)):
        try:
            check_turns(parse(text.replace("\r", "\n"), "p"))
        except InputError:
            pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["text", "start", "end", "speaker", "segments", "language"]), inner, max_size=5),
    max_leaves=20,
)


@PROPERTY
@given(json_values)
def test_whisper_json_shapes(value):
    import json

    try:
        turns, attributes = parse_whisper_json(json.dumps(value), "p")
    except InputError:
        return
    check_turns(turns)
    assert all(isinstance(v, str) for v in attributes.values())


def test_mutated_docx_raises_only_input_error(good_docx, tmp_path):
    import random

    from buyerlab.readers.docx import parse_docx

    data = good_docx.read_bytes()
    rnd = random.Random(7)
    outcomes = set()
    for i in range(40):
        mutated = bytearray(data)
        for _ in range(rnd.randint(1, 12)):
            mutated[rnd.randrange(len(mutated))] = rnd.randrange(256)
        path = write(tmp_path, f"m{i}.docx", bytes(mutated))
        try:
            parse_docx(path)  # not read_file: its last-resort wrapper would hide a reader bug
            outcomes.add("read")
        except InputError as exc:
            assert "\n" not in str(exc)
            outcomes.add("refused")
    assert "refused" in outcomes
