"""The one exception family of retrogen: expected failures the command line turns into messages."""

from __future__ import annotations


class RetrogenError(Exception):
    """Base class of every expected failure; the CLI prints its message, never a traceback."""


class ConfigError(RetrogenError):
    """mkdocs.yml or a command-line setting is unusable (exit code 2)."""


class ReviewFileError(RetrogenError):
    """A review file cannot be read as a review; carries the finding code and position."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column


class BuildError(RetrogenError):
    """The site could not be generated or built."""


class BuildBusyError(BuildError):
    """Another build holds the folder this one would write, and did not let go in time (exit code 2)."""
