"""Statements of reasons in the moderation API: each site's catalogue of removal grounds
(admins list, add, edit and retire them) and a comment's statements (moderators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam

from moderation.domain.grounds import MAX_KEY, GroundRequest, GroundUpdate, GroundView
from moderation.domain.schemas import MAX_ID
from moderation.http.appeals import links as appeal_links
from moderation.http.auth import RequireAdmin, RequireModerator
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.responses import JSON_BODY, STAFF, STORAGE, errors
from moderation.services import statements

admin_router = APIRouter(
    prefix="/api/v1/admin/sites/{site}/grounds",
    tags=["admin"],
    responses=errors(*STAFF, *STORAGE, 404, 422, worded={404: "No such site or ground"}),
)
router = APIRouter(
    prefix="/api/v1/moderation", tags=["moderation"], responses=errors(*STAFF, *STORAGE)
)

SiteSlug = Annotated[str, PathParam(min_length=1, max_length=64, description="a site's id")]
GroundKey = Annotated[str, PathParam(min_length=1, max_length=MAX_KEY)]


@admin_router.get("", response_model=list[GroundView])
def list_grounds(site: SiteSlug, caller: RequireAdmin, settings: SettingsDep) -> list[GroundView]:
    """The grounds the site's comments are removed on, retired ones too (statements written
    before name them)."""
    with unit_of_work(settings) as session:
        return statements.list_grounds(session, site)


@admin_router.post(
    "",
    response_model=GroundView,
    status_code=201,
    responses=errors(*JSON_BODY, 409, worded={409: "The site has a ground of this key"}),
)
def add_ground(
    site: SiteSlug, request: GroundRequest, caller: RequireAdmin, settings: SettingsDep
) -> GroundView:
    """Add a ground: a house rule, or illegal content (`kind: illegal`) with the law it breaks
    in `law` ("StGB §130")."""
    with unit_of_work(settings) as session:
        return statements.add_ground(session, site, request)


@admin_router.patch("/{key}", response_model=GroundView, responses=errors(*JSON_BODY))
def update_ground(
    site: SiteSlug,
    key: GroundKey,
    request: GroundUpdate,
    caller: RequireAdmin,
    settings: SettingsDep,
) -> GroundView:
    """Change a ground's title, description or law; `retired: true` stops offering it (the
    statements that name it keep it), `false` brings it back. Statements already written keep
    the words they were written with."""
    with unit_of_work(settings) as session:
        return statements.update_ground(session, site, key, request)


@router.get(
    "/comments/{comment_id}/statements",
    response_model=statements.CommentStatements,
    responses=errors(404, 422, worded={404: "No comment with this id"}),
)
def comment_statements(
    comment_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    caller: RequireModerator,
    settings: SettingsDep,
    http: Request,
) -> statements.CommentStatements:
    """Every statement of reasons written for the comment's removals, oldest first, as its
    author was told them (the appeal link while the window is open, the appeal's outcome),
    with who decided."""
    with unit_of_work(settings) as session:
        return statements.statements_for_moderators(session, comment_id, appeal_links(http))
