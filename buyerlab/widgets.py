"""Small ipywidgets apps for exploring a coded study; each can be built and driven from Python.

An app holds its controls in ``app.controls`` (name -> ipywidget) and its current view in
attributes (``figure``, ``table``, ...). Setting a control's ``value`` recomputes the view,
so a test or a script can drive an app exactly as an analyst clicking in JupyterLab would.
Displaying an app shows the live widgets, or, in report mode (:func:`buyerlab.display.is_static`),
its current view as static HTML, because widgets do not survive an HTML export.

Figures are shown in an ``ipywidgets.Output`` rather than a plotly ``FigureWidget``: the
latter needs anywidget, and an Output holding a regular figure works in JupyterLab and Voila.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from buyerlab import charts, display
from buyerlab.analysis.claims import quote_sentence
from buyerlab.analysis.compare import MISSING, code_matrix
from buyerlab.analysis.evidence import quotes as find_quotes
from buyerlab.analysis.process import DEFAULT_STAGE_ORDER, interview_processes, process_flows
from buyerlab.errors import StudyError

ALL = "(all)"
GROUP_COLUMNS = ("segment", "country", "outcome", "language", "company_size", "role")
FILTER_COLUMNS = ("segment", "country", "outcome")
OVERVIEW_COLUMNS = ("segment", "country", "language", "outcome")
FAMILY_ORDER = ["trigger", "stakeholder", "motive", "barrier", "alternative", "stage"]
QUOTE_LIMIT = 200
TOP_TOPICS = 20


# --------------------------------------------------------------------------- data

@dataclass
class StudyFrames:
    """The tables the apps read: interviews, turns, codes, and the codebook for labels and order."""

    interviews: pd.DataFrame
    turns: pd.DataFrame
    codes: pd.DataFrame
    codebook: Any = None
    study: Any = None
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.interviews = self.interviews.assign(interview_id=self.interviews["interview_id"].astype(str))
        self.turns = self.turns.assign(interview_id=self.turns["interview_id"].astype(str))
        self.codes = self.codes.assign(interview_id=self.codes["interview_id"].astype(str))
        if self.codebook is not None and not self.labels:
            self.labels = {c.id: c.label for c in self.codebook.codes}
            self.labels.update({f.id: f.label for f in self.codebook.families})

    @property
    def families(self) -> list[str]:
        """Code families: the codebook's order, else the usual order, then any others seen."""
        if self.codebook is not None:
            base = [f.id for f in self.codebook.families]
        else:
            base = list(FAMILY_ORDER)
        seen = [f for f in pd.unique(self.codes["family"].dropna()) if f not in base]
        return base + sorted(seen)

    def family_codes(self, family: str | None) -> list[str]:
        """Code ids of a family (all families for None), codebook order first."""
        fams = self.families if family in (None, ALL) else [family]
        out: list[str] = []
        for fam in fams:
            if self.codebook is not None:
                out += [c.id for c in self.codebook.codes if c.family == fam]
            seen = self.codes.loc[self.codes["family"] == fam, "code"].dropna().unique()
            out += sorted(c for c in seen if c not in out)
        return out

    @property
    def stage_order(self) -> list[str]:
        """Stage codes in process order."""
        if self.codebook is not None:
            stages = [c.id for c in self.codebook.codes if c.family == "stage"]
            if stages:
                return stages
        return list(DEFAULT_STAGE_ORDER)

    def group_columns(self) -> list[str]:
        """Interview attributes worth grouping by, present in this study."""
        return [c for c in GROUP_COLUMNS if c in self.interviews.columns]

    def label(self, code: str) -> str:
        """Readable label of a code or family id."""
        return charts.label(code, self.labels)


def load_frames(study) -> StudyFrames:
    """Read a study's corpus and effective codes (after review, with human codes) for the apps."""
    from buyerlab.analysis import load_inputs
    from buyerlab.study import Study

    study = Study.of(study)
    interviews, turns, codes, codebook = load_inputs(study)
    return StudyFrames(interviews, turns, codes, codebook=codebook, study=study)


def _frames(study_or_frames) -> StudyFrames:
    return study_or_frames if isinstance(study_or_frames, StudyFrames) else load_frames(study_or_frames)


# --------------------------------------------------------------------------- overview

def study_counts(interviews: pd.DataFrame, columns: tuple[str, ...] = OVERVIEW_COLUMNS) -> pd.DataFrame:
    """Interviews per value of each attribute: attribute, value, n_interviews, share."""
    rows = []
    n = len(interviews)
    for col in columns:
        if col not in interviews.columns:
            continue
        values = interviews[col].astype("object").where(interviews[col].notna() & (interviews[col].astype(str) != ""),
                                                        MISSING).astype(str)
        for value, k in values.value_counts().sort_index().items():
            rows.append((col, value, int(k), k / n if n else float("nan")))
    return pd.DataFrame(rows, columns=["attribute", "value", "n_interviews", "share"])


