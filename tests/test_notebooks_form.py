"""The committed notebooks are stripped, say what they answer, and take the study as a parameter."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ["01_overview", "02_codes_explorer", "03_decision_process", "04_motives_by_country", "05_themes",
            "06_reliability"]
PARAMETER = 'STUDY = os.environ.get("BUYERLAB_STUDY", "../data/sample")'
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_numbered_notebooks_are_all_there():
    assert [p.stem for p in PATHS] == EXPECTED


@pytest.fixture(params=PATHS, ids=[p.stem for p in PATHS])
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_committed_without_outputs(notebook):
    path, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: outputs not stripped"
            assert cell.execution_count is None, f"{path.name}: execution count not cleared"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state committed"


def test_valid_and_runs_on_the_python3_kernel(notebook):
    path, nb = notebook
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_starts_with_an_intro_that_says_what_it_answers(notebook):
    path, nb = notebook
    intro = nb.cells[0]
    assert intro.cell_type == "markdown"
    assert intro.source.startswith("# "), f"{path.name}: first cell needs a title"
    # The question the notebook answers, in bold, right under the title.
    assert re.search(r"\*\*[^*]+\?\*\*", intro.source), f"{path.name}: intro states no question"


def test_takes_the_study_folder_as_a_parameter(notebook):
    path, nb = notebook
    params = nb.cells[1]
    assert params.cell_type == "code"
    assert PARAMETER in params.source
    assert "parameters" in params.metadata.get("tags", [])


def test_calls_the_library_and_stays_short(notebook):
    path, nb = notebook
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("ensure_outputs(STUDY" in c for c in code), f"{path.name}: does not run missing steps"
    assert any("display.setup()" in c for c in code)
    assert len(code) <= 10 and all(len(c.splitlines()) <= 15 for c in code), f"{path.name}: too long to read"
    # Analysis logic lives in buyerlab: no function or class definitions in notebooks.
    assert not any(re.search(r"^\s*(def|class) ", c, re.M) for c in code)
