"""``buyerlab init``: a new study folder with commented templates."""

from __future__ import annotations

from pathlib import Path

from buyerlab.errors import StudyError

STUDY_TOML = '''\
# study.toml: settings of this buyerlab study. Every key is optional.

# A name shown in reports (default: the folder name).
name = "{name}"

# Languages of the interviews (ISO 639-1). Used to check detection; with one language,
# detection is skipped and every interview is taken to be in it.
languages = ["en", "sv", "de"]

# Speaker names of your interviewers, as they appear in the transcripts. When given, they
# decide who the interviewer is; otherwise buyerlab detects it and reports its evidence.
interviewers = []

# Your own codebook (a full one, or `extends: default` plus your codes). Default: buyerlab's.
# codebook = "codebook.yaml"

# What the vendor claims makes it unique, to hold against the buyers' motives.
# claims = "claims.yaml"

[nlp]
# Trained spaCy pipelines to use when installed, per language (optional upgrade):
# models = {{ en = "en_core_web_sm", de = "de_core_news_sm" }}
# A sentence-transformers model for themes, by installed name or local path (optional):
# embedding_model = "/models/paraphrase-multilingual-MiniLM-L12-v2"

[readers]
# Files larger than this are refused (bytes).
# max_bytes = 50000000
# Columns of table files (CSV, TSV, JSONL) holding many interviews; detected when not set.
# table_id_column = "interview_id"
# table_text_column = "transcript"
'''

METADATA_CSV = "interview_id,segment,country,language,role,company_size,outcome,date\n"

README = '''\
# {name}

A buyerlab study.

- `transcripts/`: one file per interview (.txt .vtt .srt .docx .json), or table files
  (.csv .tsv .jsonl) with one interview per row. The interview id is the file name without
  its extension (or the row's id column). Raw files are never modified.
- `metadata.csv`: one row per interview. `interview_id` is required; other columns are
  attributes (segment, country, language, role, company_size, outcome = won / lost /
  no_decision, date). Leave `language` empty to have it detected. An optional column
  `interviewer_names` (names separated by `;`) overrides interviewer detection per interview.
- `study.toml`: optional settings (see the comments in it).
- `output/`: what buyerlab writes. Run `buyerlab run .` to build it.
'''


def init_study(path: str | Path, name: str | None = None) -> Path:
    """Create a study folder with transcripts/, metadata.csv and a commented study.toml."""
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        raise StudyError(f"{root}: folder exists and is not empty; choose a new folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / "transcripts").mkdir()
    study_name = name or root.resolve().name
    (root / "study.toml").write_text(STUDY_TOML.format(name=study_name), encoding="utf-8")
    (root / "metadata.csv").write_text(METADATA_CSV, encoding="utf-8")
    (root / "README.md").write_text(README.format(name=study_name), encoding="utf-8")
    return root
