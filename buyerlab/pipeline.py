"""``buyerlab run``: every step of the analysis, in data-flow order."""

from __future__ import annotations

import importlib
from typing import Callable

from buyerlab.errors import BuyerlabError
from buyerlab.study import Study

# step -> (module, function taking a Study); imported lazily so `ingest` needs no heavy imports.
STEPS: dict[str, tuple[str, str]] = {
    "ingest": ("buyerlab.ingest", "ingest_study"),
    "code": ("buyerlab.coding", "code_study"),
    "topics": ("buyerlab.themes", "theme_study"),
    "analyse": ("buyerlab.analysis", "analyse_and_write"),
    "report": ("buyerlab.reporting", "report_study"),
}


def available_steps() -> list[str]:
    """Steps whose module is installed in this version of buyerlab."""
    out = []
    for name, (module, func) in STEPS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        if hasattr(mod, func):
            out.append(name)
    return out


def run_study(study: Study, steps: list[str] | None = None, echo: Callable[[str], None] = lambda s: None) -> None:
    """Run the chosen steps (default: all available) on a study, in order."""
    chosen = steps or available_steps()
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        raise BuyerlabError(f"unknown step(s) {unknown}; known: {list(STEPS)}")
    for name in STEPS:
        if name not in chosen:
            continue
        module, func = STEPS[name]
        echo(f"== {name}")
        result = getattr(importlib.import_module(module), func)(study)
        summary = getattr(result, "report", None)
        if name == "ingest" and summary is not None:
            echo(summary.to_text().splitlines()[0])
    echo(f"outputs in {study.output_dir}")
