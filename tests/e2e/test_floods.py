"""The flood rules end to end: the same comment posted again and again through the real API,
Redis and a Celery worker process, decided with the copies the database counted."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from moderation.storage.db import session_scope
from moderation.storage.models import Decision, ModerationEvent
from tests.conftest import RedisServer
from tests.support.comments import CLEAN
from tests.support.stack import http

COPIED = CLEAN[2]  # "The council should publish the full cost breakdown ..."
FLOOD = " ".join(["WAKE UP PEOPLE"] * 6)


def test_the_same_comment_posted_again_and_again_is_held_then_marked_spam(
    database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    # Held from the 3rd copy (the default), spam from the 5th (lowered from 10 for the test).
    stack = stack_factory(database_url, redis_server, flood_spam_copies="5")
    stack.start()
    # Five readers paste it under five articles, in other capitals and punctuation; one
    # comment is a flood inside itself; one is an ordinary comment posted once.
    copies = [
        stack.submit(f"story-{n}", f"Copier {n}", body)
        for n, body in enumerate([COPIED, COPIED.upper(), f"{COPIED}!!", COPIED, COPIED])
    ]
    flood = stack.submit("story-0", "Shouter", FLOOD)
    single = stack.submit("story-0", "Reader", CLEAN[0])
    stack.wait_until_decided(7, timeout=30)

    with session_scope(database_url) as session:
        decisions = {d.comment_id: d for d in session.execute(select(Decision)).scalars()}
    views = {i: http("GET", f"{stack.base}/api/v1/comments/{i}")[1] for i in [*copies, single]}

    # The first two copies are decided by the model as before, and say they passed the count.
    for number, comment_id in enumerate(copies[:2], start=1):
        decision = decisions[comment_id]
        assert views[comment_id]["status"] == "approved", decision.reasons
        assert decision.model_version
        assert {
            "rule": "copies",
            "value": number,
            "threshold": 3,
            "op": "<",
            "within": "10 min",
        } in decision.reasons
    # The third and fourth are held for a moderator with the flood as the reason.
    for number, comment_id in enumerate(copies[2:4], start=3):
        decision = decisions[comment_id]
        assert views[comment_id]["status"] == "pending"
        assert decision.reasons == [
            {"rule": "copies", "value": number, "threshold": 3, "op": ">=", "within": "10 min"}
        ]
    with session_scope(database_url) as session:
        held_reason = session.execute(
            select(ModerationEvent.reason).where(ModerationEvent.comment_id == copies[3])
        ).scalar_one()
    assert held_reason == "copies 4 >= 3 in 10 min"
    # The fifth is spam.
    assert views[copies[4]]["status"] == "spam"
    assert decisions[copies[4]].reasons == [
        {"rule": "copies", "value": 5, "threshold": 5, "op": ">=", "within": "10 min"}
    ]
    # Repetition inside one comment is spam on its own; an ordinary comment is untouched.
    shouted = decisions[flood]
    assert shouted.status.value == "spam"
    assert {"rule": "repetition", "value": 1.0, "threshold": 0.9, "op": ">="} in shouted.reasons
    assert views[single]["status"] == "approved"
    assert {
        "rule": "copies",
        "value": 1,
        "threshold": 3,
        "op": "<",
        "within": "10 min",
    } in decisions[single].reasons
    # Readers see the approved copies only.
    status, page = http("GET", f"{stack.base}/articles/story-2")
    assert status == 200
    assert COPIED not in html.unescape(str(page))
    status, page = http("GET", f"{stack.base}/articles/story-0")
    assert COPIED in html.unescape(str(page))
    assert "WAKE UP PEOPLE" not in html.unescape(str(page))
