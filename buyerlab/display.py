"""How figures and tables are shown: live in JupyterLab / Voila, or static in an exported report.

A notebook calls :func:`setup` once, then :func:`show` for every figure or table. In report
mode (``BUYERLAB_STATIC=1``, set by ``buyerlab report``) a figure becomes a plain HTML
``<div>`` plus a ``Plotly.newPlot`` call, and :func:`setup` embeds plotly.js once from the
installed plotly package, so the exported HTML file works offline. Widgets do not survive
export, so the apps in :mod:`buyerlab.widgets` ask :func:`is_static` and show their current
view this way instead of an empty widget box.
"""

from __future__ import annotations

import html
import os
import uuid
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

STATIC_ENV = "BUYERLAB_STATIC"
STUDY_ENV = "BUYERLAB_STUDY"
DEFAULT_HEIGHT = 460
TABLE_ROWS = 60

# The CSS every report page and widget table shares; small on purpose.
TABLE_CSS = """
<style>
.buyerlab-table {border-collapse: collapse; font-size: 12.5px; margin: 6px 0 14px 0;}
.buyerlab-table th, .buyerlab-table td {border-bottom: 1px solid #ddd; padding: 3px 8px;
  text-align: left !important; vertical-align: top;}
.buyerlab-table th {background: #f3f5f7; font-weight: 600;}
.buyerlab-table td.num {text-align: right !important; font-variant-numeric: tabular-nums;}
.buyerlab-table mark {background: rgba(0,158,115,0.3); padding: 0 1px;}
.buyerlab-caption {font-size: 12px; color: #555; margin: 2px 0 6px 0;}
.buyerlab-row {display: flex; flex-wrap: wrap; gap: 12px;}
.buyerlab-row > div {flex: 1 1 420px; min-width: 360px;}
</style>
"""

_state = {"plotlyjs_sent": False, "css_sent": False}


def is_static() -> bool:
    """True in report mode: show current views as static HTML instead of live widgets."""
    return os.environ.get(STATIC_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def study_path(default: str = "../data/sample") -> str:
    """The study folder a notebook works on: ``$BUYERLAB_STUDY`` or ``default``."""
    return os.environ.get(STUDY_ENV, default)


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def _html(text: str):
    from IPython.display import HTML

    return HTML(text)


def setup() -> None:
    """Prepare the notebook once: plotly.js (report mode) or plotly's JupyterLab renderer (live)."""
    if is_static():
        if not _state["plotlyjs_sent"]:
            from plotly.offline import get_plotlyjs

            # Inline, once per notebook: the report must open without any network.
            _display(_html(f'<script type="text/javascript">{get_plotlyjs()}</script>' + TABLE_CSS))
            _state["plotlyjs_sent"] = _state["css_sent"] = True
        return
    import plotly.io as pio

    # JupyterLab and Voila render this mimetype with the jupyterlab-plotly extension that
    # ships with plotly; the "notebook" renderers would inject require.js code instead.
    pio.renderers.default = "plotly_mimetype"
    if not _state["css_sent"]:
        _display(_html(TABLE_CSS))
        _state["css_sent"] = True


def figure_html(fig: go.Figure, div_id: str | None = None) -> str:
    """A figure as a ``<div>`` and its ``Plotly.newPlot`` script, without plotly.js itself."""
    height = fig.layout.height or DEFAULT_HEIGHT
    return fig.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id or f"fig-{uuid.uuid4().hex[:12]}",
        default_height=f"{int(height)}px", default_width="100%",
        config={"responsive": True, "displaylogo": False},
    )


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value, column: str) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "", False
    if isinstance(value, float):
        if column in {"share", "ci_low", "ci_high"} or column.startswith("share"):
            return f"{value:.0%}", True
        return f"{value:.3g}", True
    if _is_number(value):
        return str(value), True
    return html.escape(str(value)), False


def table_html(frame: pd.DataFrame, max_rows: int | None = TABLE_ROWS, caption: str | None = None,
               index: bool = False, html_columns: Sequence[str] = ()) -> str:
    """A DataFrame as a compact HTML table (shares as percentages, long tables cut with a note).

    ``html_columns`` hold trusted, already escaped HTML (e.g. quotes with ``<mark>``).
    """
    data = frame.reset_index() if index else frame
    shown = data if max_rows is None else data.head(max_rows)
    cols = [str(c) for c in shown.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for row in shown.itertuples(index=False):
        cells = []
        for col, value in zip(cols, row):
            if col in html_columns:
                cells.append(f"<td>{value}</td>")
                continue
            text, numeric = _cell(value, col)
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if max_rows is not None and len(data) > max_rows:
        note = f'<div class="buyerlab-caption">first {max_rows} of {len(data)} rows</div>'
    cap = f'<div class="buyerlab-caption">{html.escape(caption)}</div>' if caption else ""
    return (f'{cap}<table class="buyerlab-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{note}')


def show(obj, caption: str | None = None, max_rows: int | None = TABLE_ROWS,
         html_columns: Sequence[str] = ()) -> None:
    """Show a plotly figure, a DataFrame or an app: live in a notebook, static in a report."""
    if isinstance(obj, go.Figure):
        if is_static():
            _display(_html(figure_html(obj)))
        else:
            obj.show()
        return
    if isinstance(obj, pd.DataFrame):
        _display(_html(table_html(obj, max_rows=max_rows, caption=caption, html_columns=html_columns)))
        return
    _display(obj)


def show_row(figures: Sequence[go.Figure], height: int = 520) -> None:
    """Figures side by side (e.g. one Sankey per segment), wrapping on narrow screens."""
    figures = list(figures)
    if not figures:
        return
    for fig in figures:
        fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10))
    if is_static():
        row_id = f"row-{uuid.uuid4().hex[:12]}"
        cells = "".join(f"<div>{figure_html(f)}</div>" for f in figures)
        # Each figure is drawn as soon as its div is parsed, when the row holds only the figures
        # before it (so it is drawn too wide); once the whole row exists, fit them to their cells.
        fit = (f'<script type="text/javascript">document.querySelectorAll("#{row_id} .js-plotly-plot")'
               f'.forEach(function (p) {{ Plotly.Plots.resize(p); }});</script>')
        _display(_html(f'<div class="buyerlab-row" id="{row_id}">{cells}</div>{fit}'))
        return
    import ipywidgets as w

    boxes = []
    for fig in figures:
        out = w.Output(layout=w.Layout(flex="1 1 420px", min_width="360px"))
        with out:
            fig.show()
        boxes.append(out)
    _display(w.HBox(boxes, layout=w.Layout(flex_flow="row wrap")))


def note(text: str) -> None:
    """A short line of prose in the output (e.g. why a section is empty)."""
    _display(_html(f'<p class="buyerlab-caption">{html.escape(text)}</p>'))
