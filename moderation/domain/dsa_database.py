"""Statements of reasons as the EU DSA Transparency Database's API takes them (DSA Art. 24(5)):
each field, its enumerations, and which category each ground of the catalogue files under.

The database is public: a statement sent there carries no personal data (its API documentation
says so, and Art. 24(5) makes it the platform's duty). So the author's name, email, URL and the
comment's text never go in, and `scrubbed` takes them (and any email or IP address) out of the
facts, which a moderator's note may have quoted them in.

Field names and values follow the database's API documentation ("API Documentation",
transparency.dsa.ec.europa.eu/page/api-documentation) as of 2026; tests/moderation/data/
dsa_sor_schema.json holds the same as a JSON schema the export is checked against.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moderation.domain.statements import BY_POLICY, GroundKind

# The batch endpoint (POST /api/v1/statements) takes at most this many statements a call.
BATCH_LIMIT = 100

# Where a statement applies, by default: every EU member state (the comment is gone for all).
EU_MEMBER_STATES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
EEA_ONLY = ("IS", "LI", "NO")
TERRITORIES = frozenset(EU_MEMBER_STATES + EEA_ONLY)

# The database's categories (STATEMENT_CATEGORY_*) of each ground of the default catalogue.
# Spam, off-topic, swearing and barred authors break the site's own terms: "scope of platform
# service"; insults and hate are "illegal or harmful speech"; threats are "violence".
GROUND_CATEGORIES: Mapping[str, str] = {
    "spam": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "harassment": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "hate": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "threats": "STATEMENT_CATEGORY_VIOLENCE",
    "off_topic": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "obscene": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "banned": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "other": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    "illegal": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
}
# A ground a site added itself files by its kind: what it is in words is the site's, its
# category the nearest of the two a comment section has.
KIND_CATEGORIES: Mapping[str, str] = {
    GroundKind.HOUSE_RULE.value: "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE",
    GroundKind.ILLEGAL.value: "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
}

# The database's length limits of the free-text fields.
MAX_FACTS = 5000
MAX_GROUND = 500
MAX_EXPLANATION = 2000

REMOVED_MARK = "[removed]"
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Candidates only: a match is removed if it parses as an IPv6 address ("12:30:45" does not).
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PUID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def category_of(ground_key: str, ground_kind: str) -> str:
    return GROUND_CATEGORIES.get(ground_key) or KIND_CATEGORIES.get(
        ground_kind, KIND_CATEGORIES[GroundKind.HOUSE_RULE.value]
    )


def scrubbed(text: str, personal: Iterable[str | None]) -> str:
    """The text without the given personal values (whole words, any case) nor any email or IP
    address."""
    for value in sorted({v.strip() for v in personal if v and v.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", REMOVED_MARK, text, flags=re.I)
    text = _IPV6.sub(_if_address, _EMAIL.sub(REMOVED_MARK, text))
    return _IPV4.sub(REMOVED_MARK, text)


def _if_address(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return REMOVED_MARK


def puid_of(site: str, statement_id: int) -> str:
    """A statement's id on the platform: stable, never reused (the statement's row id), and
    of the characters the database allows (letters, digits, - and _)."""
    return f"{_PUID_UNSAFE.sub('-', site).strip('-') or 'site'}-sor-{statement_id}"


@dataclass(frozen=True, slots=True)
class StatementRow:
    """A statement of reasons with what the database asks about it, as storage reads it."""

    statement_id: int
    site: str
    ground_key: str
    ground_kind: str
    ground_title: str
    ground_law: str | None
    facts: str
    decided_by: str
    automated_detection: bool
    created_at: datetime  # when the removal was decided
    comment_created_at: datetime  # when the comment was posted
    after_notice: bool
    # Never sent: only used to take them out of the facts.
    author_name: str | None
    author_email: str | None
    author_url: str | None
    body: str | None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sor_of(row: StatementRow, territories: Iterable[str]) -> dict[str, Any]:
    """One statement of reasons in the database's fields: a removal of text content, on
    illegal content (the law named) or on the site's terms (the ground's title)."""
    personal = (row.author_name, row.author_email, row.author_url, row.body)
    facts = scrubbed(row.facts, personal) or "Removed for breaching the comment rules."
    statement: dict[str, Any] = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": category_of(row.ground_key, row.ground_kind),
        "content_date": row.comment_created_at.date().isoformat(),
        "application_date": row.created_at.date().isoformat(),
        "decision_facts": _cut(facts, MAX_FACTS),
        "source_type": "SOURCE_ARTICLE_16" if row.after_notice else "SOURCE_VOLUNTARY",
        "automated_detection": "Yes" if row.automated_detection else "No",
        "automated_decision": (
            "AUTOMATED_DECISION_FULLY"
            if row.decided_by == BY_POLICY
            else "AUTOMATED_DECISION_NOT_AUTOMATED"
        ),
        "territorial_scope": sorted(set(territories)),
        "puid": puid_of(row.site, row.statement_id),
    }
    explanation = _cut(facts, MAX_EXPLANATION)
    if row.ground_kind == GroundKind.ILLEGAL.value:
        statement["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        statement["illegal_content_legal_ground"] = _cut(
            scrubbed(row.ground_law or row.ground_title, personal), MAX_GROUND
        )
        statement["illegal_content_explanation"] = explanation
    else:
        statement["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        statement["incompatible_content_ground"] = _cut(
            f"Comment rules: {row.ground_title}", MAX_GROUND
        )
        statement["incompatible_content_explanation"] = explanation
    return statement


def territories_of(value: str) -> list[str]:
    """ "EU" (every member state), "EEA" (and Iceland, Liechtenstein, Norway) or a comma list
    of two-letter codes; ValueError naming an unknown code."""
    given = value.strip().upper()
    if given == "EU":
        return list(EU_MEMBER_STATES)
    if given == "EEA":
        return sorted(EU_MEMBER_STATES + EEA_ONLY)
    codes = [c.strip() for c in given.split(",") if c.strip()]
    unknown = [c for c in codes if c not in TERRITORIES]
    if unknown or not codes:
        named = ", ".join(unknown) or repr(value)
        raise ValueError(f"unknown territory {named}: give EU, EEA or EU/EEA country codes (DE,AT)")
    return sorted(set(codes))
