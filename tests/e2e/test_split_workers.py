"""A site can give explanations workers of their own: one worker decides, another explains."""

from __future__ import annotations

import time

from sqlalchemy import select

from moderation.storage.db import session_scope
from moderation.storage.models import Decision
from tests.conftest import run_moderation
from tests.support.stack import Stack

INSULT = "You are a pathetic idiot and everyone here knows it."


def test_decisions_and_explanations_on_separate_workers(stack: Stack) -> None:
    deciding = stack._spawn("worker", "worker", "--queues", "comments")
    explaining = stack._spawn("worker", "worker", "--queues", "explanations")
    stack.start_api()

    comment_id = stack.submit("split", "Sam Reader", INSULT)

    deadline = time.monotonic() + 60
    found = None
    while time.monotonic() < deadline:
        with session_scope(stack.database_url) as session:
            found = session.execute(
                select(Decision.status, Decision.explanation).where(
                    Decision.comment_id == comment_id
                )
            ).one_or_none()
        if found is not None and found[1]:
            break
        time.sleep(0.2)
    assert found is not None and found[1], f"not explained: {found}\n{stack.logs()}"
    status, explanation = found
    assert str(status) in ("pending", "rejected")
    spans = explanation["spans"]["toxicity"]
    assert any(INSULT[start:end] == "idiot" for start, end, _ in spans)
    assert deciding.poll() is None and explaining.poll() is None


def test_an_unknown_queue_is_refused_before_anything_starts() -> None:
    result = run_moderation("worker", "--queues", "comments,everything")

    assert result.returncode == 2
    assert "choose among comments, explanations and webhooks" in result.stderr
