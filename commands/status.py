"""`moderation status`: the queues, the workers and the comments waiting for a decision, for an
operator or a cron job (exit 1 when something is wrong)."""

from __future__ import annotations

import json

import typer

from commands.support import FAILED
from moderation.config import get_settings
from moderation.services.status import (
    DEFAULT_MAX_QUEUED_AGE_SECONDS,
    ServiceStatus,
    read_status,
)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def render(status: ServiceStatus) -> str:
    lines = ["queues (waiting, oldest):"]
    for backlog in status.queues:
        lines.append(f"  {backlog.queue:<13} {backlog.depth:>6}  {_seconds(backlog.oldest_age):>8}")
    lines.append("workers (host:pid, name, queues, concurrency, model, last heartbeat):")
    if not status.workers:
        lines.append("  none")
    for state in status.workers:
        beat = state.beat
        lines.append(
            f"  {beat.worker_id}  {beat.name}  {','.join(beat.queues)}  {beat.concurrency}  "
            f"{beat.model_version or '-'}  {state.seconds_since_beat:.0f} s ago"
            + ("" if state.live else "  STALE")
        )
    queued = "unknown" if status.queued_comments is None else str(status.queued_comments)
    lines.append(
        f"database: {queued} comments queued, the oldest {_seconds(status.oldest_queued_age)}"
    )
    lines.extend(f"problem: {problem}" for problem in status.problems)
    lines.append("status: ok" if status.ok else "status: FAILING")
    return "\n".join(lines)


def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead."),
    max_queued_age: float = typer.Option(
        DEFAULT_MAX_QUEUED_AGE_SECONDS,
        help="Seconds a comment may wait for its decision before that is a problem.",
        min=0,
    ),
) -> None:
    """Show the queues (depth, oldest message), the workers (host, queues, concurrency, model,
    last heartbeat) and the comments still queued in the database.

    Exits 1 when something is wrong: Redis or the database unreachable, no live worker on the
    comments queue, or a comment queued longer than --max-queued-age. Usable from cron.
    """
    found = read_status(get_settings(), max_queued_age=max_queued_age)
    typer.echo(json.dumps(found.as_dict(), indent=2) if as_json else render(found))
    if not found.ok:
        raise typer.Exit(FAILED)