def overview_chart(interviews: pd.DataFrame, x: str = "country", color: str = "outcome") -> go.Figure:
    """Stacked bars: interviews per ``x`` (e.g. country), split by ``color`` (e.g. outcome)."""
    for col in (x, color):
        if col not in interviews.columns:
            raise StudyError(f"interviews: no column {col!r} (add it to metadata.csv)")
    table = pd.crosstab(interviews[x].fillna(MISSING), interviews[color].fillna(MISSING))
    order = [o for o in charts.OUTCOME_ORDER if o in table.columns] + sorted(
        set(table.columns) - set(charts.OUTCOME_ORDER))
    fig = go.Figure()
    for value in order:
        fig.add_trace(go.Bar(
            name=str(value).replace("_", " "), x=table.index.astype(str).tolist(), y=table[value].tolist(),
            marker_color=charts.OUTCOME_COLORS.get(value) if color == "outcome" else None,
            hovertemplate=f"%{{x}}: %{{y}} interviews ({value})<extra></extra>",
        ))
    fig.update_layout(barmode="stack", title=f"Interviews per {x}, by {color}", height=380,
                      yaxis_title="interviews", xaxis_title=x)
    return fig


def ingest_warnings(study) -> pd.DataFrame:
    """Every warning and refusal in the study's ingest report: file, status, message."""
    from buyerlab.study import Study

    study = Study.of(study)
    path = study.output_dir / "ingest_report.json"
    if not path.exists():
        raise StudyError(f"{path}: not found; run `buyerlab ingest {study.path}` first")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudyError(f"{path}: cannot read the ingest report: {exc}") from None
    rows = []
    for f in report.get("files", []):
        if f.get("status") != "used":
            rows.append((f.get("file", ""), f.get("status", ""), f.get("reason", "")))
        for msg in f.get("warnings", []):
            rows.append((f.get("file", ""), "warning", msg))
    for iid in report.get("missing_transcripts", []):
        rows.append(("metadata.csv", "warning", f"{iid}: in metadata.csv but no transcript"))
    for iid in report.get("missing_metadata", []):
        rows.append(("metadata.csv", "warning", f"{iid}: transcript has no metadata.csv row"))
    for msg in report.get("metadata_warnings", []):
        rows.append(("metadata.csv", "warning", msg))
    return pd.DataFrame(rows, columns=["file", "status", "message"])


# --------------------------------------------------------------------------- transcript HTML

def _mark_style(family: str, polarity: str) -> str:
    color = charts.FAMILY_COLORS.get(family, charts.NEUTRAL)
    if polarity == "present":
        return f"background:{charts._rgba(color, 0.35)};border-bottom:2px solid {color};"
    # Negated or hypothetical: outlined, so it does not read as a finding.
    return f"background:transparent;border-bottom:2px dashed {color};"


def highlight(text: str, spans: pd.DataFrame, labels: dict[str, str] | None = None) -> str:
    """HTML of ``text`` with one ``<mark>`` per stretch covered by coded spans (family colour, code in title)."""
    if not isinstance(text, str):
        return ""
    cuts = {0, len(text)}
    items = []
    for r in spans.itertuples(index=False):
        s, e = int(max(0, r.char_start)), int(min(len(text), r.char_end))
        if e <= s:
            continue
        cuts.update((s, e))
        items.append((s, e, r.family, r.code, getattr(r, "polarity", "present") or "present"))
    bounds = sorted(cuts)
    out = []
    for a, b in zip(bounds, bounds[1:]):
        piece = html.escape(text[a:b])
        covering = [it for it in items if it[0] <= a and b <= it[1]]
        if not covering:
            out.append(piece)
            continue
        # The narrowest span decides the colour: it is the most specific evidence.
        s, e, fam, code, pol = min(covering, key=lambda it: (it[1] - it[0], it[2]))
        title = "; ".join(f"{f}: {charts.label(c, labels)}" + ("" if p == "present" else f" ({p})")
                          for _, _, f, c, p in covering)
        out.append(f'<mark class="bl-{html.escape(fam)}" data-code="{html.escape(code)}" '
                   f'style="{_mark_style(fam, pol)}" title="{html.escape(title)}">{piece}</mark>')
    return "".join(out)


def legend_html(families: list[str], labels: dict[str, str] | None = None) -> str:
    """A one-line legend of family colours, and how negated / hypothetical mentions look."""
    items = [f'<mark style="{_mark_style(f, "present")}">{html.escape(charts.label(f, labels))}</mark>'
             for f in families]
    items.append(f'<mark style="{_mark_style("motive", "negated")}">negated or hypothetical</mark>')
    return '<div style="font-size:12.5px;margin:4px 0;">' + " &nbsp; ".join(items) + "</div>"


