"""The moderators' workspace in a real headless Chromium, against the real stack (API served by
uvicorn, Celery worker, Redis): sign in, approve a held comment with the keyboard and find it on
the article page, reject comments in bulk, and see XSS payloads shown as text.

Screenshots of the workspace are kept under build/screenshots/ (CI keeps build/ as artifacts).
"""

from __future__ import annotations

from typing import Any

from moderation.storage.db import session_scope
from moderation.storage.models import ModeratorLabel
from tests.conftest import run_moderation
from tests.support.browser import shot, watched_page
from tests.support.stack import Stack, status_of, wait_for_explanation, wait_for_status

PASSWORD = "a long moderator password"
ARTICLE = "council-budget"
# Two links to news outlets: held by the link rule for a person to look at (not spam).
HELD = [
    "Both reports disagree on the figures: https://apnews.com/article/budget and "
    "https://www.reuters.com/world/budget-vote. Which one is right?",
    "Sources for the claim about bus cuts: https://www.bbc.co.uk/news/transport and "
    "https://www.theguardian.com/uk-news/buses",
    "Compare the two fact checks: https://www.npr.org/budget-check and "
    "https://www.politifact.com/budget-claims",
]
# Held by the link rule too; a moderator removes it as a threat with the card's key.
# A veiled threat the policy holds (two links) but cannot call a threat on its own: no
# sentence of it aims harm at anyone in words a cue knows, so a moderator's ground decides.
THREAT = (
    "The reporter's kids go to the school on Elm Road: https://www.bbc.co.uk/news/local and "
    "https://www.theguardian.com/uk-news/local. Just saying."
)
# The insult makes the policy hold or remove it whatever the model thinks of markup (a model
# that approved it would never explain it, and the highlighting below would have nothing).
XSS_BODY = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> you idiot'
XSS_NAME = "<svg onload=window.__xss=3>"


def test_a_moderator_works_through_the_queue_in_a_browser(stack: Stack, chromium: Any) -> None:
    added = run_moderation(
        "users",
        "add",
        "mona",
        "--role",
        "moderator",
        settings={"database_url": stack.database_url},
        input_text=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    stack.start()
    held = [stack.submit(ARTICLE, f"Reader {i}", body) for i, body in enumerate(HELD)]
    xss = stack.submit(ARTICLE, XSS_NAME, XSS_BODY, author_email="xss@example.org")
    statuses = wait_for_status(stack, [*held, xss])
    assert all(statuses[i] == "pending" for i in held), statuses

    context, page, violations, errors = watched_page(chromium, 1280, stack.base)

    # Signing in: the workspace sends an anonymous visitor to the sign-in page and back.
    page.goto("/moderation/queue/pending")
    assert "/moderation/login" in page.url
    page.get_by_label("Name").fill("mona")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/moderation/queue/pending")
    pending = sum(1 for status in statuses.values() if status == "pending")
    assert page.locator(".tabs a[aria-current=page] .count").inner_text() == str(pending)
    shot(page, "01-pending-queue")

    # Approve the second held comment with the keyboard: j moves down, a approves.
    target = held[1]
    page.keyboard.press("j")
    focused_id = page.evaluate("document.activeElement.dataset.id")
    assert focused_id is not None
    target = int(focused_id)
    page.keyboard.press("a")
    page.locator(f"#item-{target} .status", has_text="approved").wait_for()
    assert page.locator("#toast").is_visible()
    shot(page, "02-approved-with-undo")
    assert status_of(stack, target) == "approved"
    article = context.new_page()
    article.goto(f"/articles/{ARTICLE}")
    approved_body = next(body for i, body in zip(held, HELD, strict=True) if i == target)
    assert article.locator(".comment .body").first.inner_text().strip() == approved_body.strip()
    article.close()

    # Reject the other two in bulk: select with x, then the bulk button.
    page.reload()
    remaining = [i for i in held if i != target]
    for comment_id in remaining:
        page.locator(f"#item-{comment_id}").click(position={"x": 5, "y": 5})
        page.keyboard.press("x")
    assert page.locator("#selected-count").inner_text() == "2 selected"
    page.get_by_role("button", name="Reject selected").click()
    for comment_id in remaining:
        page.locator(f"#item-{comment_id} .status", has_text="rejected").wait_for()
    shot(page, "03-bulk-rejected")
    assert {status_of(stack, i) for i in remaining} == {"rejected"}

    # A removal with its ground: t on the card rejects it as a threat, which the toast, the
    # audit log and the training label say.
    threat = stack.submit(ARTICLE, "Reader T", THREAT)
    assert wait_for_status(stack, [threat]) == {threat: "pending"}
    page.reload()
    page.locator(f"#item-{threat}").click(position={"x": 5, "y": 5})
    button = page.locator(f"#item-{threat} button[data-key=t]")
    assert button.inner_text() == "4 Threats of violence t"
    page.keyboard.press("t")
    page.locator(f"#item-{threat} .status", has_text="rejected").wait_for()
    assert page.locator("#toast-text").inner_text() == f"Rejected (threats) #{threat}."
    audit = context.new_page()
    audit.goto(f"/moderation/audit?comment={threat}")
    assert "reject (threats)" in audit.locator("main").inner_text()
    audit.close()
    with session_scope(stack.database_url) as session:
        grounds = [
            label.ground for label in session.query(ModeratorLabel).filter_by(comment_id=threat)
        ]
    assert grounds == ["threat"]

    # The keyboard help.
    page.keyboard.press("?")
    assert page.locator("#keys").is_visible()
    page.keyboard.press("Escape")

    # XSS payloads are text in the workspace, wherever the policy put the comment; its
    # explanation (computed by the worker after the decision) is highlighted in it.
    queue = status_of(stack, xss)
    wait_for_explanation(stack, xss)
    page.goto(f"/moderation/queue/{queue}")
    item = page.locator(f"#item-{xss}")
    assert item.locator(".body mark").count() >= 1
    assert XSS_BODY in item.locator(".body").inner_text()
    assert item.locator(".author-name").inner_text() == XSS_NAME
    assert item.locator(".body img, .body script, .author svg").count() == 0
    assert page.evaluate("window.__xss") is None
    shot(page, "04-xss-as-text")
    assert errors == []
    # The workspace's Content-Security-Policy refused nothing it needed along the way.
    assert violations == []
    context.close()
