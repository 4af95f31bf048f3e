"""The cells of the reports' markdown tables: a score to two places, and a comment's text
shortened and kept to its cell."""

from __future__ import annotations


def number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def shorten(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cell(text: str) -> str:
    # A pipe or a newline inside a comment would break the table row.
    return text.replace("|", "\\|").replace("\n", " ")
