"""``buyerlab run``: every step of the analysis, in data-flow order."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

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
        if name == "report" and result is not None:
            echo(f"report: {result}")
        summary = getattr(result, "report", None)
        if name == "ingest" and summary is not None:
            echo(summary.to_text().splitlines()[0])
    echo(f"outputs in {study.output_dir}")


# What each step writes into output/ that later steps read ("analyse" output is for people).
STEP_OUTPUTS: dict[str, tuple[str, ...]] = {
    "ingest": ("interviews.parquet", "turns.parquet", "ingest_report.json"),
    "code": ("codes.parquet",),
    "topics": ("topics.parquet", "segment_topics.parquet", "topics_per_class.parquet"),
}
REQUIRES: dict[str, tuple[str, ...]] = {"ingest": (), "code": ("ingest",), "topics": ("ingest",),
                                        "analyse": ("code",)}


def _with_requirements(steps: Iterable[str]) -> list[str]:
    wanted: set[str] = set()

    def add(step: str) -> None:
        if step not in REQUIRES:
            raise BuyerlabError(f"unknown step {step!r}; known: {list(REQUIRES)}")
        for r in REQUIRES[step]:
            add(r)
        wanted.add(step)

    for s in steps:
        add(s)
    return [s for s in STEPS if s in wanted]


def missing_steps(study, steps: Iterable[str] = ("ingest", "code")) -> list[str]:
    """Steps (with what they need) whose outputs are missing or older than what they were made from."""
    study = Study.of(study)
    out = study.output_dir
    stale: list[str] = []
    for step in _with_requirements(steps):
        files = [out / f for f in STEP_OUTPUTS.get(step, ())]
        if not files:
            continue
        if any(not f.exists() for f in files) or any(r in stale for r in REQUIRES[step]):
            stale.append(step)
            continue
        inputs = [out / f for r in REQUIRES[step] for f in STEP_OUTPUTS.get(r, ())]
        if step == "ingest":
            # New or edited transcripts and metadata make the corpus stale.
            inputs = _study_inputs(study)
        if inputs and min(f.stat().st_mtime for f in files) < max(f.stat().st_mtime for f in inputs):
            stale.append(step)
    return stale


def _study_inputs(study: Study) -> list:
    files = [p for p in (study.metadata_path, study.config_path) if p.exists()]
    if study.transcripts_dir.is_dir():
        files += [p for p in study.transcripts_dir.rglob("*") if p.is_file()]
    return files


def ensure_outputs(study, steps: Iterable[str] = ("ingest", "code"),
                   echo: Callable[[str], None] = print) -> Study:
    """Run the pipeline steps a notebook needs whose outputs are missing or stale; return the Study."""
    study = Study.of(study)
    todo = missing_steps(study, steps)
    if todo:
        echo(f"running {', '.join(todo)} on {study.path} (outputs missing or out of date)")
        run_study(study, steps=todo)
    return study
