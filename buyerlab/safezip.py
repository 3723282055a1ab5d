"""Checks for zip packages from users (.qdpx, .docx): zip-slip names, zip bombs, XML entities.

``check_archive`` refuses, before anything is read: a file that is not a zip; more than
``MAX_MEMBERS`` members; a member name that is absolute, has a drive letter or a ``..``
part; a large member that expands more than ``MAX_RATIO`` times; a total uncompressed size
over the caller's limit; any DOCTYPE or ENTITY declaration in an XML member (external
entities, billion laughs). ``read_member`` never trusts the sizes in the zip directory and
stops reading at its limit. ``parse_xml`` parses with defusedxml, DTDs forbidden, so a
declaration that slipped past the byte scan is refused again.

Used by the .docx reader and by the REFI-QDA (.qdpx) import.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from xml.etree.ElementTree import Element

from buyerlab.errors import InputError

MAX_MEMBERS = 5000
# Deflate cannot exceed ~1030:1; XML and text compress about 5-30:1.
MAX_RATIO = 200
RATIO_CHECK_FROM = 10_000_000  # small members may compress extremely well without harm
XML_SUFFIXES = (".xml", ".rels", ".vml", ".qde", ".qdc")
_CHUNK = 1 << 20
_DECLARATIONS = tuple(
    marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
_OVERLAP = max(len(d) for d in _DECLARATIONS)
_DRIVE = re.compile(r"[A-Za-z]:")
_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


def unsafe_name(name: str) -> bool:
    """True for a member name that could write outside a target folder (zip slip)."""
    parts = re.split(r"[/\\]", name)
    return name.startswith(("/", "\\")) or bool(_DRIVE.match(name)) or ".." in parts or "\x00" in name


def has_declaration(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when an XML member holds a DOCTYPE or ENTITY declaration (any of its encodings)."""
    tail = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return False
            window = tail + chunk
            if any(d in window for d in _DECLARATIONS):
                return True
            tail = window[-_OVERLAP:]


def check_archive(path: Path, *, kind: str, max_uncompressed: int, xml_suffixes: tuple[str, ...] = XML_SUFFIXES,
                  max_members: int = MAX_MEMBERS, limit_setting: str | None = None) -> None:
    """Refuse a package that is not a zip, is a zip bomb, has unsafe names or XML declarations."""
    path = Path(path)
    try:
        if not zipfile.is_zipfile(path):
            raise InputError(f"not a valid {kind} file (not a zip archive; corrupt or renamed?)", path=path)
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > max_members:
                raise InputError(f"refused: the {kind} archive has {len(infos)} members (zip bomb?)", path=path)
            total = 0
            for info in infos:
                if unsafe_name(info.filename):
                    raise InputError(f"refused: unsafe member name '{info.filename[:80]}' in the {kind} archive",
                                     path=path)
                total += info.file_size
                if info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise InputError(
                        f"refused: member '{info.filename[:80]}' expands "
                        f"{info.file_size // max(info.compress_size, 1)} times (zip bomb?)", path=path)
            if total > max_uncompressed:
                hint = f" ({limit_setting} in study.toml)" if limit_setting else ""
                raise InputError(f"refused: the {kind} expands to {total / 1e6:.0f} MB, over the limit of "
                                 f"{max_uncompressed / 1e6:.0f} MB{hint}", path=path)
            for info in infos:
                if info.filename.lower().endswith(xml_suffixes) and has_declaration(zf, info):
                    raise InputError(f"XML entity declarations are not allowed (DOCTYPE/ENTITY in "
                                     f"'{info.filename[:80]}')", path=path)
    except InputError:
        raise
    except _ERRORS as exc:
        raise InputError(f"corrupt {kind} file: {exc}", path=path) from None


def read_member(zf: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes:
    """The bytes of one member, refusing more than ``limit`` whatever the zip directory claims."""
    try:
        with zf.open(name) as fh:
            data = fh.read(limit + 1)
    except KeyError:
        raise InputError(f"the archive has no member '{name[:80]}'", path=path) from None
    except _ERRORS as exc:
        raise InputError(f"cannot read '{name[:80]}' from the archive: {exc}", path=path) from None
    if len(data) > limit:
        raise InputError(f"refused: member '{name[:80]}' is larger than {limit / 1e6:.0f} MB", path=path)
    return data


def parse_xml(data: bytes, path: Path, what: str) -> Element:
    """Parse XML bytes safely (defusedxml, no DTD); InputError naming the file on any problem."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"XML entity declarations are not allowed in {what} ({type(exc).__name__})",
                         path=path) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"{what} is not well-formed XML: {exc}", path=path, line=line) from None
