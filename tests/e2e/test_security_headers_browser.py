"""The security headers in a real headless Chromium, against the real stack: a page elsewhere
that frames the signed-in workspace (or its sign-in page, or an article page) gets nothing of
it to see or click; and the article page's form, posted without JavaScript, still reaches the
page its post returns to, ours or the site's own (form-action holds that redirect too).

The CSP must not break our own pages: the article page's and the workspace's browser tests
(test_article_browser.py, test_workspace_browser.py) fail on any violation it reports.
"""

from __future__ import annotations

from typing import Any

from moderation.domain.statuses import CommentStatus
from moderation.services import sites
from moderation.storage.db import session_scope
from tests.support.browser import shot
from tests.support.comments import CLEAN
from tests.support.stack import Stack
from tests.support.staff import PASSWORD, add_account, decided

# What a person could click in a frame.
CLICKABLE = "a, button, input, select, textarea"
# Each framed page of ours, and words a person sees on it.
FRAMED = {
    "/moderation/queue/pending": "Approve",
    "/moderation/login": "Sign in",
    "/articles/framed": "Leave a Reply",
}


def sign_in(page: Any, name: str) -> None:
    page.goto("/moderation/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/moderation/queue/pending")


def test_a_page_elsewhere_gets_nothing_of_ours_in_a_frame(
    stack: Stack, chromium: Any, news_site: Any
) -> None:
    add_account(stack.database_url, "mona")
    stack.start_api()
    held = stack.submit("framed", "Reader", CLEAN[0])
    decided(stack.database_url, held, CommentStatus.PENDING, {"spam": 0.6, "toxicity": 0.1})
    frames = "".join(
        f"<iframe src='{stack.base}{path}' width='900' height='500'></iframe>" for path in FRAMED
    )
    prize = news_site(f"<!doctype html><title>Win a prize</title><p>Click to win!</p>{frames}")
    # The same server under another name: 127.0.0.1 shares the API's site (its SameSite
    # cookies go along into a frame), localhost is another site.
    same_site, other_site = prize, prize.replace("127.0.0.1", "localhost")

    context = chromium.new_context(base_url=stack.base, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    sign_in(page, "mona")
    # At home the moderator sees the comment and its buttons, and a visitor the other pages.
    assert page.locator(f"#item-{held} .act-approve").is_visible()
    visitor = chromium.new_context(base_url=stack.base)
    for path, words in list(FRAMED.items())[1:]:
        home = visitor.new_page()
        home.goto(path)
        assert words in home.locator("body").inner_text(), path
    visitor.close()

    for framing in (same_site, other_site):
        page.goto(f"{framing}/index.html")
        iframes = page.locator("iframe").element_handles()
        assert len(iframes) == len(FRAMED)
        for (path, words), iframe in zip(FRAMED.items(), iframes, strict=True):
            frame = iframe.content_frame()
            assert frame is not None
            where = (framing, path)
            assert not frame.url.startswith(stack.base), where
            assert words not in frame.locator("body").inner_text(), where
            assert frame.locator(CLICKABLE).count() == 0, where
        shot(page, f"framed-{'same' if framing == same_site else 'other'}-site")
    context.close()


def test_a_form_post_without_javascript_returns_to_the_page_it_came_from(
    stack: Stack, chromium: Any, news_site: Any
) -> None:
    """Our article page for the default site returns to itself; for a site whose article
    lives on its own origin, to the article there (the origin the site registered)."""
    news = news_site(
        "<!doctype html><html lang='en'><head><title>Rail yard park</title></head>"
        "<body><h1>Rail yard park: the news site's own page</h1></body></html>"
    )
    with session_scope(stack.database_url) as session:
        key = sites.add_site(session, "example-news", "Example News", news, [news], {}).secret_key
    stack.start_api()
    # The site's article, announced with its URL by the first comment (from the site's backend).
    stack.submit(
        "42",
        "Reader",
        CLEAN[2],
        headers={"Authorization": f"Bearer {key}"},
        site_id="example-news",
        article_url=f"{news}/index.html",
    )

    context = chromium.new_context(base_url=stack.base, java_script_enabled=False)
    page = context.new_page()
    for article, body in (
        ("/articles/demo", CLEAN[3]),
        ("/articles/42?site=example-news", CLEAN[4]),
    ):
        page.goto(article)
        page.get_by_role("textbox", name="Comment", exact=True).fill(body)
        page.get_by_role("textbox", name="Name", exact=True).fill("Rosa Park")
        page.get_by_role("textbox", name="Email", exact=True).fill("rosa@example.org")
        page.get_by_role("button", name="Post Comment").click()
        page.wait_for_load_state()
        if article == "/articles/demo":
            assert page.url.startswith(f"{stack.base}/articles/demo?comment="), page.url
            assert page.locator("#comment-status").inner_text() == (
                "Thank you. Your comment is awaiting moderation."
            )
        else:
            assert page.url.startswith(f"{news}/index.html?comment="), page.url
            assert page.locator("h1").inner_text() == "Rail yard park: the news site's own page"
    context.close()
