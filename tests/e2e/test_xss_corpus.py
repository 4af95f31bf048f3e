"""The XSS corpus (tests/support/xss_corpus.py) through every way in, then every page rendered in a
real Chromium: no payload may run a script or show a dialog, and no page may carry an event
handler attribute, an inline script, a `javascript:`/`data:` link or a tag our templates never
write. The browser ignores the pages' Content-Security-Policy (`bypass_csp`): what is tested is
that the pages escape, not that the CSP catches what they forgot.

Ways in: the JSON API, a form post, ids and titles of articles, the widget's channel (a site's
registered origin), the Akismet- and Perspective-compatible APIs, the moderation API (decision
notes, author bans, word-list notes), readers' reports, and the CLI (a site's name, a
moderator's name). Pages: the article pages (the default site's and a site's), the widget on a
news site's own page, and every workspace page, with payloads reflected in their query strings.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from sqlalchemy import select

from moderation.domain import fields
from moderation.domain.statuses import CommentStatus
from moderation.storage.db import session_scope
from moderation.storage.models import Comment, Site
from tests.conftest import RedisServer, run_moderation
from tests.support.browser import shot
from tests.support.stack import Stack, wait_for_explanation
from tests.support.xss_corpus import PAYLOADS, URL_PAYLOADS

PASSWORD = "a long admin password"
# A moderator's name is one word: this one is a payload too.
ADMIN = "<svg/onload=alert(60)>"
SITE = "xss-news"

# Everything a page holds that could run a script: handler attributes, inline scripts, links
# and sources that are not http(s), and elements the templates never write.
INERT_CHECK = """() => {
  const problems = [];
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '');
  for (const el of document.querySelectorAll('*')) {
    for (const attribute of el.attributes) {
      if (attribute.name.toLowerCase().startsWith('on')) {
        problems.push(`${where(el)} has ${attribute.name}`);
      }
    }
    const xlink = el.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
    if (xlink) problems.push(`${where(el)} has xlink:href=${xlink}`);
  }
  for (const name of ['href', 'src', 'action', 'formaction', 'data', 'srcdoc']) {
    for (const el of document.querySelectorAll(`[${name}]`)) {
      const value = el.getAttribute(name);
      if (name === 'srcdoc') { problems.push(`${where(el)} has srcdoc`); continue; }
      let protocol = 'unparseable:';
      try { protocol = new URL(value, document.baseURI).protocol; } catch (e) {}
      if (protocol !== 'http:' && protocol !== 'https:') {
        problems.push(`${where(el)} ${name}=${value}`);
      }
    }
  }
  for (const el of document.querySelectorAll('script:not([src])')) {
    problems.push(`inline script: ${el.textContent.slice(0, 60)}`);
  }
  // The dashboard's chart is the one svg the templates write.
  const never = 'iframe, frame, object, embed, base, svg:not([aria-labelledby="chart-title"]), '
    + 'math, img, video, audio, details, meta[http-equiv], body style, noscript';
  for (const el of document.querySelectorAll(never)) problems.push(`element ${where(el)}`);
  if (window.__xss !== undefined) problems.push(`window.__xss = ${window.__xss}`);
  return problems;
}"""


def _name(payload: str, n: int) -> str:
    """The payload as the author's name where a name may hold it."""
    return payload[:100] if fields.is_line(payload[:100]) else f"Reader {n}"


def _keys(database_url: str) -> dict[str, str]:
    with session_scope(database_url) as session:
        return dict(session.execute(select(Site.slug, Site.secret_key)).all())


def _widget_page(api: str, article: str) -> str:
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>News</title></head><body>"
        "<h1>A news article</h1><div id=comments></div>"
        f'<script src="{api}/widget.js" data-site="{SITE}" data-article="{article}" '
        'data-target="#comments" async></script></body></html>'
    )


def _by_a_reader(channel: str, n: int, payload: str, article_id: str) -> dict[str, str]:
    """The n-th payload as a comment's text, its author named after it (see _name)."""
    return {
        "article_id": article_id,
        "author_name": _name(payload, n),
        "author_email": f"{channel}{n}@example.org",
        "body": payload,
    }


