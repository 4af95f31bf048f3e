"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served with a
Content-Security-Policy of their own, and the viewers' files, served by us.

The viewers (Swagger UI 5 and ReDoc 2, as their projects build them) come from the
fastapi-standalone-docs package and are served under /docs/assets, so the pages work without
the internet and load nothing from anyone else. They need what our pages' policy forbids:
Swagger UI is started by an inline script, ReDoc injects <style> elements as it renders.
Rather than loosen the policy of every page, these answers carry a nonce made for each
request, so their own script and styles run and anything injected into them would not.
"""

from __future__ import annotations

import re
from pathlib import Path

import fastapi_standalone_docs
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from moderation.http.security_headers import CSP, NONE, SELF, content_security_policy, new_nonce
from moderation.web.views import templates

router = APIRouter(include_in_schema=False)

# The package's static folder: swagger/ (swagger-ui-bundle.js, swagger-ui.css, LICENSE) and
# redoc/ (redoc.standalone.js and its licences). Its own StandaloneDocs class is not used: it
# replaces FastAPI's page functions for the whole process.
VIEWERS = Path(fastapi_standalone_docs.__file__).with_name("static")
ASSETS = "/docs/assets"
SWAGGER_JS = f"{ASSETS}/swagger/swagger-ui-bundle.js"
SWAGGER_CSS = f"{ASSETS}/swagger/swagger-ui.css"
REDOC_JS = f"{ASSETS}/redoc/redoc.standalone.js"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Rather than a favicon, none.
NO_ICON = "data:,"
# No caching: a page kept by a cache would be served with the next answer's nonce.
NO_STORE = {"Cache-Control": "no-store"}
_INLINE_SCRIPT = re.compile(r"<script(?=[\s>])")


def assets() -> StaticFiles:
    """The viewers' files, for the app to mount at `ASSETS`."""
    return StaticFiles(directory=VIEWERS)


def _rooted(request: Request, path: str) -> str:
    """The path as the browser must ask for it, behind a proxy that serves us under a prefix."""
    return str(request.scope.get("root_path", "")).rstrip("/") + path


def _openapi_url(request: Request) -> str:
    return _rooted(request, str(request.app.openapi_url))


def _docs_policy(
    *, scripts: tuple[str, ...], styles: tuple[str, ...], **more: tuple[str, ...]
) -> str:
    return content_security_policy(
        script_src=scripts,
        style_src=styles or (NONE,),
        # Swagger UI's stylesheet draws its icons from data: URLs; the favicon is one too.
        img_src=(SELF, "data:"),
        **more,
    )


def _with_nonce(
    page: HTMLResponse, *, scripts: tuple[str, ...], styles: tuple[str, ...]
) -> Response:
    """FastAPI's page with a fresh nonce on its <script> elements, and a policy that lets
    those, and the sources named, run."""
    nonce = new_nonce()
    html = _INLINE_SCRIPT.sub(f'<script nonce="{nonce}"', bytes(page.body).decode())
    policy = _docs_policy(scripts=(f"'nonce-{nonce}'", *scripts), styles=styles)
    return HTMLResponse(html, headers={CSP: policy, **NO_STORE})


@router.get("/docs")
def swagger_ui_html(request: Request) -> Response:
    page = get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=_rooted(request, SWAGGER_JS),
        swagger_css_url=_rooted(request, SWAGGER_CSS),
        swagger_favicon_url=NO_ICON,
        oauth2_redirect_url=_rooted(request, OAUTH2_REDIRECT),
    )
    return _with_nonce(page, scripts=(SELF,), styles=(SELF,))


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> Response:
    return _with_nonce(get_swagger_ui_oauth2_redirect_html(), scripts=(), styles=())


@router.get("/redoc")
def redoc_html(request: Request) -> Response:
    """Our own page rather than FastAPI's get_redoc_html(): that one starts ReDoc from the
    attributes of a <redoc> element, and browsers hide a nonce attribute from scripts, so
    ReDoc could not learn the nonce its injected styles need, and every one of them would be
    refused (an unstyled page with an empty menu). Ours starts it from a script of our own.

    Two things stay refused, harmlessly: the scrollbar styles ReDoc injects as its script
    loads, before it has been handed the nonce (the menu scrolls with the browser's own
    scrollbar), and the "API docs by Redocly" logo from Redocly's host (the words remain)."""
    nonce = new_nonce()
    policy = _docs_policy(
        scripts=(SELF,),
        styles=(SELF, f"'nonce-{nonce}'"),
        # ReDoc indexes the API for its search box in a worker made from a blob: URL.
        worker_src=("blob:",),
    )
    return templates.TemplateResponse(
        request,
        "redoc.html",
        {
            "title": f"{request.app.title} - ReDoc",
            "openapi_url": _openapi_url(request),
            "redoc_js": _rooted(request, REDOC_JS),
            "nonce": nonce,
        },
        headers={CSP: policy, **NO_STORE},
    )
