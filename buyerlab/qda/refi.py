"""REFI-QDA 1.5 exchange: .qdpx projects and .qdc codebooks out, .qdpx codings in.

Export (``export_qdpx``): a zip holding ``project.qde`` (namespace
``urn:QDA-XML:project:1.0``, UTF-8 without BOM, elements in the order Project.xsd
requires) and ``sources/<guid>.txt``, one plain-text source per interview laid out by
``buyerlab.qda.interview_layout`` ("Speaker: text" blocks separated by a blank line).

- CodeBook: each family is a non-codable parent code (``isCodable="false"``), its codes are
  codable children; a parent "Speakers" holds one code per speaker label and every turn's
  text is coded with its speaker, so a QDA tool can select by speaker.
- One ``PlainTextSelection`` per coded span, ``startPosition``/``endPosition`` in code
  points of the source text (turn offset + start of the turn's text in the source), with
  one ``Coding`` whose ``creatingUser`` is the coder (``auto`` for automatic codes). A
  negated or hypothetical code says so in the selection's ``Description``
  ("buyerlab polarity: negated"), which the import reads back.
- Interview attributes (metadata) become ``Variables`` and one ``Case`` per interview
  (NVivo reads cases), and also document-level ``VariableValue`` (MAXQDA reads those).
- GUIDs are uuid5 of stable keys, so exporting the same data twice gives the same file
  apart from the creation time.

Import (``import_qdpx``): codings on text selections of text sources whose name (without
extension) is an interview id. When the source text equals buyerlab's layout of the
interview the positions map exactly; otherwise the selected text is located in the
turns (see ``buyerlab.qda.find_quote``). A selection over several turns is split into one
row per turn. Codings under the "Speakers" parent are skipped.
"""

from __future__ import annotations

import datetime as _dt
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterable
from xml.etree import ElementTree as ET

import pandas as pd

from buyerlab import __version__
from buyerlab.errors import InputError
from buyerlab.qda import (
    CodeResolver,
    Layout,
    conform_codes,
    locate_text,
    human_rows,
    interview_layout,
    slug,
)
from buyerlab.safezip import check_archive, parse_xml, read_member

if TYPE_CHECKING:
    from buyerlab.corpus import Corpus
    from buyerlab.study import Study

NS = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
_NAMESPACE = uuid.UUID("6f2b8c1e-4c4b-4e53-9a57-6275796572c1")  # buyerlab's own uuid5 namespace
SPEAKERS_KEY = "__speakers__"
MAX_QDPX_UNCOMPRESSED = 1_000_000_000
MAX_MEMBER = 200_000_000
AUTO_USER = "auto"
POLARITY_NOTE = "buyerlab polarity: "


def guid(kind: str, *parts: object) -> str:
    """A stable GUID for an exported object (uuid5 of its kind and key)."""
    return str(uuid.uuid5(_NAMESPACE, kind + "\x1f" + "\x1f".join(str(p) for p in parts)))


def _el(parent: ET.Element | None, tag: str, ns: str = NS, **attrs: object) -> ET.Element:
    attrib = {k: str(v) for k, v in attrs.items() if v is not None}
    name = f"{{{ns}}}{tag}"
    return ET.Element(name, attrib) if parent is None else ET.SubElement(parent, name, attrib)


def _text_el(parent: ET.Element, tag: str, text: str, ns: str = NS) -> ET.Element:
    e = _el(parent, tag, ns)
    e.text = text
    return e


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- codebook

def _code_tree(codebook, codes: pd.DataFrame) -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
    """[(family id, family label, description, [(code id, label, description)])], codebook order first."""
    families: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {}
    if codebook is not None:
        for f in codebook.families:
            families[f.id] = (f.label or f.id, f.description or "", [])
        for c in codebook.codes:
            families.setdefault(c.family, (c.family, "", []))[2].append((c.id, c.label or c.id, c.description or ""))
    known = {cid for _, _, cs in families.values() for cid, _, _ in cs}
    if codes is not None and len(codes):
        for fam, code in codes[["family", "code"]].drop_duplicates().itertuples(index=False):
            fam = str(fam) if pd.notna(fam) and str(fam) else "other"
            if code not in known:
                families.setdefault(fam, (fam, "", []))[2].append((str(code), str(code), ""))
                known.add(code)
    return [(fid, label, desc, cs) for fid, (label, desc, cs) in families.items()]


