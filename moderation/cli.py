"""The service's own commands (`migrate`, `api`); workers/cli.py adds the ones that need models.

`moderation` may not import `workers` or `classifiers`, so the full `moderation` command is
assembled in workers/cli.py, which extends this Typer app.
"""

from __future__ import annotations

import logging

import typer

from moderation.config import get_settings

app = typer.Typer(
    name="moderation",
    help="Self-hosted comment moderation for news sites.",
    no_args_is_help=True,
    add_completion=False,
)


def configure_logging(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or get_settings().log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def migrate() -> None:
    """Apply the database migrations (MODERATION_DATABASE_URL)."""
    from moderation.storage.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo(f"database at head: {settings.database_url}")


@app.command()
def api(
    host: str = typer.Option(None, help="Address to bind (default MODERATION_HOST)."),
    port: int = typer.Option(None, help="Port to bind (default MODERATION_PORT)."),
    migrate_first: bool = typer.Option(False, "--migrate", help="Apply migrations first."),
) -> None:
    """Run only the HTTP server."""
    import uvicorn

    from moderation.app import create_app

    settings = get_settings()
    configure_logging()
    if migrate_first:
        from moderation.storage.migrate import upgrade

        upgrade(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
    )
