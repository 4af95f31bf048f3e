"""The article page and the embeddable widget in a real headless Chromium, against the real
stack (API served by uvicorn, a Celery worker, Redis): a reader posts with JavaScript on, sees
the error by the field, then their comment in place awaiting moderation and published live; a
news site's own page (another origin, served by a little http.server) embeds the widget, which
shows the approved comments and posts one; a page on an origin the site did not register gets
nothing; and both forms, posting with the one submit.js, show the API's error by the field alike.

Screenshots are kept under build/screenshots/ (CI keeps build/ as artifacts).
"""

from __future__ import annotations

from typing import Any

from moderation.services import sites
from moderation.storage.db import session_scope
from tests.conftest import ROOT, require
from tests.support.browser import shot, watched_page
from tests.support.comments import CLEAN
from tests.support.csp import csp_violations
from tests.support.stack import Stack, http, wait_for_status

# Records every text the moderation status of a comment shows, in order, so a test sees the
# "awaiting moderation" the reader saw even if the worker decided a moment later.
RECORD_STATUSES = """
window.__statuses = [];
new MutationObserver(() => {
  for (const node of document.querySelectorAll('.moderation-status, .mcw-status')) {
    const text = node.textContent;
    if (window.__statuses[window.__statuses.length - 1] !== text) window.__statuses.push(text);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
WAITING = "Your comment is awaiting moderation. Only you can see it."
PUBLISHED = "Your comment is published."
XSS_NAME = '<img src=x onerror="window.__xss=1">Nadia'


def readme_widget_policy(service: str) -> str:
    """The Content-Security-Policy that docs/embedding.md gives for a page embedding the
    widget, with this service's origin for its example one."""
    readme = (ROOT / "docs" / "embedding.md").read_text()
    section = readme[readme.index("## Embedding the comments") :]
    line = next(
        line.strip()
        for line in section.splitlines()
        if line.strip().startswith("Content-Security-Policy:")
    )
    policy = line.removeprefix("Content-Security-Policy:").strip()
    return policy.replace("https://moderation.example", service)


def widget_page(service: str) -> str:
    """A news site's article page with the widget's tag, as docs/embedding.md gives it."""
    return (
        "<!doctype html><html lang='en'><head><title>Rail yard park: readers react</title>"
        "<link rel='stylesheet' href='site.css'>"
        "</head><body><h1>Rail yard park: readers react</h1><p>The news site's article.</p>"
        "<div id='comments'></div>"
        f"<script src='{service}/widget.js' data-site='example-news' data-article='42' "
        "data-target='#comments' async></script></body></html>"
    )


def registered_news_site(stack: Stack, news_site: Any, files: dict[str, str] | None = None) -> str:
    """The widget's page on an origin registered for site example-news, under the strict
    policy docs/embedding.md gives for the widget; its base URL."""
    strict = {"Content-Security-Policy": readme_widget_policy(stack.base)}
    registered: str = news_site(widget_page(stack.base), headers=strict, files=files)
    with session_scope(stack.database_url) as session:
        sites.add_site(session, "example-news", "Example News", registered, [registered], {})
    return registered


def expect() -> Any:
    try:
        from playwright.sync_api import expect as playwright_expect
    except ImportError:  # the chromium fixture has already said so
        require(False, "the playwright package is not installed")
        raise
    return playwright_expect