def transcript_html(turns: pd.DataFrame, codes: pd.DataFrame, families: list[str] | None = None,
                    labels: dict[str, str] | None = None, show_interviewer: bool = True) -> str:
    """One interview's turns as HTML, coded spans highlighted per family colour."""
    t = turns.sort_values("turn_index")
    c = codes if families is None else codes[codes["family"].isin(families)]
    by_turn = dict(tuple(c.groupby("turn_index"))) if len(c) else {}
    rows = []
    for r in t.itertuples(index=False):
        if not show_interviewer and r.role == "interviewer":
            continue
        spans = by_turn.get(r.turn_index, c.iloc[0:0])
        who = html.escape(str(r.speaker))
        weight = "400" if r.role == "interviewer" else "600"
        colour = "#666" if r.role == "interviewer" else "#222"
        rows.append(
            f'<div class="bl-turn" data-turn="{int(r.turn_index)}" style="margin:0 0 8px 0;line-height:1.55;'
            f'color:{colour};"><span style="font-weight:{weight};">{who}</span> '
            f'<span style="color:#999;font-size:11px;">#{int(r.turn_index)} {html.escape(str(r.role))}</span><br>'
            f"{highlight(r.text, spans, labels)}</div>")
    return '<div class="bl-transcript" style="max-width:900px;">' + "".join(rows) + "</div>"


# --------------------------------------------------------------------------- apps

class App:
    """Base of the apps: controls, a recompute on every change, a live or a static view."""

    def __init__(self) -> None:
        self.controls: dict[str, w.ValueWidget] = {}
        self._view: w.Widget | None = None
        self._busy = False

    def _watch(self) -> None:
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name), names="value")

    def _on_change(self, name: str) -> None:
        if self._busy:
            return  # a dependent control being reset by _changed: one refresh is enough
        self._busy = True
        try:
            self._changed(name)
            self.refresh()
        finally:
            self._busy = False

    def _changed(self, name: str) -> None:
        """Update dependent controls (options) after control ``name`` changed."""

    def refresh(self) -> None:
        """Recompute the view from the controls and redraw it if it is shown."""
        self._compute()
        if self._view is not None:
            self._render()

    def _compute(self) -> None:
        raise NotImplementedError

    def _render(self) -> None:
        raise NotImplementedError

    def _build(self) -> w.Widget:
        raise NotImplementedError

    def show_static(self) -> None:
        """Show the current view as static HTML (report mode)."""
        raise NotImplementedError

    def widget(self) -> w.Widget:
        """The live widget (built once, then kept in step with the controls)."""
        if self._view is None:
            self._view = self._build()
            self._render()
        return self._view

    def _ipython_display_(self) -> None:
        if display.is_static():
            self.show_static()
        else:
            from IPython.display import display as ipy_display

            ipy_display(self.widget())


def _dropdown(description: str, options, value=None, width: str = "240px") -> w.Dropdown:
    options = list(options)
    return w.Dropdown(description=description, options=options,
                      value=value if value is not None else (options[0][1] if options and isinstance(options[0], tuple)
                                                             else (options[0] if options else None)),
                      layout=w.Layout(width=width), style={"description_width": "initial"})


def _show_in(out: w.Output, *items) -> None:
    out.clear_output(wait=True)
    with out:
        for item in items:
            display.show(item)


def _values(frame: pd.DataFrame, col: str) -> list[str]:
    v = frame[col].astype("object").where(frame[col].notna(), MISSING).astype(str)
    return sorted(v.unique())


def quote_html(text: str, char_start: int, char_end: int, evidence: str) -> str:
    """The sentence around a coded span, escaped, with the span itself in ``<mark>``."""
    sentence = quote_sentence(text, char_start, char_end) or str(evidence or "")
    if not isinstance(text, str):
        return html.escape(sentence)
    lo = text.find(sentence) if sentence else -1
    s, e = int(char_start) - lo, int(char_end) - lo
    if lo < 0 or s < 0 or e > len(sentence):
        return html.escape(sentence)
    return (html.escape(sentence[:s]) + "<mark>" + html.escape(sentence[s:e]) + "</mark>"
            + html.escape(sentence[e:]))


def _static_note(app: "App", names: list[str]) -> None:
    # A static page cannot be changed: say which choices it shows and where to change them.
    parts = []
    for n in names:
        if n in app.controls:
            control = app.controls[n]
            parts.append(f"{n.replace('_', ' ')}: {getattr(control, 'label', None) or control.value}")
    chosen = "; ".join(parts)
    display.note(f"Showing {chosen}. Open this notebook in JupyterLab or run `buyerlab dashboard STUDY` to choose.")