def _codebook_codes(parent: ET.Element, tree, ns: str) -> None:
    codes_el = _el(parent, "Codes", ns)
    for fid, flabel, fdesc, children in tree:
        fam = _el(codes_el, "Code", ns, guid=guid("family", fid), name=flabel, isCodable="false")
        if fdesc:
            _text_el(fam, "Description", fdesc, ns)
        for cid, clabel, cdesc in children:
            c = _el(fam, "Code", ns, guid=guid("code", cid), name=clabel, isCodable="true")
            if cdesc:
                _text_el(c, "Description", cdesc, ns)


def codebook_xml(codebook) -> bytes:
    """A REFI-QDA codebook (.qdc) document: families as non-codable parents of their codes."""
    root = _el(None, "CodeBook", NS_CODEBOOK, origin=f"buyerlab {__version__}")
    tree = _code_tree(codebook, None)
    if not tree:
        raise InputError("the codebook has no codes to export")
    _codebook_codes(root, tree, NS_CODEBOOK)
    return _serialise(root, NS_CODEBOOK)


def export_qdc(codebook, path: str | Path) -> Path:
    """Write the codebook as a REFI-QDA .qdc file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(codebook_xml(codebook))
    return path


def _serialise(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


# --------------------------------------------------------------------------- project export

def _variable_type(values: pd.Series) -> str:
    vals = [str(v) for v in values.dropna() if str(v) != ""]
    if not vals:
        return "Text"
    try:
        for v in vals:
            _dt.date.fromisoformat(v)
        if all(len(v) == 10 for v in vals):
            return "Date"
    except ValueError:
        pass
    if all(v.lstrip("-").isdigit() for v in vals):
        return "Integer"
    return "Text"


_VALUE_TAG = {"Text": "TextValue", "Date": "DateValue", "Integer": "IntegerValue"}


def _value_el(parent: ET.Element, var_guid: str, kind: str, value: object) -> None:
    vv = _el(parent, "VariableValue")
    _el(vv, "VariableRef", targetGUID=var_guid)
    _text_el(vv, _VALUE_TAG[kind], str(value))


def build_project(corpus: "Corpus", codes: pd.DataFrame, codebook=None, *, name: str = "buyerlab",
                  speakers: bool = True, created: str | None = None) -> tuple[bytes, dict[str, str]]:
    """The project.qde bytes and {source guid: source text} for a corpus and its codes."""
    codes = conform_codes(codes)
    created = created or _now()
    coders = sorted(set(codes["coder"].dropna().astype(str))) or [AUTO_USER]
    user_guid = {c: guid("user", c) for c in coders}

    root = _el(None, "Project", name=name, origin=f"buyerlab {__version__}",
               creatingUserGUID=user_guid[coders[0]], creationDateTime=created)
    users = _el(root, "Users")
    for c in coders:
        _el(users, "User", guid=user_guid[c], name=c)

    interviews = corpus.interviews
    turns = corpus.turns
    layouts = {iid: interview_layout(turns, iid) for iid in interviews["interview_id"]}
    speaker_labels = sorted({s for lay in layouts.values() for s in lay.speaker}) if speakers else []

    tree = _code_tree(codebook, codes)
    if speaker_labels:
        tree.append((SPEAKERS_KEY, "Speakers", "Who speaks each turn (one code per speaker label).",
                     [(f"speaker:{s}", s, "") for s in speaker_labels]))
    if tree:
        _codebook_codes(_el(root, "CodeBook"), tree, NS)

    attrs = corpus.attribute_columns
    var_kind = {a: _variable_type(interviews[a]) for a in attrs}
    if attrs:
        variables = _el(root, "Variables")
        for a in attrs:
            _el(variables, "Variable", guid=guid("variable", a), name=a, typeOfVariable=var_kind[a])
        cases = _el(root, "Cases")
        for row in interviews.itertuples(index=False):
            rec = row._asdict()
            case = _el(cases, "Case", guid=guid("case", rec["interview_id"]), name=rec["interview_id"])
            for a in attrs:
                if pd.notna(rec.get(a)) and str(rec.get(a)) != "":
                    _value_el(case, guid("variable", a), var_kind[a], rec[a])
            _el(case, "SourceRef", targetGUID=guid("source", rec["interview_id"]))

    sources_el = _el(root, "Sources")
    texts: dict[str, str] = {}
    by_iid = {iid: g for iid, g in codes.groupby("interview_id", sort=False)}
    attr_rows = interviews.set_index("interview_id")
    for iid, lay in layouts.items():
        sguid = guid("source", iid)
        texts[sguid] = lay.text
        src = _el(sources_el, "TextSource", guid=sguid, name=iid, plainTextPath=f"internal://{sguid}.txt",
                  creatingUser=user_guid[coders[0]], creationDateTime=created)
        for row in by_iid.get(iid, codes.iloc[0:0]).itertuples(index=False):
            if row.turn_index not in lay.turn_index:
                continue
            start = lay.to_source(int(row.turn_index), int(row.char_start))
            end = lay.to_source(int(row.turn_index), int(row.char_end))
            key = (iid, int(row.turn_index), row.code, int(row.char_start), int(row.char_end), row.coder)
            ug = user_guid.get(str(row.coder), user_guid[coders[0]])
            sel = _el(src, "PlainTextSelection", guid=guid("selection", *key), name=str(row.code),
                      startPosition=start, endPosition=end, creatingUser=ug, creationDateTime=created)
            if row.polarity in ("negated", "hypothetical"):
                # REFI-QDA has no polarity; a description keeps it readable and re-importable.
                _text_el(sel, "Description", f"{POLARITY_NOTE}{row.polarity}")
            coding = _el(sel, "Coding", guid=guid("coding", *key), creatingUser=ug, creationDateTime=created)
            _el(coding, "CodeRef", targetGUID=guid("code", row.code))
        for tix, spk, s, e in zip(lay.turn_index, lay.speaker, lay.starts, lay.ends):
            if not speaker_labels or e <= s:
                continue
            sel = _el(src, "PlainTextSelection", guid=guid("speaker-selection", iid, tix), name=spk,
                      startPosition=s, endPosition=e, creatingUser=user_guid[coders[0]], creationDateTime=created)
            coding = _el(sel, "Coding", guid=guid("speaker-coding", iid, tix), creatingUser=user_guid[coders[0]],
                         creationDateTime=created)
            _el(coding, "CodeRef", targetGUID=guid("code", f"speaker:{spk}"))
        for a in attrs:
            value = attr_rows.at[iid, a] if iid in attr_rows.index else None
            if pd.notna(value) and str(value) != "":
                _value_el(src, guid("variable", a), var_kind[a], value)
    return _serialise(root, NS), texts


def export_qdpx(study: "Study", path: str | Path | None = None, *, codes: pd.DataFrame | None = None,
                coders: Iterable[str] | None = None, codebook=None, speakers: bool = True) -> Path:
    """Write a REFI-QDA project (.qdpx) of the study: transcripts, codebook, codes, attributes.

    ``codes`` defaults to the automatic codes plus every stored human coder's codes
    (``coders`` limits that to the given names; ``auto`` means the automatic codes).
    """
    from buyerlab.corpus import Corpus
    from buyerlab.qda import load_auto_codes, load_human_codes, study_codebook

    corpus = Corpus.load(study)
    if codes is None:
        wanted = list(coders) if coders is not None else None
        frames = []
        auto_path = study.output_dir / "codes.parquet"
        if (wanted is None and auto_path.exists()) or (wanted is not None and AUTO_USER in wanted):
            frames.append(load_auto_codes(study))
        humans = None if wanted is None else [c for c in wanted if c != AUTO_USER]
        if humans is None or humans:
            frames.append(load_human_codes(study, humans))
        frames = [f for f in frames if len(f)]
        codes = pd.concat(frames, ignore_index=True) if frames else conform_codes(None)
    if codebook is None:
        codebook = study_codebook(study)
    path = Path(path) if path else study.output("export") / f"{study.name}.qdpx"
    path.parent.mkdir(parents=True, exist_ok=True)
    qde, texts = build_project(corpus, codes, codebook, name=study.name, speakers=speakers)
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for sguid, text in texts.items():
            zf.writestr(f"sources/{sguid}.txt", text.encode("utf-8"))
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- import

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _norm_guid(g: str | None) -> str:
    return (g or "").strip().strip("{}").lower()


def _walk_codes(root: ET.Element, out: dict[str, dict]) -> None:
    # A stack, not recursion: a crafted file may nest codes deeper than Python's recursion limit.
    stack: list[tuple[ET.Element, tuple[str, str]]] = [(root, ("", ""))]
    while stack:
        el, (parent_guid, parent_name) = stack.pop()
        for code in _children(el, "Code"):
            g = _norm_guid(code.get("guid"))
            name = code.get("name") or ""
            out[g] = {"name": name, "parent_guid": parent_guid, "parent_name": parent_name}
            stack.append((code, (g, name)))


def _source_text(src: ET.Element, zf: zipfile.ZipFile, path: Path) -> str | None:
    content = _child(src, "PlainTextContent")
    if content is not None:
        return content.text or ""
    ref = src.get("plainTextPath") or ""
    if ref.startswith("internal://"):
        name = "sources/" + ref[len("internal://"):]
        members = {n.lower(): n for n in zf.namelist()}
        real = members.get(name.lower())
        if real is None:
            raise InputError(f"source '{src.get('name')}' points to missing member '{name[:80]}'", path=path)
        return read_member(zf, real, MAX_MEMBER, path).decode("utf-8-sig", errors="replace")
    return None  # an external path: buyerlab never follows paths written in a project file


def _interview_of(name: str, ids: set[str]) -> str | None:
    name = (name or "").strip()
    if name in ids:
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem if stem in ids else None


def import_qdpx(path: str | Path, corpus: "Corpus", codebook=None, *, coder: str | None = None,
                strict: bool = True, include_auto: bool = False) -> pd.DataFrame:
    """Codings of a REFI-QDA project as codes-schema rows (source ``human``, coder = its user).

    ``coder`` overrides the user names in the file. Codings by the ``auto`` user (buyerlab's
    own automatic codes) are skipped unless ``include_auto``. ``strict``: a code name the
    codebook lacks is an error; otherwise it is kept with family ``other``. Notes on what was
    skipped are in ``result.attrs["warnings"]``.
    """
    path = Path(path)
    check_archive(path, kind=".qdpx", max_uncompressed=MAX_QDPX_UNCOMPRESSED)
    warnings: list[str] = []
    with zipfile.ZipFile(path) as zf:
        qde = [n for n in zf.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
        if not qde:
            raise InputError("no project.qde in the .qdpx package", path=path)
        root = parse_xml(read_member(zf, qde[0], MAX_MEMBER, path), path, qde[0])
        if _local(root.tag) != "Project":
            raise InputError(f"{qde[0]} is not a REFI-QDA project (root element {_local(root.tag)!r})", path=path)
        users = {_norm_guid(u.get("guid")): (u.get("name") or u.get("id") or "") for u in root.iter()
                 if _local(u.tag) == "User"}
        code_info: dict[str, dict] = {}
        book = _child(root, "CodeBook")
        if book is not None and _child(book, "Codes") is not None:
            _walk_codes(_child(book, "Codes"), code_info)
        resolver = CodeResolver(codebook)
        ours = {guid("code", c.id): (c.family, c.id) for c in codebook.codes} if codebook is not None else {}
        speakers_guid = guid("family", SPEAKERS_KEY)

        ids = set(corpus.interviews["interview_id"])
        layouts: dict[str, Layout] = {}
        rows: list[dict] = []
        unknown: set[str] = set()
        sources = _child(root, "Sources")
        for src in (list(sources) if sources is not None else []):
            kind = _local(src.tag)
            if kind != "TextSource":
                warnings.append(f"{kind} '{src.get('name')}' skipped: only text sources are imported")
                continue
            iid = _interview_of(src.get("name") or "", ids)
            if iid is None:
                warnings.append(f"source '{src.get('name')}' matches no interview id; skipped")
                continue
            lay = layouts.setdefault(iid, interview_layout(corpus.turns, iid))
            text = _source_text(src, zf, path)
            exact = text is None or text == lay.text
            if text is None:
                warnings.append(f"source '{src.get('name')}' has an external text path; positions taken as "
                                "buyerlab's layout")
            for sel in _children(src, "PlainTextSelection"):
                codings = _children(sel, "Coding")
                try:
                    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                except (TypeError, ValueError):
                    raise InputError(f"selection {sel.get('guid')} has no valid start/endPosition", path=path) from None
                if end <= start:
                    continue
                pieces = None
                if exact:
                    pieces = lay.to_turns(start, end)
                else:
                    quote = text[start:end]
                    pieces = locate_text(quote, lay)
                if not pieces:
                    warnings.append(f"selection {start}-{end} in '{src.get('name')}' not found in the transcript "
                                    "turns; skipped")
                    continue
                note = _child(sel, "Description")
                polarity = "present"
                if note is not None and (note.text or "").startswith(POLARITY_NOTE):
                    value = (note.text or "")[len(POLARITY_NOTE):].strip()
                    polarity = value if value in ("negated", "hypothetical") else "present"
                for coding in codings:
                    ref = _child(coding, "CodeRef")
                    cg = _norm_guid(ref.get("targetGUID") if ref is not None else "")
                    if not cg:
                        continue
                    info = code_info.get(cg, {"name": "", "parent_guid": "", "parent_name": ""})
                    if info["parent_guid"] == speakers_guid or info["parent_name"] == "Speakers":
                        continue
                    user = users.get(_norm_guid(coding.get("creatingUser") or sel.get("creatingUser")), "")
                    if user == AUTO_USER and not include_auto and coder is None:
                        continue
                    who = coder or user or "unknown"
                    hit = ours.get(cg) or resolver.resolve(info["name"])
                    if hit is None:
                        if strict:
                            unknown.add(info["name"] or cg)
                            continue
                        hit = (slug(info["parent_name"]) or "other", slug(info["name"]) or cg)
                    family, code = hit
                    for tix, cs, ce in pieces:
                        k = lay.turn_index.index(tix)
                        rows.append({"interview_id": iid, "turn_index": tix, "family": family, "code": code,
                                     "char_start": cs, "char_end": ce, "evidence": lay.texts[k][cs:ce],
                                     "polarity": polarity, "coder": who})
    if unknown:
        raise InputError(f"code(s) not in the codebook: {', '.join(sorted(unknown)[:10])} "
                         "(map them in the QDA tool, or import with --allow-unknown-codes)", path=path)
    frames = [human_rows([r for r in rows if r["coder"] == c], c) for c in sorted({r["coder"] for r in rows})]
    frames = [f for f in frames if len(f)]
    df = conform_codes(pd.concat(frames, ignore_index=True)) if frames else conform_codes(None)
    df = df.drop_duplicates(["interview_id", "turn_index", "code", "char_start", "char_end", "coder"])
    df = df.reset_index(drop=True)
    df.attrs["warnings"] = warnings
    return df
