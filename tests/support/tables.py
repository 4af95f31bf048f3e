"""Tables of test cases whose rows start with their test id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest


def cases(rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The rows as pytest.mark.parametrize's cases: each named by its first column, with the
    values of the rest."""
    return [pytest.param(*row[1:], id=row[0]) for row in rows]
