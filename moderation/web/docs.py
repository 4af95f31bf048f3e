"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served with a
Content-Security-Policy of their own.

Their viewers come from a CDN and need what our pages' policy forbids: Swagger UI is started by
an inline script, ReDoc injects <style> elements as it renders. Rather than loosen the policy
of every page, these answers carry a nonce made for each request, so their own script and
styles run and anything injected into them would not; and the CDN is allowed file by file, not
as a host (it serves every npm package, any of which could be loaded as a script if the whole
host were allowed).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from moderation.http.security_headers import CSP, NONE, SELF, content_security_policy, new_nonce
from moderation.web.views import templates

router = APIRouter(include_in_schema=False)

SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
REDOC_JS = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Rather than a favicon from yet another host, none.
NO_ICON = "data:,"
# No caching: a page kept by a cache would be served with the next answer's nonce.
NO_STORE = {"Cache-Control": "no-store"}
_INLINE_SCRIPT = re.compile(r"<script(?=[\s>])")


def _openapi_url(request: Request) -> str:
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    return root_path + str(request.app.openapi_url)


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
    those, and the CDN files named, run."""
    nonce = new_nonce()
    html = _INLINE_SCRIPT.sub(f'<script nonce="{nonce}"', bytes(page.body).decode())
    policy = _docs_policy(scripts=(f"'nonce-{nonce}'", *scripts), styles=styles)
    return HTMLResponse(html, headers={CSP: policy, **NO_STORE})


@router.get("/docs")
def swagger_ui_html(request: Request) -> Response:
    page = get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=NO_ICON,
        oauth2_redirect_url=OAUTH2_REDIRECT,
    )
    return _with_nonce(page, scripts=(SWAGGER_JS,), styles=(SWAGGER_CSS,))


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
        scripts=(SELF, REDOC_JS),
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
            "redoc_js": REDOC_JS,
            "nonce": nonce,
        },
        headers={CSP: policy, **NO_STORE},
    )