class CodesExplorer(App):
    """Filter by family, code, segment, country and outcome; a matrix of shares; the quotes of one cell."""

    def __init__(self, study_or_frames, family: str | None = "motive", by: str | None = None) -> None:
        super().__init__()
        self.frames = f = _frames(study_or_frames)
        families = [ALL] + [x for x in f.families if x in set(f.codes["family"]) or f.codebook is not None]
        family = family if family in families else ALL
        groups = f.group_columns()
        if not groups:
            raise StudyError("interviews: no attribute to compare by (add segment or country to metadata.csv)")
        by = by if by in groups else ("country" if "country" in groups else groups[0])
        self.controls["family"] = _dropdown("Family", [(f.label(x) if x != ALL else ALL, x) for x in families],
                                            family)
        self.controls["codes"] = w.SelectMultiple(description="Codes (none = all)", options=[], rows=6,
                                                  style={"description_width": "initial"},
                                                  layout=w.Layout(width="300px"))
        self.controls["by"] = _dropdown("Compare by", groups, by)
        for col in FILTER_COLUMNS:
            if col in f.interviews.columns:
                self.controls[col] = _dropdown(col.capitalize(), [ALL] + _values(f.interviews, col), ALL,
                                               width="200px")
        self.controls["quote_code"] = _dropdown("Quotes for code", [], width="300px")
        self.controls["quote_group"] = _dropdown("in group", [], width="260px")
        self._last_change = ""
        self._set_code_options()
        self._compute()
        self._watch()

    # dependent options
    def _set_code_options(self) -> None:
        fam = self.controls["family"].value
        self.controls["codes"].options = [(self.frames.label(c), c) for c in self.frames.family_codes(fam)]
        self.controls["codes"].value = ()

    def _set_quote_options(self) -> None:
        m = self.matrix
        if m.empty:
            codes, groups = [], []
        else:
            # The most mentioned codes first: the quotes an analyst most likely wants.
            order = m.groupby("code")["n_mentioning"].sum().sort_values(ascending=False, kind="stable")
            codes = [(self.frames.label(c), c) for c in order.index]
            groups = list(dict.fromkeys(m["group"]))
        qc, qg = self.controls["quote_code"], self.controls["quote_group"]
        keep_c, keep_g = qc.value, qg.value
        qc.options, qg.options = codes, groups
        ids = [c for _, c in codes]
        qc.value = keep_c if keep_c in ids else (ids[0] if ids else None)
        qg.value = keep_g if keep_g in groups else (groups[0] if groups else None)
        if qc.value is not None and self._last_change != "quote_group":
            k = m[m["code"] == qc.value].set_index("group")["n_mentioning"]
            if k.get(qg.value, 0) == 0 and k.max() > 0:
                qg.value = k.idxmax()  # a cell with no quotes is never a useful place to start

    def _changed(self, name: str) -> None:
        self._last_change = name
        if name == "family":
            self._set_code_options()

    # computation
    def selected_interviews(self) -> pd.DataFrame:
        """Interviews passing the segment / country / outcome filters."""
        iv = self.frames.interviews
        for col in FILTER_COLUMNS:
            if col in self.controls and self.controls[col].value != ALL:
                values = iv[col].astype("object").where(iv[col].notna(), MISSING).astype(str)
                iv = iv[values == self.controls[col].value]
        return iv

    def _compute(self) -> None:
        f = self.frames
        fam = self.controls["family"].value
        chosen = list(self.controls["codes"].value)
        by = self.controls["by"].value
        interviews = self.selected_interviews()
        codebook = f.codebook
        if interviews.empty:
            self.matrix = pd.DataFrame(columns=["code", "family", "group", "n_interviews_in_group",
                                                "n_mentioning", "share", "q"])
        else:
            self.matrix = code_matrix(f.codes, interviews, by, family=None if fam == ALL else fam,
                                      codebook=codebook)
            if chosen:
                self.matrix = self.matrix[self.matrix["code"].isin(chosen)].reset_index(drop=True)
        what = "all families" if fam == ALL else f.label(fam)
        title = f"{what}: share of interviews per {by} (n = {len(interviews)}; * q < 0.05)"
        if self.matrix.empty:
            self.figure = go.Figure(layout=dict(title=f"{what}: no interviews or codes match the filters"))
        else:
            self.figure = charts.motive_heatmap(self.matrix, self.frames.labels, title=title)
            self.figure.update_layout(height=max(360, 26 * self.matrix["code"].nunique() + 160))
        self.table = self._table()
        self._set_quote_options()
        self._compute_quotes()

    def _table(self) -> pd.DataFrame:
        m = self.matrix
        if m.empty:
            return pd.DataFrame(columns=["code"])
        m = m.assign(cell=[f"{s:.0%} ({k}/{n})" for s, k, n in zip(m["share"], m["n_mentioning"],
                                                                   m["n_interviews_in_group"])])
        table = m.pivot(index="code", columns="group", values="cell")
        table = table.reindex(index=list(dict.fromkeys(m["code"])), columns=list(dict.fromkeys(m["group"])))
        q = m.drop_duplicates("code").set_index("code")["q"]
        table.insert(0, "code", [self.frames.label(c) for c in table.index])
        table["q"] = [f"{v:.3f}" if pd.notna(v) else "" for v in q.reindex(table.index)]
        return table.reset_index(drop=True)

    def _compute_quotes(self) -> None:
        code, group = self.controls["quote_code"].value, self.controls["quote_group"].value
        by = self.controls["by"].value
        cols = ["interview_id", "speaker", "turn_index", by, "quote"]
        if code is None or group is None:
            self.quotes = pd.DataFrame(columns=cols)
            return
        q = find_quotes(self.frames.codes, self.frames.turns, self.selected_interviews(), code=code,
                        group={by: group}, limit=QUOTE_LIMIT)
        q["quote"] = [quote_html(t, s, e, ev) for t, s, e, ev in
                      zip(q["text"], q["char_start"], q["char_end"], q["evidence"])]
        self.quotes = q[[c for c in cols if c in q.columns]].reset_index(drop=True)

    # views
    def _quotes_caption(self) -> str:
        code, group = self.controls["quote_code"].value, self.controls["quote_group"].value
        if code is None:
            return "no quotes: nothing matches the filters"
        return f"{len(self.quotes)} quote(s) for {self.frames.label(code)} in {group}"

    def _build(self) -> w.Widget:
        c = self.controls
        filters = [c[col] for col in FILTER_COLUMNS if col in c]
        self._fig_out, self._table_html, self._quotes_html = w.Output(), w.HTML(), w.HTML()
        return w.VBox([
            w.HBox([c["family"], c["by"], *filters], layout=w.Layout(flex_flow="row wrap")),
            c["codes"], self._fig_out, self._table_html,
            w.HTML("<b>Quotes behind a cell</b>"), w.HBox([c["quote_code"], c["quote_group"]]),
            self._quotes_html,
        ])

    def _render(self) -> None:
        _show_in(self._fig_out, self.figure)
        self._table_html.value = display.TABLE_CSS + display.table_html(self.table, max_rows=None)
        self._quotes_html.value = display.TABLE_CSS + display.table_html(
            self.quotes, caption=self._quotes_caption(), html_columns=["quote"])

    def show_static(self) -> None:
        """The heatmap, the matrix and the quotes of the chosen cell, as static HTML."""
        _static_note(self, ["family", "by", *FILTER_COLUMNS])
        display.show(self.figure)
        display.show(self.table, max_rows=None)
        display.show(self.quotes, caption=self._quotes_caption(), max_rows=20, html_columns=["quote"])


