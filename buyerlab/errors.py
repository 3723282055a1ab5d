"""Error types: every problem buyerlab reports to a user is one of these."""

from __future__ import annotations

from pathlib import Path


class BuyerlabError(Exception):
    """Base class for every error buyerlab raises on purpose."""


class InputError(BuyerlabError):
    """A file could not be read; names the file and, where known, the line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        # One line, always: messages end up in one-line report entries.
        return (where + self.message).replace("\n", " ")

    def with_path(self, path: str | Path) -> "InputError":
        """Return a copy naming ``path`` (for helpers that parse text without knowing its file)."""
        return InputError(self.message, path=path, line=self.line)


class StudyError(BuyerlabError):
    """The study folder, its metadata or its study.toml is wrong."""


class CodebookError(BuyerlabError):
    """A codebook file is invalid; the message says where and why."""