def test_a_reader_posts_with_javascript_on_and_sees_it_published_live(
    stack: Stack, chromium: Any
) -> None:
    stack.start()
    context, page, violations, errors = watched_page(chromium, 1100, stack.base)
    page.goto("/articles/demo")
    page.evaluate(RECORD_STATUSES)
    page.evaluate("window.__notReloaded = true")

    # An empty email: the error by the field, announced, and the focus moved there.
    page.get_by_role("textbox", name="Comment", exact=True).fill(CLEAN[1])
    page.get_by_role("textbox", name="Name", exact=True).fill("Rosa Park")
    page.get_by_role("button", name="Post Comment").click()
    email = page.get_by_role("textbox", name="Email", exact=True)
    expect()(email).to_have_attribute("aria-invalid", "true")
    assert page.locator("#error-author_email").inner_text() == "Email must not be empty"
    assert "error-author_email" in (email.get_attribute("aria-describedby") or "")
    assert page.evaluate("document.activeElement.id") == "field-author_email"
    expect()(page.get_by_role("alert")).to_contain_text("Email must not be empty")
    shot(page, "article-01-error-by-the-field")

    # Corrected: the comment appears in place, awaiting moderation, then published.
    email.fill("rosa@example.org")
    page.get_by_role("button", name="Post Comment").click()
    mine = page.locator("li.comment", has_text=CLEAN[1])
    expect()(mine).to_have_count(1)
    assert page.locator("#error-author_email").count() == 0
    assert email.get_attribute("aria-invalid") is None
    expect()(mine.locator(".moderation-status")).to_have_text(PUBLISHED, timeout=30_000)
    shot(page, "article-02-published-live")
    assert page.evaluate("window.__statuses") == [WAITING, PUBLISHED]
    assert page.evaluate("window.__notReloaded") is True
    expect()(page.locator("#comment-live")).to_have_text(PUBLISHED)
    assert page.get_by_role("textbox", name="Comment", exact=True).input_value() == ""
    comment_id = int(mine.get_attribute("data-id") or 0)
    assert http("GET", f"{stack.base}/api/v1/comments/{comment_id}")[1]["status"] == "approved"

    # Reply moves the form under the comment; Cancel puts it back and returns the focus.
    reply = mine.get_by_role("link", name="Reply")
    reply.click()
    assert mine.locator("form.comment-form").count() == 1
    assert page.locator("input[name=parent_id]").input_value() == str(comment_id)
    assert page.evaluate("document.activeElement.id") == "field-body"
    expect()(page.locator("#reply-title")).to_have_text("Reply to Rosa Park")
    page.get_by_role("button", name="Cancel reply").click()
    assert mine.locator("form.comment-form").count() == 0
    assert page.locator("input[name=parent_id]").input_value() == ""
    assert page.evaluate("document.activeElement.textContent") == "Reply"

    # After a reload the page, rendered by the server, shows it as everyone sees it.
    page.reload()
    expect()(page.locator(f"#comment-{comment_id} .body")).to_have_text(CLEAN[1])
    assert errors == []
    # The page's Content-Security-Policy refused nothing it needed along the way.
    assert violations == []
    context.close()


def test_the_widget_on_a_registered_site_shows_and_posts_comments_and_elsewhere_nothing(
    stack: Stack, chromium: Any, news_site: Any
) -> None:
    page_html = widget_page(stack.base)
    # The site's own rule, as plain as rules get: it wins over the widget's.
    site_css = {"site.css": "label { font-weight: 300 }"}
    registered = registered_news_site(stack, news_site, files=site_css)
    elsewhere = news_site(page_html, files=site_css)
    stack.start()
    seeded = [
        stack.submit("42", f"Reader {n}", body, site_id="example-news")
        for n, body in enumerate(CLEAN[2:4])
    ]
    assert set(wait_for_status(stack, seeded).values()) == {"approved"}

    context, page, violations, errors = watched_page(chromium, 1000)
    page.goto(f"{registered}/index.html")
    widget = page.locator("#comments .mcw")
    expect()(widget.locator(".mcw-comment")).to_have_count(2)
    assert widget.locator(".mcw-body").all_inner_texts() == CLEAN[2:4]
    # Styled by the widget's stylesheet, under the site's own rules.
    expect()(widget.locator(".mcw-field").first).to_have_css("display", "flex")
    expect()(widget.locator(".mcw-field label").first).to_have_css("font-weight", "300")
    page.evaluate(RECORD_STATUSES)

    widget.get_by_role("textbox", name="Comment", exact=True).fill(CLEAN[4])
    widget.get_by_role("textbox", name="Name", exact=True).fill(XSS_NAME)
    widget.get_by_role("textbox", name="Email", exact=True).fill("nadia@example.org")
    widget.get_by_role("button", name="Post Comment").click()
    mine = widget.locator(".mcw-comment", has_text=CLEAN[4])
    expect()(mine.locator(".mcw-status")).to_have_text(PUBLISHED, timeout=30_000)
    shot(page, "widget-01-posted-and-published")
    assert page.evaluate("window.__statuses") == [WAITING, PUBLISHED]
    # The name is text, as written; the page ran none of it.
    assert mine.locator(".mcw-author").inner_text() == XSS_NAME
    assert widget.locator("img").count() == 0
    assert page.evaluate("window.__xss") is None
    token = page.evaluate("Object.entries(localStorage).find(([k]) => k.startsWith('mcw-reader:'))")
    assert token is not None and token[1]

    # The reader comes back: the three approved comments, from the API, in order.
    page.reload()
    expect()(widget.locator(".mcw-comment")).to_have_count(3)
    assert widget.locator(".mcw-body").all_inner_texts() == [*CLEAN[2:4], CLEAN[4]]
    assert errors == []
    assert violations == []

    # The same page on an origin the site did not register: the browser refuses the API's
    # answer, and the widget shows no comments and no form.
    other = context.new_page()
    refused: list[str] = []
    other.on("console", lambda message: refused.append(message.text))
    other.goto(f"{elsewhere}/index.html")
    expect()(other.locator(".mcw-failure")).to_have_text("Comments are not available right now.")
    assert other.locator(".mcw-comment").count() == 0
    assert other.locator(".mcw-form").is_hidden()
    assert any("registered for site" in text for text in refused), refused
    shot(other, "widget-02-unregistered-origin")
    context.close()


