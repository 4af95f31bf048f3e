"""The workspace's tools for a moderator's day, in a real headless Chromium against the real
stack (uvicorn, a Celery worker, Redis): a decision on a ground picked with its number key and
a note (seen in the audit log), tab counts that follow decisions without a reload (the page's
own and a colleague's), an author's page across articles with a note another moderator reads,
ban and remove with undo, and a suspension that ends by itself."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from moderation.domain.clock import utcnow
from moderation.storage.db import session_scope
from moderation.storage.models import Article, AuthorRule, Statement
from tests.conftest import RedisServer
from tests.support.browser import shot, watched_page
from tests.support.stack import Stack, status_of, wait_for_status
from tests.support.staff import PASSWORD, add_account

# Two links to news outlets: held by the link rule for a person to look at.
HELD = (
    "Both reports disagree on the figures: https://apnews.com/article/budget and "
    "https://www.reuters.com/world/budget-vote. Which one is right?",
    "Sources for the claim about bus cuts: https://www.bbc.co.uk/news/transport and "
    "https://www.theguardian.com/uk-news/buses",
    "Compare the two fact checks: https://www.npr.org/budget-check and "
    "https://www.politifact.com/budget-claims",
    "The match report is here: https://www.bbc.co.uk/sport/football and "
    "https://www.theguardian.com/football. Great game!",
)
CLEAN = "The budget vote was a farce, frankly."


def sign_in(chromium: Any, stack: Stack, name: str) -> tuple[Any, Any, list[str]]:
    context, page, _, errors = watched_page(chromium, 1280, stack.base)
    page.goto("/moderation/queue/pending")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/moderation/queue/pending")
    return context, page, errors


def held(stack: Stack, article: str, title: str, author: str, body: str) -> int:
    """A comment on an article with a title (a site's backend sends it; set here by hand)."""
    comment_id = stack.submit(article, author, body)
    with session_scope(stack.database_url) as session:
        session.execute(update(Article).where(Article.external_id == article).values(title=title))
    return comment_id


def count_of(page: Any, queue: str) -> str:
    return str(page.locator(f".tabs a[data-queue={queue}] .count").inner_text())


def test_a_moderators_tools_in_a_browser(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, chromium: Any
) -> None:
    mona = add_account(sqlite_url, "mona")
    add_account(sqlite_url, "nick")
    # The worker reads the rules again every half second (a suspension's end moved by hand
    # below is a change it has not seen, like a moderator's).
    stack: Stack = stack_factory(sqlite_url, redis_server, rules_refresh_seconds="0.5")
    stack.start()
    budget = held(stack, "council-budget", "Council budget vote", "Pat Writer", HELD[0])
    buses = held(stack, "bus-routes", "Bus routes cut", "Pat Writer", HELD[1])
    other = held(stack, "council-budget", "Council budget vote", "Sam Reader", HELD[2])
    football = held(stack, "council-budget", "Council budget vote", "Kim Fan", HELD[3])
    assert set(wait_for_status(stack, [budget, buses, other, football]).values()) == {"pending"}

    context, page, errors = sign_in(chromium, stack, "mona")
    assert count_of(page, "pending") == "4"
    card = page.locator(f"#item-{football}")
    assert card.locator("h2 a").inner_text() == "Council budget vote"
    assert card.locator("button[data-number='5']").inner_text() == "5 Off topic"

    # A ground one key away, with a note: n writes the note, Esc goes back to the comment,
    # 5 removes it as off topic. The tab's count follows without a reload.
    card.click(position={"x": 5, "y": 5})
    page.keyboard.press("n")
    page.keyboard.type("about football, not the budget")
    page.keyboard.press("Escape")
    page.keyboard.press("5")
    card.locator(".status", has_text="rejected").wait_for()
    page.locator(".tabs a[data-queue=pending] .count", has_text="3").wait_for()
    page.locator(".tabs a[data-queue=rejected] .count", has_text="1").wait_for()
    shot(page, "tools-01-off-topic-with-note")
    audit = context.new_page()
    audit.goto(f"/moderation/audit?comment={football}")
    assert (
        "reject (off_topic): about football, not the budget" in audit.locator("main").inner_text()
    )
    audit.close()
    with session_scope(sqlite_url) as session:
        (statement,) = session.query(Statement).filter_by(comment_id=football).all()
        assert (statement.ground_key, statement.ground_title) == ("off_topic", "Off topic")

    # A colleague's decision (through the API) reaches the counts within a poll.
    request = urllib.request.Request(
        f"{stack.base}/api/v1/moderation/comments/{other}/decision",
        data=json.dumps({"action": "approve"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **mona.headers},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    page.locator(".tabs a[data-queue=pending] .count", has_text="2").wait_for(timeout=15000)

    # The author's page: both of Pat's comments, on two articles; a note for the others.
    page.goto(f"/moderation/authors/{budget}")
    rows = page.locator("table.author-comments tbody tr")
    assert rows.count() == 2
    assert {rows.nth(i).locator("td").nth(2).inner_text().split(" default")[0].strip()
            for i in range(2)} == {"Council budget vote", "Bus routes cut"}  # fmt: skip
    page.get_by_label("A note for the other moderators").fill("Warned twice about links.")
    page.get_by_role("button", name="Add note").click()
    page.locator(".notes li", has_text="Warned twice about links.").wait_for()
    nick_context, nick, nick_errors = sign_in(chromium, stack, "nick")
    nick.goto(f"/moderation/authors/{buses}")
    assert "Warned twice about links." in nick.locator(".notes").inner_text()
    assert "mona" in nick.locator(".notes").inner_text()
    nick_context.close()

    # Ban and remove: every waiting comment of Pat's goes, on the ground chosen; then undo.
    page.goto("/moderation/queue/pending")
    pat = page.locator(f"#item-{budget}")
    pat.locator("select[name=ground]").select_option("harassment")
    pat.get_by_role("button", name="Ban and remove their comments").click()
    page.locator("#toast-text", has_text="removed 2 comments").wait_for()
    page.locator(f"#item-{buses} .status", has_text="rejected").wait_for()
    assert {status_of(stack, budget), status_of(stack, buses)} == {"rejected"}
    page.locator(".tabs a[data-queue=pending] .count", has_text="0").wait_for()
    shot(page, "tools-02-banned-and-removed")
    with session_scope(sqlite_url) as session:
        assert session.query(AuthorRule).filter_by(value="pat.writer@example.org").count() == 1
        keys = {s.ground_key for s in session.query(Statement).filter(
            Statement.comment_id.in_([budget, buses]))}  # fmt: skip
        assert keys == {"harassment"}
    page.get_by_role("button", name="Undo").click()
    page.locator(f"#item-{budget} .status", has_text="pending").wait_for()
    assert {status_of(stack, budget), status_of(stack, buses)} == {"pending"}
    page.locator(".tabs a[data-queue=pending] .count", has_text="2").wait_for()
    with session_scope(sqlite_url) as session:
        assert session.query(AuthorRule).filter_by(value="pat.writer@example.org").count() == 0

    # A suspension for a day: Pat's next comment is rejected; once its end has passed (moved
    # into the past here rather than waited for), the next one is published.
    page.goto("/moderation/authors")
    page.get_by_label("Email").fill("pat.writer@example.org")
    page.get_by_label("Suspend for").fill("1")
    page.get_by_role("button", name="Ban", exact=True).click()
    row = page.locator("table.audit tbody tr", has_text="pat.writer@example.org")
    assert row.locator("td").first.inner_text() == "suspended (email)"
    ends = row.locator("td.ends time").get_attribute("datetime") or ""
    assert ends[:10] == (utcnow() + timedelta(days=1)).date().isoformat()
    time.sleep(1)  # the worker's copy of the rules, read again
    while_suspended = stack.submit("council-budget", "Pat Writer", CLEAN)
    assert wait_for_status(stack, [while_suspended]) == {while_suspended: "rejected"}
    with session_scope(sqlite_url) as session:
        session.execute(
            update(AuthorRule)
            .where(AuthorRule.value == "pat.writer@example.org")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    time.sleep(1)
    after = stack.submit("council-budget", "Pat Writer", CLEAN + " Still.")
    assert wait_for_status(stack, [after]) == {after: "approved"}
    page.reload()
    assert page.locator("table.audit tbody tr", has_text="pat.writer@example.org").count() == 0

    assert errors == [] and nick_errors == []
    context.close()
