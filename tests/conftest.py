"""Shared fixtures: the bundled sample study, copied so tests never write into data/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SHARED = ROOT.parent / "shared"


def copy_study(src: Path, dst: Path) -> Path:
    """Copy a study folder without its outputs."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("output"))
    return dst


@pytest.fixture(scope="session")
def sample_study(tmp_path_factory) -> Path:
    """A private copy of data/sample, ingested once per test session."""
    from buyerlab.ingest import ingest_study

    path = copy_study(SAMPLE, tmp_path_factory.mktemp("sample") / "sample")
    ingest_study(path)
    return path


@pytest.fixture(scope="session")
def sample_corpus(sample_study):
    """The Corpus of the ingested sample study."""
    from buyerlab.corpus import Corpus

    return Corpus.load(sample_study)


@pytest.fixture
def make_study(tmp_path):
    """Build a study folder from {relative path: str | bytes} and a metadata CSV text."""

    def _make(files: dict[str, str | bytes], metadata: str | None = None, toml: str | None = None) -> Path:
        root = tmp_path / "study"
        (root / "transcripts").mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            p = root / "transcripts" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        if metadata is not None:
            (root / "metadata.csv").write_text(metadata, encoding="utf-8")
        if toml is not None:
            (root / "study.toml").write_text(toml, encoding="utf-8")
        return root

    return _make


QDA_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "qda"


@pytest.fixture(scope="session")
def qda_base(tmp_path_factory) -> Path:
    """The small interop study (two interviews, planted personal data, five codes), ingested once."""
    from buyerlab.ingest import ingest_study

    root = copy_study(QDA_FIXTURES / "study", tmp_path_factory.mktemp("qda") / "study")
    (root / "study.toml").write_text(f'codebook = "{(QDA_FIXTURES / "codebook.yaml").as_posix()}"\n',
                                     encoding="utf-8")
    ingest_study(root)
    return root


@pytest.fixture
def qda_study(qda_base, tmp_path):
    """A private copy of the ingested interop study, for tests that write into it."""
    from buyerlab.study import Study

    return Study(shutil.copytree(qda_base, tmp_path / "study"))


@pytest.fixture(scope="session")
def qda_codebook():
    """The five-code codebook of the interop study."""
    from buyerlab.codebook import load_codebook

    return load_codebook(QDA_FIXTURES / "codebook.yaml")
