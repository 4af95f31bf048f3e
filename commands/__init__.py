"""The `moderation` console script: one module per group of commands, assembled here.

    service   migrate, api                 accounts  users ..., tokens ...
    sites     sites ...                    webhooks  webhooks ...
    workers   worker, trainer, beat        models    train, models ..., score, evaluate ...
    stack     up (everything on one machine)   status   status (queues, workers, backlog)
    authors   authors export|erase (an author's data, GDPR)
    retention retention run (clear personal data past its period)
    transparency  transparency-report, sor-export (DSA reporting)

Exit codes follow one convention for every command (commands/support.py): 1 when the
installation could not do it, 2 when what was asked cannot be done as given.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from commands import (
    accounts,
    authors,
    models,
    retention,
    service,
    sites,
    stack,
    status,
    transparency,
    webhooks,
    workers,
)
from commands.support import REFUSED, settings_problems

app = typer.Typer(
    name="moderation",
    help="Self-hosted comment moderation for news sites.",
    no_args_is_help=True,
    add_completion=False,
)

app.command()(service.migrate)
app.command()(service.api)
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.tokens_app, name="tokens")
app.add_typer(sites.sites_app, name="sites")
app.add_typer(webhooks.webhooks_app, name="webhooks")
app.add_typer(authors.authors_app, name="authors")
app.add_typer(retention.retention_app, name="retention")
app.command("transparency-report")(transparency.transparency_report)
app.command("sor-export")(transparency.sor_export)
app.command()(workers.worker)
app.command()(workers.trainer)
app.command("beat")(workers.beat_command)
app.command()(stack.up)
app.command()(status.status)
app.command()(models.train)
app.add_typer(models.models_app, name="models")
app.command()(models.score)
app.command()(models.evaluate)
app.command("evaluate-policy")(models.evaluate_policy_command)


def main() -> None:
    try:
        app()
    except ValidationError as error:
        if error.title != "Settings":
            raise
        # A setting the service cannot use: say which and why, one line each, without the
        # traceback and without pydantic's echo of the value (a URL may hold a password).
        for problem in settings_problems(error):
            typer.echo(f"error: {problem}", err=True)
        raise SystemExit(REFUSED) from None


__all__ = ["app", "main"]
