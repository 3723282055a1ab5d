"""Root conftest: what the notebooks need when pytest runs them with nbval.

The notebooks read ``BUYERLAB_STUDY``. When any notebook is collected, a private copy of
data/sample is made, the pipeline steps the notebooks read are run on it once, and
``BUYERLAB_STUDY`` points the notebook kernels at it; data/sample itself is never written.
The same prepared study is offered to tests as the ``pipeline_study`` fixture.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SAMPLE = ROOT / "data" / "sample"
NOTEBOOK_STEPS = ["ingest", "code", "topics"]
_prepared: dict[str, Path] = {}


def prepared_study() -> Path:
    """A private copy of data/sample with the notebooks' pipeline outputs (built once per session)."""
    if "path" not in _prepared:
        from buyerlab.pipeline import ensure_outputs

        base = Path(tempfile.mkdtemp(prefix="buyerlab-nb-"))
        path = base / "sample"
        shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns("output"))
        ensure_outputs(path, NOTEBOOK_STEPS, echo=lambda s: None)
        _prepared["path"] = path
    return _prepared["path"]


def pytest_collection_modifyitems(session, config, items) -> None:
    """Before any notebook runs: prepare the study and point kernels at it (they inherit os.environ)."""
    notebooks = [i for i in items if str(getattr(i, "path", "")).endswith(".ipynb")]
    if not notebooks:
        return
    for item in notebooks:
        item.add_marker(pytest.mark.slow)
    os.environ["BUYERLAB_STUDY"] = str(prepared_study())
    os.environ.pop("BUYERLAB_STATIC", None)
    # The kernel starts in notebooks/; a checkout that is not pip-installed must still import buyerlab.
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *parts])


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remove the prepared study."""
    path = _prepared.pop("path", None)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def pipeline_study() -> Path:
    """A private copy of data/sample, ingested, coded and with themes (shared with the notebooks)."""
    return prepared_study()
