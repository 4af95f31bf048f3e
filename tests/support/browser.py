"""A page in headless Chromium as the browser tests watch it, and screenshots of it.

Screenshots are kept under build/screenshots/ (CI keeps build/ as artifacts).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.support.csp import csp_violations

SCREENSHOTS = Path(os.environ.get("MODERATION_SCREENSHOTS", ROOT / "build" / "screenshots"))


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def watched_page(
    chromium: Any, width: int, base_url: str | None = None
) -> tuple[Any, Any, list[str], list[str]]:
    """A new context and page, 900 pixels high: the context, the page, the list that fills
    with the Content-Security-Policy violations reported in the context and the one that fills
    with the page's uncaught script errors."""
    options: dict[str, Any] = {"viewport": {"width": width, "height": 900}}
    if base_url is not None:
        options["base_url"] = base_url
    context = chromium.new_context(**options)
    violations = csp_violations(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, violations, errors