class TranscriptReader(App):
    """Pick an interview and read its turns, coded spans highlighted in their family colour."""

    def __init__(self, study_or_frames, interview_id: str | None = None) -> None:
        super().__init__()
        self.frames = f = _frames(study_or_frames)
        iv = f.interviews
        options = []
        for r in iv.itertuples(index=False):
            bits = [str(getattr(r, c)) for c in FILTER_COLUMNS if c in iv.columns and pd.notna(getattr(r, c))]
            options.append((f"{r.interview_id} ({', '.join(bits)})" if bits else r.interview_id, r.interview_id))
        if not options:
            raise StudyError("interviews: the study has no interviews to read")
        ids = [v for _, v in options]
        self.controls["interview"] = _dropdown("Interview", options,
                                               interview_id if interview_id in ids else ids[0], width="360px")
        fams = f.families
        self.controls["families"] = w.SelectMultiple(description="Highlight", options=[(f.label(x), x) for x in fams],
                                                     value=tuple(fams), rows=min(6, len(fams)),
                                                     style={"description_width": "initial"})
        self.controls["show_interviewer"] = w.Checkbox(description="show interviewer turns", value=True)
        self._compute()
        self._watch()

    def _compute(self) -> None:
        f = self.frames
        iid = self.controls["interview"].value
        fams = list(self.controls["families"].value)
        turns = f.turns[f.turns["interview_id"] == iid]
        codes = f.codes[(f.codes["interview_id"] == iid) & f.codes["family"].isin(fams)]
        self.html = transcript_html(turns, codes, fams, f.labels, self.controls["show_interviewer"].value)
        table = codes.sort_values(["turn_index", "char_start"])[
            ["turn_index", "family", "code", "polarity", "evidence"]].copy()
        table["code"] = [f.label(c) for c in table["code"]]
        self.table = table.reset_index(drop=True)
        row = f.interviews[f.interviews["interview_id"] == iid].iloc[0]
        attrs = [f"{c}: {row[c]}" for c in ("segment", "country", "language", "role", "outcome", "date")
                 if c in row.index and pd.notna(row[c])]
        self.header = f"<b>{html.escape(iid)}</b> ({html.escape('; '.join(attrs))}): {len(turns)} turns, " \
                      f"{int((codes['polarity'] == 'present').sum())} coded spans"

    def _build(self) -> w.Widget:
        c = self.controls
        self._html = w.HTML(layout=w.Layout(max_height="560px", overflow_y="auto", border="1px solid #ddd",
                                            padding="8px"))
        self._head = w.HTML()
        return w.VBox([w.HBox([c["interview"], c["families"], c["show_interviewer"]]),
                       w.HTML(legend_html(self.frames.families, self.frames.labels)), self._head, self._html])

    def _render(self) -> None:
        self._head.value = self.header
        self._html.value = self.html

    def show_static(self) -> None:
        """The chosen interview's transcript with its highlights, as static HTML."""
        from IPython.display import HTML, display as ipy_display

        ipy_display(HTML(legend_html(self.frames.families, self.frames.labels) + f"<p>{self.header}</p>"
                         + '<div style="max-height:560px;overflow-y:auto;border:1px solid #ddd;padding:8px;">'
                         + self.html + "</div>"))