def _feed_the_corpus(stack: Stack, http: httpx.Client, news: str, token: str) -> dict[str, Any]:
    """Every payload through every way in; what the pages should then show."""
    keys = _keys(stack.database_url)
    ids: dict[str, list[int]] = {"json": [], "form": [], "widget": [], "akismet": []}
    # The JSON API on the default site: bodies, names and http(s) author URLs.
    for n, payload in enumerate(PAYLOADS):
        answer = http.post(
            "/api/v1/comments",
            json={
                **_by_a_reader("json", n, payload, "xss"),
                "author_url": URL_PAYLOADS[n % len(URL_PAYLOADS)],
            },
        )
        assert answer.status_code == 202, (payload, answer.text)
        ids["json"].append(answer.json()["id"])
    # A form post, as the article page sends it without JavaScript.
    for n, payload in enumerate(PAYLOADS):
        answer = http.post(
            "/api/v1/comments",
            data=_by_a_reader("form", n, payload, "xss-form"),
            follow_redirects=False,
        )
        assert answer.status_code == 303, (payload, answer.text)
        ids["form"].append(int(re.findall(r"comment=(\d+)", answer.headers["location"])[0]))
    # Payloads as article ids, and as an article's title set by the site's backend.
    article_ids = [p for p in PAYLOADS if fields.is_line(p) and "/" not in p][:12]
    for n, article_id in enumerate(article_ids):
        answer = http.post(
            "/api/v1/comments",
            json={
                "article_id": article_id,
                "author_name": "Ann",
                "author_email": f"id{n}@example.org",
                "body": "A plain comment.",
            },
        )
        assert answer.status_code == 202, (article_id, answer.text)
    titled = http.post(
        "/api/v1/comments",
        json={
            "site_id": SITE,
            "article_id": "xss-titled",
            "article_title": PAYLOADS[0],
            "article_url": f"{news}/titled",
            "author_name": "Ann",
            "author_email": "titled@example.org",
            "body": "A plain comment.",
        },
        headers={"Authorization": f"Bearer {keys[SITE]}"},
    )
    assert titled.status_code == 202, titled.text
    # The widget's channel: a browser on the site's registered origin.
    for n, payload in enumerate(PAYLOADS):
        answer = http.post(
            "/api/v1/comments",
            json={
                **_by_a_reader("widget", n, payload, "xss-widget"),
                "site_id": SITE,
                "article_title": PAYLOADS[1],
                "article_url": f"{news}/?a={quote(payload)}",
            },
            headers={"Origin": news},
        )
        assert answer.status_code == 202, (payload, answer.text)
        ids["widget"].append(answer.json()["id"])
    # The Akismet-compatible API: published at once (administrator), javascript: URLs included.
    for n, payload in enumerate(PAYLOADS):
        answer = http.post(
            "/1.1/comment-check",
            data={
                "api_key": keys["default"],
                "blog": stack.base,
                "user_ip": "203.0.113.7",
                "permalink": f"{stack.base}/articles/xss-akismet",
                "comment_author": payload,
                "comment_author_email": f"akismet{n}@example.org",
                "comment_author_url": payload,
                "comment_content": payload,
                "user_role": "administrator",
            },
        )
        assert answer.status_code == 200 and answer.text == "false", (payload, answer.text)
        ids["akismet"].append(int(answer.headers["X-Moderation-Comment-Id"]))
    # The Perspective-compatible API keeps texts (doNotStore false); no page shows them.
    for payload in PAYLOADS[:10]:
        answer = http.post(
            f"/v1alpha1/comments:analyze?key={keys['default']}",
            json={"comment": {"text": payload}, "requestedAttributes": {"TOXICITY": {}}},
            timeout=60,
        )
        assert answer.status_code == 200, (payload, answer.text)
    return {"ids": ids, "article_ids": article_ids}


def _moderate(stack: Stack, http: httpx.Client, token: str, ids: dict[str, list[int]]) -> None:
    """The moderation API with payloads in what moderators write; readers' reports."""
    auth = {"Authorization": f"Bearer {token}"}
    # Publish the JSON API's comments (whatever the policy said), each call with a payload note.
    for n, chunk in enumerate([ids["json"][:14], ids["json"][14:28], ids["json"][28:]]):
        answer = http.post(
            "/api/v1/moderation/decisions",
            json={"ids": chunk, "action": "approve", "note": PAYLOADS[n]},
            headers=auth,
        )
        assert answer.status_code == 200, answer.text
    answer = http.post(
        "/api/v1/moderation/decisions",
        json={"ids": ids["widget"], "action": "approve", "note": PAYLOADS[3]},
        headers=auth,
    )
    assert answer.status_code == 200, answer.text
    for n, payload in enumerate(PAYLOADS[:5]):
        ban = http.post(
            "/api/v1/moderation/authors",
            json={"action": "ban", "email": f"banned{n}@example.org", "note": payload},
            headers=auth,
        )
        assert ban.status_code in (200, 201), ban.text
    rule = http.post(
        "/api/v1/admin/word-rules",
        json={"kind": "suspect", "term": "xsstest", "note": PAYLOADS[4]},
        headers=auth,
    )
    assert rule.status_code in (200, 201), rule.text
    for comment_id, payload in zip(ids["json"][:8], PAYLOADS[5:13], strict=True):
        report = http.post(
            f"/api/v1/comments/{comment_id}/reports", json={"reason": "abuse", "text": payload}
        )
        assert report.status_code == 202, report.text


