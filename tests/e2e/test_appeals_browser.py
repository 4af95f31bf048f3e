"""An appeal (DSA Art. 20) in a real headless Chromium against the real stack (uvicorn, a
Celery worker, Redis): the policy removes a comment for a blocked word; its author's article
page shows the statement of reasons (another browser's does not); the author follows "Appeal
this decision" and files an appeal; a moderator (the policy decided, so anyone) reinstates it
in the workspace's Appeals tab; the author's page shows the comment published and the outcome;
the audit log and a real webhook receiver carry every step. The widget on a news site's page
shows the same statement, its appeal link and the outcome."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from moderation.services import webhooks
from moderation.services.accounts import Role
from moderation.storage import sites as sites_store
from moderation.storage.db import session_scope
from tests.conftest import RedisServer
from tests.e2e.test_article_browser import expect, registered_news_site
from tests.e2e.test_people_rules import call
from tests.support.browser import shot, watched_page
from tests.support.stack import Stack, http, wait_for_status
from tests.support.staff import PASSWORD, add_account
from tests.support.webhook_receiver import Receiver

REMOVED_TEXT = "The minister is a grifter, nothing more."
NOTE = "Robust criticism of a public figure."


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(secret="")
    yield found
    found.close()


def test_an_author_appeals_a_policy_removal_and_a_moderator_reinstates_it(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, chromium: Any,
    receiver: Receiver,
) -> None:  # fmt: skip
    with session_scope(sqlite_url) as session:
        site = sites_store.site_by_slug(session, "default")
        assert site is not None
        receiver.secret = site.secret_key
        webhooks.add_endpoint(session, "default", receiver.url("/hook"))
    stack: Stack = stack_factory(sqlite_url, redis_server, rules_refresh_seconds="0.5")
    # The deployment names its address: the worker's statements link to the appeal page in full.
    stack.env["MODERATION_PUBLIC_URL"] = stack.base
    stack.start_worker(beat=False)
    stack.start_api()
    admin = add_account(sqlite_url, "ada", Role.ADMIN)
    mona = add_account(sqlite_url, "mona")
    assert call(stack, "/api/v1/admin/word-rules", admin.token,
                {"kind": "blocked", "term": "grifter*"}) == 201  # fmt: skip
    time.sleep(1)  # one refresh of the worker's copy of the rules

    context, page, violations, errors = watched_page(chromium, 1000, stack.base)
    page.goto("/articles/demo")
    page.get_by_role("textbox", name="Comment", exact=True).fill(REMOVED_TEXT)
    page.get_by_role("textbox", name="Name", exact=True).fill("Pat Author")
    page.get_by_role("textbox", name="Email", exact=True).fill("pat@example.org")
    page.get_by_role("button", name="Post Comment").click()
    # Posted in place (the page keeps the reader token that wrote it); the worker removes it.
    mine = page.locator("li.comment", has_text=REMOVED_TEXT)
    expect()(mine).to_have_count(1)
    comment_id = int(mine.get_attribute("data-id") or 0)
    assert wait_for_status(stack, [comment_id]) == {comment_id: "rejected"}
    page.goto("/articles/demo")
    statement = page.locator("dl.statement")
    expect()(statement).to_contain_text("Obscene or prohibited language")
    shot(page, "appeal-01-statement")

    other, other_page, _, _ = watched_page(chromium, 1000, stack.base)
    other_page.goto("/articles/demo")
    expect()(other_page.locator("dl.statement")).to_have_count(0)
    other.close()

    page.get_by_role("link", name="Appeal this decision").click()
    page.get_by_label("Why should the decision be reversed?").fill("Grifter is fair comment.")
    page.get_by_role("button", name="Send appeal").click()
    expect()(page.locator("#appeal-received")).to_be_visible()
    expect()(page.locator("#appeal-state")).to_have_attribute("data-status", "open")
    appeal_url = page.url.split("?")[0]
    shot(page, "appeal-02-filed")
    status, queue = http("GET", f"{stack.base}/api/v1/moderation/appeals", headers=mona.headers)
    assert status == 200 and [a["comment_id"] for a in queue["items"]] == [comment_id], queue
    appeal_id = queue["items"][0]["id"]

    moderator, work, _, _ = watched_page(chromium, 1200, stack.base)
    work.goto("/moderation/login")
    work.get_by_label("Name").fill("mona")
    work.get_by_label("Password").fill(PASSWORD)
    work.get_by_role("button", name="Sign in").click()
    work.get_by_role("link", name="Appeals").click()
    card = work.locator("article.appeal")
    expect()(card).to_contain_text("Grifter is fair comment.")
    expect()(card).to_contain_text(REMOVED_TEXT)
    card.get_by_label("Note (shown to the author)").fill(NOTE)
    card.get_by_role("button", name="Reinstate comment").click()
    expect()(work.locator(".empty")).to_have_text("No open appeals.")
    shot(work, "appeal-03-reinstated")
    moderator.close()

    page.goto("/articles/demo")
    expect()(page.locator("li.comment", has_text=REMOVED_TEXT)).to_have_count(1)
    expect()(page.locator(".appeal-outcome")).to_contain_text("Your appeal was accepted")
    expect()(page.locator("dl.statement")).to_have_count(0)
    page.goto(appeal_url)
    expect()(page.locator("#appeal-state")).to_have_attribute("data-status", "reinstated")
    expect()(page.locator("#appeal-note")).to_have_text(NOTE)
    shot(page, "appeal-04-outcome")
    assert errors == [] and violations == []
    context.close()

    # The audit log, oldest first: the policy's removal, the appeal, the reinstatement by mona.
    status, audit = http(
        "GET", f"{stack.base}/api/v1/moderation/audit?comment={comment_id}", headers=admin.headers
    )
    assert status == 200, audit
    steps = [(e["actor"], e["to_status"], e["reason"]) for e in reversed(audit["events"])]
    assert len(steps) == 3, steps
    (removal, filed, reinstated) = steps
    assert removal[:2] == ("policy", "rejected") and "blocked_word" in removal[2], steps
    assert filed[1:] == ("rejected", f"appeal {appeal_id} filed"), steps
    assert reinstated == (
        "mona", "approved", f"approve: appeal {appeal_id} reinstated: {NOTE}"
    ), steps  # fmt: skip

    # The site's receiver got every step, signed, stamped in order. (Events of one transaction,
    # the reinstatement's status change and appeal.decided, are sent side by side and may
    # arrive either way round: a receiver orders them by created_at, as docs/webhooks.md says.)
    wanted = ["comment.status_changed", "appeal.filed", "comment.status_changed", "appeal.decided"]
    deadline = time.monotonic() + 20
    while len(receiver.of("/hook")) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.2)
    got = sorted(receiver.of("/hook"), key=lambda r: r.event["created_at"])
    assert all(r.verified for r in got)
    assert [r.event["type"] for r in got] == wanted, [r.event for r in got]
    states = [r.event["data"].get("status") or r.event["data"]["appeal"]["status"] for r in got]
    assert states == ["rejected", "open", "approved", "reinstated"], [r.event for r in got]
    # The removal's event carries the link the author followed, for a site to email it.
    assert got[0].event["data"]["statement"]["appeal"] == appeal_url


def test_the_widget_shows_the_statement_with_its_appeal_link_and_the_outcome(
    stack: Stack, chromium: Any, news_site: Any
) -> None:
    """On a news site's page, the widget's statement links to the appeal page on our origin
    (a new tab: the explanation is never typed into the site's page); once a moderator upholds
    the removal, the widget's statement says so with the moderator's note."""
    registered = registered_news_site(stack, news_site)
    stack.env["MODERATION_RULES_REFRESH_SECONDS"] = "0.5"
    stack.start()
    admin, mona = (
        add_account(stack.database_url, "ada", Role.ADMIN),
        add_account(stack.database_url, "mona"),
    )
    assert call(stack, "/api/v1/admin/word-rules", admin.token,
                {"kind": "blocked", "term": "grifter*"}) == 201  # fmt: skip
    time.sleep(1)  # one refresh of the worker's copy of the rules

    context, page, violations, errors = watched_page(chromium, 1000)
    page.goto(f"{registered}/index.html")
    widget = page.locator("#comments .mcw")
    widget.get_by_role("textbox", name="Comment", exact=True).fill(REMOVED_TEXT)
    widget.get_by_role("textbox", name="Name", exact=True).fill("Pat Author")
    widget.get_by_role("textbox", name="Email", exact=True).fill("pat@example.org")
    widget.get_by_role("button", name="Post Comment").click()
    expect()(widget.locator(".mcw-comment .mcw-notice")).to_have_text(
        "Your comment was not published.", timeout=30_000
    )
    page.reload()
    statement = widget.locator("dl.mcw-statement")
    expect()(statement).to_contain_text("Obscene or prohibited language")
    link = statement.get_by_role("link", name="Appeal this decision")
    assert (link.get_attribute("href") or "").startswith(f"{stack.base}/appeals/")

    with context.expect_page() as opened:
        link.click()
    appeal = opened.value
    appeal.get_by_label("Why should the decision be reversed?").fill("Fair comment.")
    appeal.get_by_role("button", name="Send appeal").click()
    expect()(appeal.locator("#appeal-state")).to_have_attribute("data-status", "open")
    appeal.close()
    page.reload()
    expect()(statement.locator(".mcw-appeal")).to_have_attribute("data-status", "open")
    expect()(statement.get_by_role("link", name="Your appeal")).to_have_count(1)

    status, queue = http("GET", f"{stack.base}/api/v1/moderation/appeals", headers=mona.headers)
    assert status == 200 and len(queue["items"]) == 1, queue
    status, decided = http(
        "POST",
        f"{stack.base}/api/v1/moderation/appeals/{queue['items'][0]['id']}/decision",
        {"outcome": "upheld", "note": "Name-calling, not criticism."},
        headers=mona.headers,
    )
    assert status == 200, decided
    page.reload()
    outcome = statement.locator(".mcw-appeal")
    expect()(outcome).to_have_attribute("data-status", "upheld")
    expect()(outcome).to_contain_text("Reviewed: the decision stands.")
    expect()(outcome.locator("q")).to_have_text("Name-calling, not criticism.")
    shot(page, "appeal-05-widget-upheld")
    assert errors == [] and violations == []
    context.close()