class ProcessExplorer(App):
    """The decision process: a Sankey per group, and one interview's stage timeline."""

    def __init__(self, study_or_frames, by: str | None = "segment", interview_id: str | None = None) -> None:
        super().__init__()
        self.frames = f = _frames(study_or_frames)
        self.processes = interview_processes(f.codes, f.turns, f.interviews, f.stage_order)
        groups = [ALL] + [c for c in f.group_columns() if c in self.processes.columns]
        self.controls["by"] = _dropdown("Compare by", groups, by if by in groups else ALL)
        self.controls["group"] = _dropdown("Group", [])
        ids = sorted(self.processes["interview_id"].unique())
        self.controls["interview"] = _dropdown("Interview", ids, interview_id if interview_id in ids else None)
        self._set_group_options()
        self._compute()
        self._watch()

    def _by(self) -> str | None:
        by = self.controls["by"].value
        return None if by == ALL else by

    def _set_group_options(self) -> None:
        # Stages in process order, each once: spoken-order loops are in the timeline below.
        self.flows = process_flows(self.processes, self._by(), canonical=True)
        groups = list(dict.fromkeys(self.flows["group"]))
        g = self.controls["group"]
        keep = g.value
        g.options = groups
        g.value = keep if keep in groups else (groups[0] if groups else None)

    def _changed(self, name: str) -> None:
        if name == "by":
            self._set_group_options()

    def _compute(self) -> None:
        group = self.controls["group"].value
        self.figure = charts.process_sankey(self.flows, group if self._by() else None, self.frames.labels,
                                            stage_order=self.frames.stage_order)
        iid = self.controls["interview"].value
        self.timeline = charts.stage_timeline(self.processes, iid, self.frames.labels)
        p = self.processes[self.processes["interview_id"] == iid]
        cols = ["step", "stage", "first_turn", "last_turn", "moved", "cues", "triggers", "stakeholders",
                "motives", "barriers", "alternatives"]
        table = p[[c for c in cols if c in p.columns]].copy()
        table["stage"] = [self.frames.label(s) if isinstance(s, str) else "(no stage coded)" for s in table["stage"]]
        self.table = table.reset_index(drop=True)

    def _build(self) -> w.Widget:
        c = self.controls
        self._fig_out, self._tl_out, self._table_html = w.Output(), w.Output(), w.HTML()
        return w.VBox([w.HBox([c["by"], c["group"]]), self._fig_out,
                       c["interview"], self._tl_out, self._table_html])

    def _render(self) -> None:
        _show_in(self._fig_out, self.figure)
        _show_in(self._tl_out, self.timeline)
        self._table_html.value = display.TABLE_CSS + display.table_html(self.table, max_rows=None)

    def show_static(self) -> None:
        """The chosen group's Sankey and the chosen interview's timeline, as static HTML."""
        _static_note(self, ["by", "group", "interview"])
        display.show(self.figure)
        display.show(self.timeline)
        display.show(self.table, max_rows=None)


# --------------------------------------------------------------------------- themes

