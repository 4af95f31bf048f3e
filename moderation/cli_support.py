"""What the `moderation` sub-commands share: failing with a message, a migrated database."""

from __future__ import annotations

from typing import NoReturn

import typer


def fail(message: str) -> NoReturn:
    """Print the error as an operator reads it and exit with status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def migrated_database_url() -> str:
    """The database, migrated to head first: these commands are often the first ever run."""
    from moderation.config import get_settings
    from moderation.storage.migrate import upgrade

    url = get_settings().database_url
    upgrade(url)
    return url
