"""A notice of illegal content filed from the article page in a real headless Chromium, against
the real stack (API served by uvicorn, a Celery worker, Redis): the notifier follows "Report
illegal content" under a published comment, meets the form's errors, files the notice and sees
the acknowledgement with its status URL; a moderator removes the comment through the moderation
API; the notifier's status URL shows the outcome and the comment is gone from the page.

Screenshots are kept under build/screenshots/ (CI keeps build/ as artifacts).
"""

from __future__ import annotations

from typing import Any

from tests.e2e.test_article_browser import expect
from tests.support.browser import shot, watched_page
from tests.support.comments import CLEAN
from tests.support.stack import Stack, http, wait_for_status
from tests.support.staff import add_account


def test_a_notice_filed_from_the_article_page_reaches_the_queue_and_its_outcome_the_notifier(
    stack: Stack, chromium: Any
) -> None:
    stack.start()
    (comment_id,) = [stack.submit("demo", "Carl Commenter", CLEAN[5])]
    assert wait_for_status(stack, [comment_id]) == {comment_id: "approved"}
    moderator = add_account(stack.database_url, "mona")
    context, page, violations, errors = watched_page(chromium, 1000, stack.base)

    page.goto("/articles/demo")
    comment = page.locator(f"#comment-{comment_id}")
    comment.get_by_role("link", name="Report illegal content").click()
    expect()(page.get_by_role("heading", name="Report illegal content")).to_be_visible()
    expect()(page.locator("#reported-comment")).to_contain_text(CLEAN[5])

    # Without the good-faith statement: the form again, the error by the field, text kept.
    page.get_by_label("Ground").select_option("defamation")
    page.get_by_label("Law or rule").fill("Criminal Code s. 186")
    page.get_by_label("Explanation").fill("It accuses a named official of a crime, falsely.")
    page.get_by_label("Your name").fill("Nora Notifier")
    page.get_by_label("Your email").fill("nora@example.net")
    page.get_by_role("button", name="Send notice").click()
    expect()(page.get_by_role("alert")).to_contain_text("Good-faith statement is required")
    assert page.get_by_label("Explanation").input_value().startswith("It accuses")
    shot(page, "notice-01-good-faith-missing")

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Send notice").click()
    expect()(page.locator("#notice-received")).to_contain_text("Your notice was received")
    status_url = page.locator("#notice-status-url").inner_text()
    assert status_url.startswith(f"{stack.base}/notices/status/")
    expect()(page.locator("#notice-state")).to_have_attribute("data-status", "received")
    shot(page, "notice-02-acknowledged")

    # The moderator finds it in the Notices queue and removes the comment.
    headers = moderator.headers
    status, queue = http("GET", f"{stack.base}/api/v1/moderation/notices", headers=headers)
    assert status == 200 and [n["comment_id"] for n in queue["items"]] == [comment_id]
    notice_id = queue["items"][0]["id"]
    status, decided = http(
        "POST",
        f"{stack.base}/api/v1/moderation/notices/{notice_id}/decision",
        {"outcome": "removed", "reason": "False accusation of a crime."},
        headers=headers,
    )
    assert status == 200, decided

    page.goto(status_url)
    expect()(page.locator("#notice-outcome")).to_have_attribute("data-outcome", "removed")
    expect()(page.locator("#notice-reason")).to_have_text("False accusation of a crime.")
    assert "Nora" not in page.content() and "Carl Commenter" not in page.content()
    shot(page, "notice-03-outcome")
    page.goto("/articles/demo")
    expect()(page.locator(f"#comment-{comment_id}")).to_have_count(0)
    assert errors == []
    assert violations == []
    context.close()