# Tells the API's error for the email apart from the browser's own checks: both forms are
# novalidate, so the words can only be the server's, put by the field by submit.js.
NOT_AN_EMAIL = "rosa.park.example.org"
# The error by the Email field, as a reader meets it: its words, whether it stands in the
# field's own wrapper, whether the field names it first for screen readers (keeping its note),
# whether the focus went to the field, and what the alert says.
EMAIL_ERROR = """(input) => {
  const ids = (input.getAttribute("aria-describedby") || "").split(" ");
  const error = document.getElementById(ids[0]);
  const alert = input.closest("form").parentNode.querySelector("[role=alert]");
  return {
    text: error ? error.textContent : null,
    beside: Boolean(error) && error.parentNode === input.parentNode,
    note: ids.slice(1).map((id) => (document.getElementById(id) || {}).textContent),
    focused: document.activeElement === input,
    alert: alert.innerText.split("\\n").filter(Boolean),
  };
}"""


def test_the_article_page_and_the_widget_show_the_same_field_error_from_submit_js(
    stack: Stack, chromium: Any, news_site: Any
) -> None:
    registered = registered_news_site(stack, news_site)
    stack.start_api()  # no worker: the API refuses the email before anything is queued
    context = chromium.new_context(base_url=stack.base, viewport={"width": 1000, "height": 900})
    violations = csp_violations(context)
    errors: list[str] = []
    scripts: dict[str, Any] = {}

    def open_page(url: str) -> Any:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "response",
            lambda answer: (
                scripts.setdefault(answer.url.split("?")[0], answer)
                if answer.request.resource_type == "script"
                else None
            ),
        )
        page.goto(url)
        return page

    def post_with_a_bad_email(form: Any) -> dict[str, Any]:
        form.get_by_role("textbox", name="Comment", exact=True).fill(CLEAN[1])
        form.get_by_role("textbox", name="Name", exact=True).fill("Rosa Park")
        email = form.get_by_role("textbox", name="Email", exact=True)
        email.fill(NOT_AN_EMAIL)
        form.get_by_role("button", name="Post Comment").click()
        expect()(email).to_have_attribute("aria-invalid", "true")
        shown: dict[str, Any] = email.evaluate(EMAIL_ERROR)
        return shown

    article = open_page("/articles/42?site=example-news")
    article.evaluate("window.__notReloaded = true")
    on_the_page = post_with_a_bad_email(article.locator("#reply"))
    # Shown in place by the script, not by the page posted and rendered again.
    assert article.evaluate("window.__notReloaded") is True
    shot(article, "shared-01-article-page-error")

    widget = open_page(f"{registered}/index.html")
    in_the_widget = post_with_a_bad_email(widget.locator("#comments .mcw"))
    shot(widget, "shared-02-widget-error")

    assert on_the_page["text"].startswith("Email must be an email address (")
    assert on_the_page == {
        "text": on_the_page["text"],
        "beside": True,
        "note": ["Never published."],
        "focused": True,
        "alert": ["Your comment was not sent. Please correct:", on_the_page["text"]],
    }
    assert in_the_widget == on_the_page
    # The code that did it on both is submit.js: the page loaded it, the widget's one script
    # carries it whole, and on the news site's page it left no global behind.
    shared = scripts[f"{stack.base}/static/submit.js"]
    assert shared.ok
    assert shared.text() in scripts[f"{stack.base}/widget.js"].text()
    assert article.evaluate("typeof window.moderationSubmit") == "object"
    assert widget.evaluate("typeof window.moderationSubmit") == "undefined"
    assert errors == []
    assert violations == []
    context.close()