def test_the_xss_corpus_through_every_way_in_never_runs_in_any_page(
    sqlite_url: str,
    redis_server: RedisServer,
    stack_factory: Any,
    chromium: Any,
    news_site: Any,
) -> None:
    stack: Stack = stack_factory(sqlite_url, redis_server, analyze_timeout_seconds="60")
    news = news_site(_widget_page(stack.base, "xss-widget"))
    settings = {"database_url": sqlite_url}
    added = run_moderation(
        "users", "add", ADMIN, "--role", "admin", settings=settings, input_text=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    site = run_moderation(
        "sites", "add", SITE, "--name", PAYLOADS[0], "--url", news, "--origin", news,
        settings=settings,
    )  # fmt: skip
    assert site.returncode == 0, site.stderr
    token = run_moderation("tokens", "create", ADMIN, settings=settings).stdout.strip()
    stack.start()

    with httpx.Client(base_url=stack.base, timeout=30) as http:
        fed = _feed_the_corpus(stack, http, news, token)
        ids = fed["ids"]
        total = sum(len(v) for v in ids.values()) + len(fed["article_ids"]) + 1
        stack.wait_until_decided(total, timeout=180)
        _moderate(stack, http, token, ids)
    # The workspace highlights the spans its worker explained for the comments it held.
    with session_scope(sqlite_url) as session:
        held = (
            session.execute(
                select(Comment.id).where(
                    Comment.id.in_(ids["form"]), Comment.status == CommentStatus.PENDING
                )
            )
            .scalars()
            .first()
        )
    assert held is not None, "the policy held none of the corpus"
    wait_for_explanation(stack, held, timeout=60)

    reflected = quote(PAYLOADS[1])
    pages = [
        "/articles/xss",
        "/articles/xss-form",
        f"/articles/xss-titled?site={SITE}",
        f"/articles/xss?reply_to={reflected}&cursor={reflected}",
        f"/articles/xss?site={reflected}",
        *[f"/articles/{quote(a, safe='')}" for a in fed["article_ids"]],
        f"/moderation/login?next={reflected}",
    ]
    workspace = [
        *[f"/moderation/queue/{q}" for q in ("pending", "reported", "spam", "rejected")],
        "/moderation/queue/approved",
        "/moderation/queue/approved?"
        + urlencode({"author": PAYLOADS[1], "text": PAYLOADS[2], "article": PAYLOADS[3]}),
        f"/moderation/queue/{reflected}",
        "/moderation/dashboard",
        "/moderation/authors",
        "/moderation/audit",
        f"/moderation/audit?actor={reflected}",
        f"/moderation/audit?comment={ids['json'][0]}",
        "/moderation/users",
        "/moderation/word-lists",
    ]

    context = chromium.new_context(
        base_url=stack.base, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    dialogs: list[str] = []
    context.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def visit(url: str) -> str:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.mouse.move(640, 450)  # a handler that waits for the pointer
        page.keyboard.press("Tab")  # one that waits for focus or blur
        time.sleep(0.1)
        problems = page.evaluate(INERT_CHECK)
        if problems or dialogs:
            found[url] = [*problems, *[f"dialog: {m}" for m in dialogs]]
            dialogs.clear()
        return str(page.inner_text("body"))

    shown = visit("/articles/xss")
    visit("/articles/xss-titled?site=" + SITE)
    assert page.locator("h1").inner_text() == PAYLOADS[0]
    # The corpus reached the page as text: every approved payload is there to read.
    assert sum(p.strip() in shown for p in PAYLOADS if "\t" not in p) >= 35
    # Akismet's article is its permalink's path.
    akismet = visit("/articles/" + quote("/articles/xss-akismet", safe=""))
    assert page.locator(".comment").count() == len(PAYLOADS)
    assert PAYLOADS[0] in akismet
    for url in pages:
        visit(url)
    widget_text = visit(news)
    assert page.locator(".mcw-comment").count() == len(PAYLOADS), widget_text
    assert PAYLOADS[0] in widget_text
    shot(page, "xss-widget")

    page.goto("/moderation/login")
    page.get_by_label("Name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/moderation/queue/pending")
    reported = visit("/moderation/queue/reported")
    assert PAYLOADS[5] in reported
    for url in workspace:
        visit(url)
    audit = visit("/moderation/audit")
    assert PAYLOADS[0] in audit and ADMIN in audit
    shot(page, "xss-audit")
    context.close()

    assert found == {}, "\n".join(f"{url}: {problems}" for url, problems in found.items())
