"""`moderation authors`: an author's rights over their data (GDPR Art. 15, 17, 20): export
everything stored about them, erase it (docs/privacy.md); and a moderator's ban of an author,
for good or for some days (a suspension), from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from pydantic import ValidationError

from commands.support import fail, in_session
from moderation.config import get_settings
from moderation.domain.schemas import problems_from
from moderation.services import authors, privacy

authors_app = typer.Typer(
    help="An author, named by the email they commented with: export their data (JSON) or "
    "erase it (docs/privacy.md); ban them, for good or for some days.",
    no_args_is_help=True,
)

# Who the audit trail names for an erasure done from the command line.
_ACTOR = "command line"


def _actor() -> str:
    user = os.environ.get("USER") or os.environ.get("LOGNAME")
    return f"{_ACTOR} ({user})" if user else _ACTOR


@authors_app.command("export")
def authors_export(
    email: str = typer.Argument(..., help="The email the author commented with (any case)."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Write the JSON here (created readable by you alone)."
    ),
) -> None:
    """Everything stored about an author as JSON: comments, decisions, audit events, reports of
    their comments, bans and trust, webhook deliveries (docs/api.md, "Author export")."""
    found = in_session(lambda s: privacy.export(s, email))
    text = json.dumps(found, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        # Personal data: never left readable by the machine's other users.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}", 1)
    typer.echo(f"wrote {len(found['comments'])} comment(s) to {output}", err=True)


@authors_app.command("erase")
def authors_erase(
    email: str = typer.Argument(..., help="The email the author commented with (any case)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Erase without asking first."),
) -> None:
    """Remove an author's personal data from every table; their texts are replaced or deleted
    as MODERATION_ERASURE_TEXTS says. The audit trail keeps its events, without them."""
    settings = get_settings()
    if not yes:
        found = in_session(lambda s: privacy.export(s, email))
        typer.echo(
            f"{len(found['comments'])} comment(s) and {len(found['author_rules'])} ban(s) or "
            f"trust of this author; texts will be {settings.erasure_texts.value}d."
        )
        if not typer.confirm("Erase them? This cannot be undone"):
            fail("nothing erased")
    result = in_session(lambda s: privacy.erase(s, email, _actor(), settings.erasure_texts))
    for erased in result.previous_erasures:
        typer.echo(
            f"erased before: {erased.erased_at.isoformat(timespec='seconds')} by "
            f"{erased.requested_by} ({erased.comments} comment(s))"
        )
    if result.erasure_id is None:
        typer.echo("nothing left to erase")
        return
    typer.echo(
        f"erasure {result.erasure_id}: {result.comments} comment(s) "
        f"({result.comments_unpublished} taken off the page), "
        f"{result.training_labels_deleted} training label(s) deleted, "
        f"{result.webhook_payloads_scrubbed} webhook payload(s) and "
        f"{result.audit_events_scrubbed} audit note(s) scrubbed, "
        f"{result.trust_lifted} trust lifted, {result.bans_kept_as_hash} ban(s) kept as a hash"
    )


@authors_app.command("ban")
def authors_ban(
    email: str = typer.Argument(..., help="The email the author comments with (any case)."),
    days: int = typer.Option(
        None,
        "--days",
        help="A suspension: the ban ends by itself after so many days (1 to 3650).",
    ),
    note: str = typer.Option("", "--note", help="Why, for the other moderators."),
) -> None:
    """Ban an author by email: their next comments are rejected. With --days, a suspension."""
    # The request as the API takes it (services.authors' own name for it: importing the domain
    # module first would start its import cycle from the wrong end).
    try:
        request = authors.AuthorRuleRequest(action="ban", email=email, note=note, days=days)
    except ValidationError as error:
        fail("; ".join(f"{p.field}: {p.message}" for p in problems_from(error)))
    rule = in_session(lambda s: authors.set_rule(s, request, _actor()))
    ends = rule.expires_at.isoformat(timespec="minutes") if rule.expires_at else "until lifted"
    typer.echo(f"banned {rule.value}: {ends}")
