"""`moderation webhooks`: the URLs that receive a site's events, the delivery log, re-sending."""

from __future__ import annotations

from datetime import datetime

import typer

from commands.support import fail, in_session
from moderation.config import get_settings
from moderation.messaging.queues import send_deliveries
from moderation.services import webhooks
from moderation.storage.webhooks import DeliveryStatus

webhooks_app = typer.Typer(
    help="Webhooks: URLs that receive a site's comment.status_changed events, signed with the "
    "site's secret key; the log of their deliveries; re-sending failed ones.",
    no_args_is_help=True,
)


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


@webhooks_app.command("add")
def webhooks_add(
    site: str = typer.Argument(..., help="The site's public id."),
    url: str = typer.Argument(..., help="An http(s) URL that accepts POSTed JSON."),
) -> None:
    """Send the site's events to a URL (signed with the site's key: `sites show SITE`)."""
    endpoint = in_session(lambda s: webhooks.add_endpoint(s, site, url))
    typer.echo(f"added webhook {endpoint.id} for site {endpoint.site}: {endpoint.url}")
    typer.echo("events are signed with the site's secret key; see docs/webhooks.md to verify them")


@webhooks_app.command("list")
def webhooks_list(
    site: str = typer.Argument(None, help="Only this site's endpoints."),
) -> None:
    """Endpoints with their state and deliveries so far."""
    endpoints = in_session(lambda s: webhooks.list_endpoints(s, site))
    typer.echo(
        f"{'id':>5} {'site':<20} {'state':<9} {'delivered':>9} {'pending':>7} {'failed':>6}  url"
    )
    for e in endpoints:
        state = "enabled" if e.enabled else "removed"
        typer.echo(
            f"{e.id:>5} {e.site:<20} {state:<9} {e.delivered:>9} {e.pending:>7} {e.failed:>6}"
            f"  {e.url}"
        )


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: int = typer.Argument(..., help="The id `list` shows.")) -> None:
    """Stop sending events to an endpoint; its pending deliveries end as failed."""
    in_session(lambda s: webhooks.remove_endpoint(s, endpoint_id))
    typer.echo(f"removed webhook {endpoint_id}")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    site: str = typer.Option(None, help="Only this site's deliveries."),
    status: str = typer.Option(None, help="pending, delivered or failed."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first."),
) -> None:
    """The delivery log, newest first: event, endpoint, status, attempts, last answer."""
    chosen = None
    if status is not None:
        try:
            chosen = DeliveryStatus(status)
        except ValueError:
            fail(f"status must be pending, delivered or failed, not {status!r}")
    rows = in_session(lambda s: webhooks.delivery_log(s, site, chosen, limit))
    typer.echo(
        f"{'id':>6} {'event':<36} {'site':<16} {'comment':>8} {'status':<9} {'tries':>5} "
        f"{'code':>4}  {'last attempt':<25} {'next / delivered':<25} url / last error"
    )
    for d in rows:
        code = str(d.last_status_code) if d.last_status_code is not None else "-"
        then = d.delivered_at if d.status == "delivered" else d.next_attempt_at
        typer.echo(
            f"{d.id:>6} {d.event_id:<36} {d.site:<16} {d.comment_id or '-':>8} {d.status:<9} "
            f"{d.attempts:>5} {code:>4}  {_when(d.last_attempt_at):<25} {_when(then):<25} "
            f"{d.url}"
        )
        if d.last_error and d.status != "delivered":
            typer.echo(f"{'':>6} last error: {d.last_error}")


@webhooks_app.command("resend")
def webhooks_resend(
    event_ids: list[str] = typer.Argument(None, help="Event ids to send again."),
    failed: bool = typer.Option(False, "--failed", help="Every failed delivery."),
    site: str = typer.Option(None, help="Only this site's deliveries."),
) -> None:
    """Send deliveries again from attempt 1: named events and/or every failed one."""
    if not event_ids and not failed:
        fail("name event ids, or pass --failed")
    ids = in_session(lambda s: webhooks.put_back(s, event_ids or [], all_failed=failed, site=site))
    if not ids:
        typer.echo("nothing to resend")
        return
    settings = get_settings()
    if send_deliveries(settings, ids):
        typer.echo(f"resending {len(ids)} delivery(ies)")
    else:
        typer.echo(
            f"{len(ids)} delivery(ies) are pending again; no queue reachable from here, so a "
            f"worker's sweep will send them within {settings.requeue_after_seconds:.0f} s "
            "plus one sweep"
        )
