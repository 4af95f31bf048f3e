"""The moderation API's side of an author's rights (admins only): export and erase the data of
the author of an email (docs/privacy.md).

Both are POSTs with the email in the body, not in the URL: URLs end up in proxies' and
browsers' logs and histories, which an erasure cannot reach.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from moderation.domain.privacy import AuthorRequest, ErasureResult
from moderation.http.auth import RequireAdmin
from moderation.http.deps import SettingsDep, unit_of_work
from moderation.http.responses import JSON_BODY, STAFF, STORAGE, errors
from moderation.services import privacy

router = APIRouter(
    prefix="/api/v1/admin/authors",
    tags=["admin"],
    responses=errors(*STAFF, *STORAGE, *JSON_BODY),
)


@router.post("/export", response_model=dict[str, Any])
def export_author(
    request: AuthorRequest, caller: RequireAdmin, settings: SettingsDep
) -> dict[str, Any]:
    """Everything stored about the author of this email, as one JSON document (GDPR Art. 15
    and 20; its shape is in docs/api.md, "Author export"). An email nobody used gives a
    document without comments."""
    with unit_of_work(settings) as session:
        return privacy.export(session, request.email)


@router.post("/erase", response_model=ErasureResult)
def erase_author(
    request: AuthorRequest, caller: RequireAdmin, settings: SettingsDep
) -> ErasureResult:
    """Remove the personal data of the author of this email from every table (GDPR Art. 17);
    their texts are replaced or deleted as MODERATION_ERASURE_TEXTS says. Asking again finds
    nothing left, and says when the earlier erasures ran."""
    with unit_of_work(settings) as session:
        return privacy.erase(session, request.email, caller.staff.name, settings.erasure_texts)
