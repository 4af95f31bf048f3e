"""`moderation migrate` and `moderation api`: the database's schema and the HTTP server alone."""

from __future__ import annotations

import typer

from commands.support import configure_logging
from moderation.config import get_settings
from moderation.storage.migrate import upgrade


def migrate() -> None:
    """Apply the database migrations (MODERATION_DATABASE_URL)."""
    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo(f"database at head: {settings.database_url}")


def api(
    host: str = typer.Option(None, help="Address to bind (default MODERATION_HOST)."),
    port: int = typer.Option(None, help="Port to bind (default MODERATION_PORT)."),
    migrate_first: bool = typer.Option(False, "--migrate", help="Apply migrations first."),
) -> None:
    """Run only the HTTP server."""
    # Imported here, not above: every other command (a worker among them) would otherwise
    # load the whole web application for nothing.
    import uvicorn

    from moderation.app import create_app

    settings = get_settings()
    configure_logging()
    if migrate_first:
        upgrade(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_level=settings.log_level.lower(),
        # Our own access line per request (moderation.http.request_log), and uvicorn's lines
        # through the root logger, in MODERATION_LOG_FORMAT like every other.
        access_log=False,
        log_config=None,
        # create_app believes X-Forwarded-For from MODERATION_TRUSTED_PROXIES only; uvicorn's
        # own would believe any local address.
        proxy_headers=False,
    )
