"""Fixtures for whole-system tests: a real stack (tests/support/stack.py) stopped after each
test, a headless Chromium, and a news site's own pages on origins of their own."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import RedisServer, free_port, require
from tests.support.stack import Stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a whole-system one: marked e2e (`-m "not e2e"` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[Any]:
    stacks: list[Stack] = []

    def make(database_url: str, redis: RedisServer, **settings: str) -> Stack:
        stack = Stack(tmp_path, database_url, redis, **settings)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def chromium() -> Iterator[Any]:
    executable = shutil.which("chromium")
    require(executable is not None, "Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed")
        raise
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


class Quiet(SimpleHTTPRequestHandler):
    headers_to_send: ClassVar[dict[str, str]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        for name, value in self.headers_to_send.items():
            self.send_header(name, value)
        super().end_headers()


@pytest.fixture
def news_site(tmp_path: Path) -> Iterator[Any]:
    """A news site's own pages, on origins of their own: `serve(html)` -> base URL; `files`
    are served beside index.html, every answer with `headers`."""
    servers: list[ThreadingHTTPServer] = []

    def serve(
        page: str, headers: dict[str, str] | None = None, files: dict[str, str] | None = None
    ) -> str:
        root = tmp_path / f"site-{len(servers)}"
        root.mkdir()
        for name, content in {"index.html": page, **(files or {})}.items():
            (root / name).write_text(content)
        site_handler = type("SiteHandler", (Quiet,), {"headers_to_send": headers or {}})
        handler = functools.partial(site_handler, directory=str(root))
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stack(sqlite_url: str, redis_server: RedisServer, stack_factory: Any) -> Stack:
    """A stack over a fresh SQLite database and a Redis of its own, not started yet."""
    made: Stack = stack_factory(sqlite_url, redis_server)
    return made
