"""The Perspective-compatible API's work on the database: the scores a site suggests for a text
(`comments:suggestscore`), kept as feedback on its analysis."""

from __future__ import annotations

from sqlalchemy.orm import Session

from moderation.domain.perspective import Suggestion
from moderation.storage import analyses as store


def keep_suggestion(session: Session, *, site_id: int, suggestion: Suggestion) -> int | None:
    """On the site's latest analysis with the suggestion's client token, else on a new one of
    the text unless the client asked that it not be stored. The analysis id, None if none."""
    return store.record_feedback(
        session,
        site_id,
        suggestion.client_token,
        suggestion.feedback(),
        suggestion.text,
        keep_text=not suggestion.do_not_store,
    )