def _as_list(value) -> list:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [str(v) for v in list(value)]


def load_topics(study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A study's topics table and topics-per-class table (``buyerlab topics`` outputs)."""
    from buyerlab.study import Study

    study = Study.of(study)
    out = []
    for name in ("topics", "topics_per_class"):
        path = study.output_dir / f"{name}.parquet"
        if not path.exists():
            raise StudyError(f"{path}: not found; run `buyerlab topics {study.path}` first")
        out.append(pd.read_parquet(path))
    return out[0], out[1]


def _short(text: str, limit: int = 48) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def top_topics(topics: pd.DataFrame, top: int | None = TOP_TOPICS) -> pd.DataFrame:
    """The largest ``top`` topics (outliers, topic -1, left out), largest first."""
    t = topics[topics["topic"] != -1].sort_values(["size", "topic"], ascending=[False, True], kind="stable")
    return t.head(top) if top else t


def topic_sizes_chart(topics: pd.DataFrame, top: int | None = TOP_TOPICS) -> go.Figure:
    """Horizontal bars: segments per topic (the ``top`` largest), coloured by the code family it is attached to."""
    t = top_topics(topics, top).iloc[::-1]
    fams = t["mapped_family"].where(t["mapped_family"].notna(), None)
    colors = [charts.FAMILY_COLORS.get(f, charts.NEUTRAL) if f else charts.NEUTRAL for f in fams]
    fig = go.Figure(go.Bar(
        y=[f"{int(k)}: {_short(lbl)}" for k, lbl in zip(t["topic"], t["label"])], x=t["size"].tolist(),
        orientation="h", marker_color=colors,
        customdata=[[f or "none (suggested as a new code)"] for f in fams],
        hovertemplate="%{y}<br>%{x} segments<br>attached to family: %{customdata[0]}<extra></extra>",
    ))
    n = (topics["topic"] != -1).sum()
    shown = f"the {len(t)} largest of {n} topics" if len(t) < n else f"{n} topics"
    fig.update_layout(title=f"Segments per topic, {shown} (colour: the code family it is attached to; grey: none)",
                      height=max(320, 26 * len(t) + 140), xaxis_title="segments", margin=dict(l=10))
    return fig


class ThemesExplorer(App):
    """Topics per segment or country; choose a topic to read its keywords and representative quotes."""

    def __init__(self, study_or_tables, by: str | None = "segment") -> None:
        super().__init__()
        if isinstance(study_or_tables, tuple):
            self.topics, self.per_class = study_or_tables
        else:
            self.topics, self.per_class = load_topics(study_or_tables)
        bys = list(dict.fromkeys(self.per_class["by"])) if "by" in self.per_class.columns else []
        if not bys:
            raise StudyError("topics_per_class: no segment or country to compare topics by")
        self.controls["by"] = _dropdown("Topics by", bys, by if by in bys else bys[0])
        real = self.topics[self.topics["topic"] != -1].sort_values("size", ascending=False)
        options = [(f"{int(k)}: {_short(lbl, 70)}", int(k)) for k, lbl in zip(real["topic"], real["label"])]
        self.controls["topic"] = _dropdown("Topic", options, width="420px")
        self.sizes_figure = topic_sizes_chart(self.topics)
        self._compute()
        self._watch()

    def _compute(self) -> None:
        by = self.controls["by"].value
        keep = top_topics(self.topics)["topic"].tolist()
        pc = self.per_class[(self.per_class["by"] == by) & self.per_class["topic"].isin(keep)]
        labels = {k: _short(v) for k, v in zip(self.topics["topic"], self.topics["label"])}
        z = pc.pivot_table(index="topic", columns="class", values="share", aggfunc="first").reindex(
            [k for k in keep if k in set(pc["topic"])]).fillna(0.0)
        counts = pc.pivot_table(index="topic", columns="class", values="count", aggfunc="first").reindex_like(z)
        self.figure = go.Figure(go.Heatmap(
            z=z.to_numpy(), x=[str(c) for c in z.columns], y=[f"{int(k)}: {labels.get(k, k)}" for k in z.index],
            zmin=0, colorscale=[[0, "#FFFFFF"], [1, "#0072B2"]], colorbar=dict(title="share", tickformat=".0%"),
            text=[[f"{v:.0%}" for v in row] for row in z.to_numpy()], texttemplate="%{text}",
            customdata=counts.fillna(0).to_numpy(),
            hovertemplate="%{y} in %{x}: %{customdata} segments (%{z:.0%} of its segments)<extra></extra>",
        ))
        self.figure.update_yaxes(autorange="reversed")
        self.figure.update_layout(title=f"The largest topics per {by}: share of each {by}'s segments",
                                  height=max(320, 26 * len(z) + 160))
        self.by_table = pc.copy()
        topic = self.controls["topic"].value
        row = self.topics[self.topics["topic"] == topic]
        if row.empty:
            self.table = pd.DataFrame(columns=["quote"])
            self.caption = "no topic chosen"
            return
        r = row.iloc[0]
        self.table = pd.DataFrame({"quote": _as_list(r.get("representative_quotes"))})
        mapped = r.get("mapped_code")
        where = f"attached to code {mapped}" if isinstance(mapped, str) and mapped else "not covered by any code"
        self.caption = (f"topic {int(topic)}: {r['label']} ({int(r['size'])} segments, {where}); keywords: "
                        f"{', '.join(_as_list(r.get('keywords'))[:10])}")

    def _build(self) -> w.Widget:
        c = self.controls
        self._fig_out, self._table_html = w.Output(), w.HTML()
        return w.VBox([c["by"], self._fig_out, c["topic"], self._table_html])

    def _render(self) -> None:
        _show_in(self._fig_out, self.figure)
        self._table_html.value = display.TABLE_CSS + display.table_html(self.table, caption=self.caption)

    def show_static(self) -> None:
        """The topics heatmap and the chosen topic's quotes, as static HTML."""
        _static_note(self, ["by", "topic"])
        display.show(self.figure)
        display.show(self.table, caption=self.caption)


def suggested_codes(study) -> pd.DataFrame:
    """Topics no code covers, as suggested codes: id, family, label, size, nearest code, an example."""
    from buyerlab.study import Study

    study = Study.of(study)
    topics, _ = load_topics(study)
    columns = ["id", "family", "label", "size", "nearest_code", "nearest_similarity", "example"]
    try:
        from types import SimpleNamespace

        from buyerlab.codebook import load_codebook
        from buyerlab.themes import suggest_codes

        # suggest_codes reads only the topic table and settings of a theme result.
        stand_in = SimpleNamespace(topic_info=topics, texts=[], languages=None, settings={})
        found = suggest_codes(stand_in, load_codebook(study.config.codebook))
        rows = [{**s, "example": next(iter(sum(s.get("examples", {}).values(), [])), "")} for s in found]
        if not rows:
            return pd.DataFrame(columns=columns)
        return (pd.DataFrame(rows).reindex(columns=columns)
                .sort_values("size", ascending=False, kind="stable").reset_index(drop=True))
    except (ImportError, AttributeError, KeyError, TypeError):
        open_topics = topics[(topics["topic"] != -1) & topics["mapped_code"].isna()]
        return pd.DataFrame({
            "id": [f"topic_{int(t)}" for t in open_topics["topic"]], "family": "new",
            "label": open_topics["label"], "size": open_topics["size"],
            "nearest_code": open_topics["nearest_code"], "nearest_similarity": open_topics["nearest_similarity"],
            "example": [(_as_list(q) or [""])[0] for q in open_topics["representative_quotes"]],
        }, columns=columns)


# --------------------------------------------------------------------------- reliability

def reliability_tables(study, coder: str | None = None) -> dict:
    """Agreement of the automatic codes with a human coder: {'message', 'agreement', 'disagreements'}."""
    from buyerlab.study import Study

    study = Study.of(study)
    none = {"agreement": None, "disagreements": None}
    try:
        from buyerlab import agreement as agr
        from buyerlab.corpus import Corpus
        from buyerlab.qda import human_coders
    except ImportError:
        return {"message": "This version of buyerlab has no agreement module: reliability cannot be computed.",
                **none}
    coders = human_coders(study)
    if not coders:
        return {"message": ("No human coding in this study yet, so there is nothing to compare the automatic "
                            "codes with. Have a colleague code a few interviews (e.g. in Taguette or any QDA "
                            "tool), import them with `buyerlab qda import STUDY FILE`, and rerun this notebook."),
                **none}
    coder = coder if coder in coders else coders[0]
    try:
        table = agr.agreement(study, "auto", coder)
        a, b = agr.load_coder(study, "auto"), agr.load_coder(study, coder)
        dis = agr.disagreements(a, b, Corpus.load(study))
    except agr.AgreementError as exc:
        return {"message": f"Agreement with {coder} cannot be computed: {exc}", **none}
    # The overall and per-family rows first: what a reader wants before the per-code detail.
    order = {"all": 0, "family": 1, "code": 2}
    attrs = dict(table.attrs)
    table = table.sort_values("level", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    table.attrs.update(attrs)
    n = len(table.attrs.get("interviews", []))
    return {"message": f"Automatic codes (a) vs {coder} (b) on {n} interview(s) both coded; "
                       f"{table.attrs.get('definition', '')}",
            "agreement": table, "disagreements": dis}
