"""A study folder: where its parts live and what its study.toml says."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from buyerlab.errors import StudyError
from buyerlab.readers.base import ReaderOptions

KNOWN_KEYS = {"name", "languages", "interviewers", "codebook", "claims", "nlp", "readers", "themes", "redact"}


@dataclass
class StudyConfig:
    """The settings of one study, read from its optional study.toml."""

    name: str = ""
    languages: list[str] = field(default_factory=list)
    interviewers: list[str] = field(default_factory=list)
    codebook: Path | None = None
    claims: Path | None = None
    nlp_models: dict[str, str] = field(default_factory=dict)  # language -> spaCy package or path
    embedding_model: str | None = None  # sentence-transformers name or local path
    readers: ReaderOptions = field(default_factory=ReaderOptions)
    themes: dict = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> "StudyConfig":
        """Read and check a study.toml; relative paths are taken from its folder."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"{path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StudyError(f"{path}: cannot read: {exc}") from None
        unknown = set(raw) - KNOWN_KEYS
        if unknown:
            raise StudyError(f"{path}: unknown setting(s) {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
        base = path.parent

        def _list(key: str) -> list[str]:
            value = raw.get(key, [])
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise StudyError(f"{path}: '{key}' must be a list of strings")
            return value

        def _path(key: str) -> Path | None:
            value = raw.get(key)
            if value is None:
                return None
            if not isinstance(value, str):
                raise StudyError(f"{path}: '{key}' must be a path string")
            if key == "codebook" and value == "default":
                return None  # buyerlab's own codebook
            return (base / value).resolve()

        nlp = raw.get("nlp", {})
        if not isinstance(nlp, dict):
            raise StudyError(f"{path}: [nlp] must be a table")
        models = nlp.get("models", {})
        if not isinstance(models, dict):
            raise StudyError(f"{path}: [nlp] models must be a table of language = model")
        readers_raw = raw.get("readers", {})
        if not isinstance(readers_raw, dict):
            raise StudyError(f"{path}: [readers] must be a table")
        allowed = set(ReaderOptions.__dataclass_fields__)
        bad = set(readers_raw) - allowed
        if bad:
            raise StudyError(f"{path}: unknown [readers] setting(s) {sorted(bad)}; known: {sorted(allowed)}")
        themes = raw.get("themes", {})
        if not isinstance(themes, dict):
            raise StudyError(f"{path}: [themes] must be a table")
        return cls(
            name=str(raw.get("name", "")),
            languages=_list("languages"),
            interviewers=_list("interviewers"),
            codebook=_path("codebook"),
            claims=_path("claims"),
            nlp_models={str(k): str(v) for k, v in models.items()},
            embedding_model=nlp.get("embedding_model"),
            readers=ReaderOptions(**readers_raw),
            themes=themes,
        )


class Study:
    """A study folder on disk; everything buyerlab writes goes to ``output_dir``."""

    def __init__(self, path: str | Path, output_dir: str | Path | None = None):
        self.path = Path(path).resolve()
        if not self.path.is_dir():
            raise StudyError(f"{path}: no such study folder")
        self.transcripts_dir = self.path / "transcripts"
        self.metadata_path = self.path / "metadata.csv"
        self.config_path = self.path / "study.toml"
        self.output_dir = Path(output_dir).resolve() if output_dir else self.path / "output"
        self.config = StudyConfig.from_toml(self.config_path) if self.config_path.exists() else StudyConfig()
        if self.config.claims is None and (self.path / "claims.yaml").exists():
            self.config.claims = self.path / "claims.yaml"

    @classmethod
    def of(cls, study: "Study | str | Path") -> "Study":
        """The Study itself, or the Study of a folder path (what every public function accepts)."""
        return study if isinstance(study, cls) else cls(study)

    @property
    def name(self) -> str:
        """The study's name from study.toml, else its folder name."""
        return self.config.name or self.path.name

    def output(self, name: str) -> Path:
        """Path of an output file, creating the output folder on first use."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / name

    def __repr__(self) -> str:
        return f"Study({str(self.path)!r})"
