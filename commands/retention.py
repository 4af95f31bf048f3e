"""`moderation retention run`: clear the personal data past its retention period now (beat
does it daily), or count what would be cleared."""

from __future__ import annotations

import typer

from commands.support import configure_logging, migrated_database_url
from moderation.config import get_settings
from moderation.storage.db import session_scope

retention_app = typer.Typer(
    help="Retention: personal data is kept only as long as the MODERATION_RETENTION_* settings "
    "say (docs/privacy.md).",
    no_args_is_help=True,
)


@retention_app.command("run")
def retention_run(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be cleared, and change nothing."
    ),
) -> None:
    """Clear every kind of personal data past its period, in short batches; print the counts."""
    # Imported here: the service counts into prometheus_client, which must not be loaded before
    # a worker started by another command sets its multiprocess directory.
    from moderation.services import retention

    configure_logging("WARNING")  # the counts are printed here; the INFO line would repeat them
    url = migrated_database_url()
    periods = retention.RetentionPeriods.of(get_settings())
    run = retention.apply(lambda: session_scope(url), periods, dry_run=dry_run)
    verb = "would clear" if dry_run else "cleared"
    typer.echo(f"{'kind':<20} {verb:>11}")
    for kind, count in run.cleared.items():
        typer.echo(f"{kind:<20} {count:>11}")
    typer.echo(f"{'total':<20} {run.total:>11}")
