"""The 2-D input every estimator of the package takes: one row of strings per comment."""

from __future__ import annotations

from typing import Any

__all__ = ["COLUMNS", "as_cells"]

# Column order of the 2-D input both pipelines take: one row per comment.
COLUMNS: tuple[str, ...] = ("body", "author", "email", "url")


def as_cells(X: Any) -> list[list[str]]:
    """Return the rows of a validated 2-D array as lists of strings (missing -> "")."""
    return [["" if v is None else v if isinstance(v, str) else str(v) for v in row] for row in X]
