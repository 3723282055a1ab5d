"""``buyerlab report``: notebooks executed on a study, exported as offline HTML pages."""

from __future__ import annotations

import os
import re
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from buyerlab import pipeline, reporting
from buyerlab.cli import build_parser
from buyerlab.commands import dashboard
from buyerlab.errors import BuyerlabError

EXTERNAL_SCRIPT = re.compile(r"<script[^>]+src=[\"']?(https?:)?//", re.I)


def _touch(path, when: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    os.utime(path, (when, when))


def _study(tmp_path):
    (tmp_path / "transcripts").mkdir(parents=True, exist_ok=True)
    return tmp_path


def test_missing_steps_follow_requirements_and_age(tmp_path):
    study = _study(tmp_path)
    out = study / "output"
    assert pipeline.missing_steps(study, ["code"]) == ["ingest", "code"]
    now = time.time()
    for f in pipeline.STEP_OUTPUTS["ingest"]:
        _touch(out / f, now - 100)
    assert pipeline.missing_steps(study, ["code"]) == ["code"]
    _touch(out / "codes.parquet", now - 50)
    assert pipeline.missing_steps(study, ["code"]) == []
    # Re-ingested after coding: the codes are out of date.
    _touch(out / "turns.parquet", now)
    assert pipeline.missing_steps(study, ["code"]) == ["code"]
    assert pipeline.missing_steps(study, ["analyse"]) == ["code"]  # nothing reads analyse's output
    # A transcript added after ingest makes everything downstream stale.
    _touch(study / "transcripts" / "new.txt", now + 10)
    assert pipeline.missing_steps(study, ["code"]) == ["ingest", "code"]
    with pytest.raises(BuyerlabError, match="unknown step"):
        pipeline.missing_steps(study, ["report"])


def test_ensure_outputs_runs_only_the_missing_steps(tmp_path, monkeypatch):
    study = _study(tmp_path)
    now = time.time()
    for f in pipeline.STEP_OUTPUTS["ingest"]:
        _touch(study / "output" / f, now - 10)
    ran = []
    monkeypatch.setattr("buyerlab.pipeline.run_study", lambda s, steps, **kw: ran.append(steps))
    said = []
    result = pipeline.ensure_outputs(study, ["code", "topics"], echo=said.append)
    assert ran == [["code", "topics"]]
    assert result.path == study.resolve() and "code, topics" in said[0]


def test_cli_registers_report_and_dashboard(tmp_path):
    parser = build_parser()
    args = parser.parse_args(["report", str(tmp_path), "--notebooks", "01,02", "--no-progress"])
    assert args.notebooks == "01,02" and args.progress is False
    args = parser.parse_args(["dashboard", str(tmp_path), "--port", "9999", "--no-browser"])
    assert args.port == 9999 and args.no_browser


def test_voila_command_and_env_are_live_not_static(tmp_path, monkeypatch):
    monkeypatch.setenv("BUYERLAB_STATIC", "1")
    cmd = dashboard.voila_command("02", port=8123, open_browser=False)
    assert cmd[1:3] == ["-m", "voila"] and cmd[3].endswith("02_codes_explorer.ipynb")
    assert "--port=8123" in cmd and "--no-browser" in cmd and "--Voila.ip=127.0.0.1" in cmd
    assert dashboard.voila_command(None)[3] == str(reporting.notebooks_dir())
    from buyerlab.study import Study

    env = dashboard.voila_env(Study(_study(tmp_path)))
    assert "BUYERLAB_STATIC" not in env and env["BUYERLAB_STUDY"] == str(tmp_path.resolve())


def test_notebook_paths_by_prefix():
    assert [p.stem for p in reporting.notebook_paths(["02", "05_themes"])] == ["02_codes_explorer", "05_themes"]
    with pytest.raises(BuyerlabError, match="no notebook '99'"):
        reporting.notebook_paths(["99"])


def test_a_failing_notebook_still_gets_its_page_and_the_report_says_so(tmp_path, monkeypatch):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nb = new_notebook(cells=[new_markdown_cell("# Broken\n\n**Does it fail?** It should."),
                             new_code_cell("import os\nprint('study', os.environ['BUYERLAB_STUDY'])\n1 / 0")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, nbdir / "01_broken.ipynb")
    monkeypatch.setattr(reporting, "notebooks_dir", lambda: nbdir)
    study = _study(tmp_path / "study")
    with pytest.raises(reporting.ReportError, match="01_broken.ipynb: ZeroDivisionError"):
        reporting.report_study(study, progress=False, timeout=120)
    page = (study / "output" / "report" / "01_broken.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in page and f"study {study.resolve()}" in page
    index = (study / "output" / "report" / "index.html").read_text(encoding="utf-8")
    assert "01_broken.html" in index and "this page has an error" in index
    assert "<b>Does it fail?</b>" in index


@pytest.mark.slow
def test_report_pages_are_offline_and_embed_plotly_once(pipeline_study, tmp_path):
    from plotly.offline import get_plotlyjs

    out = tmp_path / "report"
    index = reporting.report_study(pipeline_study, notebooks=["01", "02"], output_dir=out, progress=False)
    assert index == out / "index.html"
    assert sorted(p.name for p in out.iterdir()) == ["01_overview.html", "02_codes_explorer.html", "index.html"]
    signature = get_plotlyjs()[:300]
    for name, n_charts in (("01_overview.html", 1), ("02_codes_explorer.html", 2)):
        page = (out / name).read_text(encoding="utf-8")
        assert page.count(signature) == 1, f"{name}: plotly.js must be embedded exactly once"
        assert not EXTERNAL_SCRIPT.search(page), f"{name}: loads a script from the network"
        assert "require.min.js" not in page and "mathjax" not in page.lower().split("</head>")[0]
        # Apps are shown statically: figures and tables, no widget placeholders.
        assert page.count('class="plotly-graph-div"') >= n_charts
        assert "application/vnd.jupyter.widget-view+json" not in page
        assert "STUDY = os.environ" not in page  # code is hidden for readers
    codes = (out / "02_codes_explorer.html").read_text(encoding="utf-8")
    assert "Buying motive" in codes and "<mark>" in codes  # the heatmap title and a marked quote
    overview = (out / "01_overview.html").read_text(encoding="utf-8")
    assert "bl-turn" in overview and "<mark class=" in overview  # the transcript reader, static
    links = re.findall(r'href="([^"]+\.html)"', index.read_text(encoding="utf-8"))
    assert links == ["01_overview.html", "02_codes_explorer.html"]


@pytest.mark.slow
def test_report_command_writes_the_page_and_says_where(pipeline_study, tmp_path, capsys):
    import shutil

    from buyerlab.cli import main

    study = shutil.copytree(pipeline_study, tmp_path / "study")
    assert main(["report", str(study), "--notebooks", "06", "--no-progress"]) == 0
    index = study / "output" / "report" / "index.html"
    assert f"report: {index}" in capsys.readouterr().out
    assert (study / "output" / "report" / "06_reliability.html").stat().st_size > 100_000
