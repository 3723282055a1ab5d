"""Bytes to text: encoding detection, line-ending normalisation and the size guard."""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import ReaderOptions

_C1_BYTES = bytes(range(0x80, 0xA0))

# Control characters that never belong in a transcript (tab and newline excluded).
_CONTROL_CHARS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
_CONTROL_DELETE = str.maketrans("", "", _CONTROL_CHARS.replace("\x0b", "").replace("\x0c", ""))
_CONTROL_RE = re.compile("[" + re.escape(_CONTROL_CHARS) + "]")

_SAMPLE = 4096


def _line_of(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting CRLF, CR and LF line ends."""
    prefix = data[:offset]
    return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1


def _sniff_utf16(data: bytes) -> str | None:
    """Return 'utf-16-le'/'utf-16-be' when a BOM-less sample shows the NUL pattern of Latin text."""
    sample = data[:_SAMPLE]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_nul = sample[0 : pairs * 2 : 2].count(0)
    odd_nul = sample[1 : pairs * 2 : 2].count(0)
    if odd_nul >= 0.3 * pairs and even_nul <= 0.05 * pairs:
        return "utf-16-le"
    if even_nul >= 0.3 * pairs and odd_nul <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode_unicode(data: bytes, encoding: str, path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = encoding.upper().replace("-LE", "").replace("-BE", "")
        if encoding != "utf-8":
            line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        else:
            line = _line_of(data, exc.start)
        raise InputError(f"not valid {name}: {exc.reason} at byte {exc.start}", path=path, line=line) from None


def _decode_legacy(data: bytes, utf8_error: UnicodeDecodeError, path) -> str:
    lenient = data.decode("utf-8", errors="replace")
    stray = lenient.count("\ufffd")  # one per invalid byte (sequence)
    utf8_chars = len(lenient) - len(lenient.encode("ascii", errors="ignore")) - stray
    if utf8_chars and utf8_chars >= stray:
        # Mostly UTF-8 with a few bad bytes: a legacy decode would garble every accented letter.
        line = _line_of(data, utf8_error.start)
        bad = data[utf8_error.start]
        raise InputError(
            f"not valid UTF-8 (byte 0x{bad:02x}); the file mixes encodings, re-save it as UTF-8",
            path=path,
            line=line,
        )
    if data.translate(None, _C1_BYTES) != data:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass  # bytes undefined in cp1252: they can only be latin-1 control codes
    return data.decode("latin-1")


def normalise_newlines(text: str) -> str:
    """Turn CRLF, CR, U+2028 and U+2029 line breaks into \\n."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text


def decode_bytes(data: bytes, path: str | Path | None = None) -> str:
    """Decode a transcript file's bytes to text with \\n line endings, or raise InputError."""
    if not data.strip():
        raise InputError("empty file", path=path)
    if data.startswith(codecs.BOM_UTF8):
        text = _decode_unicode(data[3:], "utf-8", path)
    elif data.startswith(codecs.BOM_UTF32_LE) and len(data) % 4 == 0:
        text = _decode_unicode(data[4:], "utf-32-le", path)
    elif data.startswith(codecs.BOM_UTF32_BE) and len(data) % 4 == 0:
        text = _decode_unicode(data[4:], "utf-32-be", path)
    elif data.startswith(codecs.BOM_UTF16_LE):
        text = _decode_unicode(data[2:], "utf-16-le", path)
    elif data.startswith(codecs.BOM_UTF16_BE):
        text = _decode_unicode(data[2:], "utf-16-be", path)
    elif (sniffed := _sniff_utf16(data)) is not None:
        text = _decode_unicode(data, sniffed, path)
    elif b"\x00" in data:
        raise InputError("binary file, not text", path=path)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = _decode_legacy(data, exc, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        raise InputError("binary file, not text", path=path)
    text = normalise_newlines(text)
    controls = len(_CONTROL_RE.findall(text[:65536]))
    if controls > max(8, 0.1 * min(len(text), 65536)):
        raise InputError("binary file, not text", path=path)
    if controls:
        # Vertical tab and form feed are line breaks in word-processor exports; the rest is noise.
        text = text.translate(_CONTROL_DELETE).replace("\x0b", "\n").replace("\x0c", "\n")
    if not text.strip():
        raise InputError("empty file", path=path)
    return text


def check_size(path: Path, options: ReaderOptions) -> int:
    """Raise InputError when ``path`` is missing, not a file or over ``options.max_bytes``; return its size."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    if not os.path.isfile(path):
        raise InputError("not a regular file", path=path)
    if st.st_size > options.max_bytes:
        raise InputError(
            f"file is {st.st_size / 1e6:.1f} MB, over the limit of {options.max_bytes / 1e6:.1f} MB "
            "(readers.max_bytes in study.toml)",
            path=path,
        )
    return st.st_size


def read_bytes(path: Path, options: ReaderOptions) -> bytes:
    """Read a file's bytes read-only after the size guard."""
    check_size(path, options)
    try:
        with open(path, "rb") as fh:
            # Read one byte past the limit: the file may have grown since stat().
            data = fh.read(options.max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    if len(data) > options.max_bytes:
        raise InputError(
            f"file is over the limit of {options.max_bytes / 1e6:.1f} MB (readers.max_bytes in study.toml)",
            path=path,
        )
    return data


def read_text(path: Path, options: ReaderOptions) -> str:
    """Read and decode a text file (size guard, encoding detection, \\n line endings)."""
    return decode_bytes(read_bytes(path, options), path)
