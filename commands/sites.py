"""`moderation sites`: the websites this deployment moderates, their origins, keys and policy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import typer
from sqlalchemy.orm import Session

from commands.support import fail, in_session, migrated_database_url
from moderation.services import sites
from moderation.services.sites import SitePolicy, UnknownSite
from moderation.storage import sites as store
from moderation.storage.db import session_scope

sites_app = typer.Typer(
    help="Sites: their public ids, allowed origins, secret keys and policy overrides.",
    no_args_is_help=True,
)

_POLICY_HELP = (
    "A policy override NAME=VALUE, repeatable: spam_hold, spam_reject, toxicity_hold, "
    "toxicity_reject (0..1), premoderation (true/false), links_allowed (links a comment may "
    "carry before it is held; 0: any link holds), premoderate_until_approved (N), "
    "profanity (swearing at nobody: allow, hold or reject), "
    "rate_per_address, rate_per_site, rate_per_key (rate limits such as 5/minute;50/hour)."
)


def _policy(pairs: list[str]) -> dict[str, Any]:
    """NAME=VALUE pairs; values read as JSON where they parse (0.7, true, 3), else text."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--policy takes NAME=VALUE, not {pair!r}")
        try:
            values[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            values[name.strip()] = raw
    return values


def _show(site: Any, *, key: bool) -> None:
    typer.echo(f"site:     {site.slug}")
    typer.echo(f"name:     {site.name}")
    typer.echo(f"url:      {site.url or '-'}")
    typer.echo(f"origins:  {', '.join(site.origins) or '- (browsers on other sites refused)'}")
    typer.echo(f"policy:   {SitePolicy.model_validate(site.policy or {}).describe()}")
    if key:
        typer.echo(f"key:      {site.secret_key}")
        if site.previous_key_expires_at is not None:
            until = site.previous_key_expires_at.isoformat(timespec="seconds")
            typer.echo(f"previous key accepted until {until}")


def _run(change: Any) -> Any:
    """The site ``change`` returns, detached so it can be printed after the commit."""

    def detached(session: Session) -> Any:
        site = change(session)
        session.flush()
        session.expunge(site)
        return site

    return in_session(detached)


@sites_app.command("add")
def sites_add(
    site_id: str = typer.Argument(..., help="The public id: lowercase letters, digits, dashes."),
    name: str = typer.Option("", help="A name for people (default: the id)."),
    url: str = typer.Option(None, help="The site's front page (Akismet clients send it)."),
    origin: list[str] = typer.Option([], help="An origin whose pages may embed the widget."),
    policy: list[str] = typer.Option([], help=_POLICY_HELP),
) -> None:
    """Add a site and print its secret key."""
    site = _run(lambda s: sites.add_site(s, site_id, name, url, origin, _policy(policy)))
    typer.echo(f"added site {site.slug}")
    _show(site, key=True)


@sites_app.command("list")
def sites_list() -> None:
    """Every site with its origins and policy (keys shortened: `sites show` prints one)."""
    with session_scope(migrated_database_url()) as session:
        rows = store.all_sites(session)
        typer.echo(f"{'site':<20} {'key':<14} {'origins':<40} policy")
        for site in rows:
            origins = ", ".join(site.origins) or "-"
            described = SitePolicy.model_validate(site.policy or {}).describe()
            typer.echo(
                f"{site.slug:<20} {site.secret_key[:10] + '...':<14} {origins:<40} {described}"
            )


@sites_app.command("show")
def sites_show(site_id: str) -> None:
    """One site, with its secret key."""

    def find(session: Any) -> Any:
        site = store.site_by_slug(session, site_id)
        if site is None:
            raise UnknownSite(site_id)
        return site

    _show(_run(find), key=True)


@sites_app.command("update")
def sites_update(
    site_id: str,
    name: str = typer.Option(None),
    url: str = typer.Option(None, help="The front page; an empty value clears it."),
    add_origin: list[str] = typer.Option([], help="Allow an origin (repeatable)."),
    remove_origin: list[str] = typer.Option([], help="Stop allowing an origin (repeatable)."),
    policy: list[str] = typer.Option([], help=_POLICY_HELP),
    clear_policy: list[str] = typer.Option([], help="Drop an override: follow the deployment."),
) -> None:
    """Change a site's name, front page, origins or policy (workers follow within seconds)."""
    site = _run(
        lambda s: sites.update_site(
            s,
            site_id,
            name=name,
            url=url,
            add_origins=add_origin,
            remove_origins=remove_origin,
            policy=_policy(policy),
            clear_policy=clear_policy,
        )
    )
    typer.echo(f"updated site {site.slug}")
    _show(site, key=False)


@sites_app.command("rotate-key")
def sites_rotate_key(
    site_id: str,
    grace_hours: float = typer.Option(
        24.0, min=0, help="Hours the old key keeps working, to deploy the new one (0: none)."
    ),
) -> None:
    """Give a site a new secret key and print it."""
    site = _run(lambda s: sites.rotate_key(s, site_id, timedelta(hours=grace_hours)))
    typer.echo(f"new key for site {site.slug}: {site.secret_key}")
    if site.previous_key_expires_at is not None:
        until = site.previous_key_expires_at.isoformat(timespec="seconds")
        typer.echo(f"the previous key is accepted until {until}")
    else:
        typer.echo("the previous key no longer works")
