"""The one exception type of the template engine (cheap to import: no jinja2, no re2)."""

from __future__ import annotations


class TemplateError(Exception):
    """A template failed to compile or to render.

    ``message`` is the human readable reason without position; ``line`` and ``column`` (1-based)
    point into the template source when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        super().__init__(message)

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        if self.column is None:
            return f"{self.message} (line {self.line})"
        return f"{self.message} (line {self.line}, column {self.column})"

    def __repr__(self) -> str:
        return f"TemplateError({self.message!r}, line={self.line!r}, column={self.column!r})"
