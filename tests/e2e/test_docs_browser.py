"""The API docs in a real headless Chromium with no way out: every request that is not to the
served API (127.0.0.1) is refused, as on a machine without the internet. Swagger UI at /docs
must still list the API's operations, under the docs' Content-Security-Policy with nothing
refused; and ReDoc at /redoc must show them too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import RedisServer
from tests.support.browser import shot
from tests.support.csp import csp_violations
from tests.support.stack import Stack


def _offline(context: Any) -> list[str]:
    """Refuse every request that leaves this machine; the list fills with their URLs."""
    refused: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", only_local)
    return refused


def test_the_api_docs_render_without_the_internet(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, chromium: Any
) -> None:
    stack: Stack = stack_factory(sqlite_url, redis_server)
    stack.start_api()
    schema = httpx.get(f"{stack.base}/openapi.json", timeout=10).json()
    operations = [
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    ]
    context = chromium.new_context(base_url=stack.base, viewport={"width": 1280, "height": 900})
    refused = _offline(context)
    violations = csp_violations(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/docs")
    # Swagger UI draws one block per operation, its method and its path in the summary.
    page.locator(".opblock").first.wait_for(state="visible", timeout=30_000)
    shown = [
        (
            block.locator(".opblock-summary-method").inner_text(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator(".opblock").all()
    ]
    assert sorted(shown) == sorted(operations)
    assert page.get_by_text("/api/v1/comments", exact=True).first.is_visible()
    shot(page, "docs-offline")
    assert (refused, violations, errors) == ([], [], [])

    page.goto("/redoc")
    # ReDoc lists every operation by its summary.
    summary = schema["paths"]["/readyz"]["get"]["summary"]
    page.locator("h2", has_text=summary).wait_for(timeout=30_000)
    shot(page, "redoc-offline")
    # ReDoc's "API docs by Redocly" logo comes from Redocly's host: refused, and only it.
    assert all(urlsplit(url).hostname == "cdn.redoc.ly" for url in refused), refused
    assert errors == []
    context.close()
