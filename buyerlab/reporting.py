"""``buyerlab report``: execute the notebooks on a study and write self-contained HTML reports.

Each notebook runs in a fresh python3 kernel of this environment with ``BUYERLAB_STUDY``
pointing at the study and ``BUYERLAB_STATIC=1``, so its apps show their current view as
static figures and tables. The export uses nbconvert's lab template without require.js,
MathJax, mermaid or the widget manager (all loaded from CDNs); plotly.js is embedded once
per page by :func:`buyerlab.display.setup`. The pages open offline, from a file or a share.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from buyerlab.display import STATIC_ENV, STUDY_ENV
from buyerlab.errors import BuyerlabError, StudyError
from buyerlab.study import Study

REPORT_DIR = "report"
KERNEL = "python3"
CELL_TIMEOUT = 900

TEMPLATE_NAME = "buyerlab_report.html.j2"
# The lab template minus everything it would fetch from the network.
TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}
<style>
main {max-width: 1180px; margin: 0 auto; padding: 0 12px 40px 12px;}
.buyerlab-nav {font: 13px sans-serif; padding: 10px 0; border-bottom: 1px solid #ddd; margin-bottom: 8px;}
.buyerlab-nav a {color: #0072B2; text-decoration: none;}
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
<nav class="buyerlab-nav"><a href="index.html">&larr; {{ resources.buyerlab_study | e }}: all reports</a>
 &middot; generated {{ resources.buyerlab_date | e }}</nav>
{%- endblock body_header -%}
"""


class ReportError(BuyerlabError):
    """A notebook failed while building the report; its page shows the error."""


# --------------------------------------------------------------------------- notebooks

def notebooks_dir() -> Path:
    """The folder of the bundled notebooks: in the installed package, else in the source checkout."""
    import buyerlab

    here = Path(buyerlab.__file__).resolve().parent
    for candidate in (here / "notebooks", here.parent / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("[0-9]*.ipynb")):
            return candidate
    raise StudyError(f"{here}: no notebooks found (looked in {here / 'notebooks'} and {here.parent / 'notebooks'})")


def notebook_paths(names: Iterable[str] | None = None) -> list[Path]:
    """The numbered notebooks in order, or those whose name starts with one of ``names``."""
    paths = sorted(notebooks_dir().glob("[0-9]*.ipynb"))
    if names is None:
        return paths
    chosen = []
    for name in names:
        hits = [p for p in paths if p.stem == name or p.stem.startswith(name) or p.name == name]
        if not hits:
            raise StudyError(f"no notebook {name!r}; have {[p.stem for p in paths]}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def kernel_env(study: Study, static: bool = True) -> dict[str, str]:
    """Environment for a notebook kernel: the study, report mode, and an importable buyerlab."""
    import buyerlab

    env = {STUDY_ENV: str(study.path)}
    if static:
        env[STATIC_ENV] = "1"
    root = str(Path(buyerlab.__file__).resolve().parents[1])
    # A source checkout that is not pip-installed must still be importable in the kernel.
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in parts if p != root]])
    return env


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def notebook_title(nb) -> str:
    """The first heading of a notebook (its title), else ''."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def notebook_summary(nb) -> str:
    """The first paragraph after the title of a notebook's intro cell."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            paras = [p.strip() for p in cell.source.split("\n\n") if p.strip() and not p.startswith("#")]
            return paras[0].replace("\n", " ") if paras else ""
    return ""


def _exporter():
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab", template_file=TEMPLATE_NAME,
        extra_loaders=[jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        exclude_anchor_links=True,
    )


def execute_notebook(path: Path, study: Study, timeout: int = CELL_TIMEOUT):
    """Run one notebook on a study in report mode; return (notebook, error message or None)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    # Kernel warnings (e.g. about local TCP sockets) would be printed once per page; errors still show.
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, store_widget_state=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    with _environ(kernel_env(study)):
        try:
            client.execute()
        except CellExecutionError as exc:
            return nb, f"{path.name}: {getattr(exc, 'ename', 'error')}: {getattr(exc, 'evalue', '')}".strip()
        except (CellTimeoutError, DeadKernelError) as exc:
            return nb, f"{path.name}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return nb, None


def export_html(nb, study: Study, title: str) -> str:
    """A notebook (already executed) as one self-contained HTML page."""
    nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={
        "buyerlab_study": study.name, "buyerlab_date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M")})
    return body


def _inline_markdown(text: str) -> str:
    import re

    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`(.+?)`", r"<code>\1</code>", out)
    return re.sub(r"(?<![\w*])\*(\S.*?)\*(?!\w)", r"<i>\1</i>", out)


def index_html(study: Study, entries: list[dict]) -> str:
    """The report's front page: one link per notebook page, with what it answers."""
    items = []
    for e in entries:
        status = "" if e["error"] is None else (
            f'<div class="err">this page has an error: {html.escape(e["error"])}</div>')
        items.append(f'<li><a href="{html.escape(e["file"])}">{html.escape(e["title"])}</a>'
                     f'<div class="sum">{_inline_markdown(e["summary"])}</div>{status}</li>')
    when = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(study.name)}: buyerlab report</title>
<style>
body {{font: 15px/1.5 system-ui, sans-serif; max-width: 860px; margin: 32px auto; padding: 0 16px; color: #222;}}
h1 {{font-size: 24px; margin-bottom: 4px;}} .meta {{color: #666; font-size: 13px;}}
ol {{padding-left: 20px;}} li {{margin: 14px 0;}} a {{color: #0072B2; font-weight: 600; text-decoration: none;}}
.sum {{color: #444; font-size: 14px;}} .err {{color: #B2182B; font-size: 13px;}}
</style></head><body>
<h1>{html.escape(study.name)}: how these customers buy</h1>
<div class="meta">buyerlab report generated {when} from {html.escape(str(study.path))}.
Every page opens offline; charts are interactive (hover for counts).</div>
<ol>{"".join(items)}</ol>
</body></html>
"""


def report_study(study, notebooks: Iterable[str] | None = None, output_dir: str | Path | None = None,
                 progress: bool = True, timeout: int = CELL_TIMEOUT) -> Path:
    """Execute the notebooks on a study and write one HTML page each plus index.html; return index.html."""
    import nbformat
    from tqdm.auto import tqdm

    study = Study.of(study)
    paths = notebook_paths(notebooks)
    out = Path(output_dir) if output_dir else study.output_dir / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    bar = tqdm(paths, desc="report", unit="notebook", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.stem)
        nb, error = execute_notebook(path, study, timeout)
        title = notebook_title(nbformat.read(path, as_version=4)) or path.stem
        page = out / f"{path.stem}.html"
        page.write_text(export_html(nb, study, f"{study.name}: {title}"), encoding="utf-8")
        entries.append({"file": page.name, "title": title, "summary": notebook_summary(nb), "error": error})
    done = {e["file"] for e in entries}
    for path in notebook_paths():
        # Pages of an earlier run with other notebooks stay listed.
        page = out / f"{path.stem}.html"
        if page.name not in done and page.exists():
            nb = nbformat.read(path, as_version=4)
            entries.append({"file": page.name, "title": notebook_title(nb) or path.stem,
                            "summary": notebook_summary(nb), "error": None})
    entries.sort(key=lambda e: e["file"])
    index = out / "index.html"
    index.write_text(index_html(study, entries), encoding="utf-8")
    failed = [e["error"] for e in entries if e["error"]]
    if failed:
        raise ReportError(f"{index}: {len(failed)} of {len(entries)} notebook(s) failed; first: {failed[0]}")
    return index
