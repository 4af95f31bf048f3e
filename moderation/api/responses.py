"""What the JSON API answers besides success: the wording of a body that cannot be read as JSON.
"""

from __future__ import annotations

import json

from moderation.domain.errors import FieldProblem


def unreadable_json(error: BaseException) -> FieldProblem:
    """What is wrong with a body Python's JSON reader refused; each of these is the client's
    mistake, not ours: malformed JSON, bytes that are not UTF-8, a number of more than 4,300
    digits (Python refuses to make such an int) or nesting deeper than the reader goes."""
    if isinstance(error, RecursionError):
        reason = "it is nested too deeply"
    elif isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        reason = str(error)
    elif isinstance(error, ValueError) and "digits" in str(error):
        reason = "a number has more digits than the 4300 allowed"
    else:
        reason = str(error)
    return FieldProblem("request", "json", f"request body is not valid JSON: {reason}")
