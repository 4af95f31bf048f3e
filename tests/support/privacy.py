"""An author with data in every table that can hold it, another author beside them, and a dump
of the whole database to search for what an erasure must have removed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

from moderation.domain.authors import AuthorRuleRequest
from moderation.domain.notices import NoticeDecision, NoticeGround, NoticeSubmission
from moderation.domain.statements import DEFAULT_REDRESS
from moderation.domain.statuses import CommentStatus
from moderation.services import authors, notices, review, sites, webhooks
from moderation.services.accounts import Role, Staff
from moderation.services.review import Action, Ground
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import review as review_store
from moderation.storage.db import session_scope
from moderation.storage.models import LoginFailure
from tests.support.decisions import decision, record_decisions

HOOK = "https://hooks.example.org/moderation"

# The author who asks: two spellings of one email, two addresses, one user agent.
ZED_NAME = "Zebulon Quartermaine"
ZED_EMAIL = "Zebulon.Q@Example.com"
ZED_EMAIL_OTHER_CASE = "zebulon.q@example.com"
ZED_URL = "https://zebulon-blog.example/about"
ZED_IPS = ("198.51.100.23", "2001:db8::77")
ZED_AGENT = "ZebBrowser/9.1 (Quartermaine Edition)"
ZED_TOKEN = "zeb-reader-token"
# What no byte of the database may hold after the erasure (searched case-blind).
ZED_TRACES = (
    "zebulon",
    "quartermaine",
    "zebulon-blog.example",
    *ZED_IPS,
    "zebbrowser",
    hashlib.sha256(ZED_TOKEN.encode()).hexdigest(),
)

OLIVE = {
    "author_name": "Olive Other",
    "author_email": "olive@example.net",
    "client_ip": "192.0.2.10",
    "user_agent": "OliveAgent/1.0",
}


@dataclass(frozen=True)
class Scenario:
    published: int  # Zed's, approved by the policy; reported; reported on a webhook
    removed: int  # Zed's reply to Olive, held, then rejected by a moderator with a note
    waiting: int  # Zed's, still queued
    replied_to: int  # Zed's, approved, with Olive's reply under it
    olive: int  # Olive's, approved
    olive_reply: int  # Olive's reply to `replied_to`, approved
    moderator: str
    notice: int  # Zed's notice of illegal content about Olive's comment, decided: kept


def _insert(session: Any, article_id: int, rows: list[dict[str, Any]]) -> list[int]:
    ids = comment_store.insert_comments(session, [{**r, "article_id": article_id} for r in rows])
    return [i for i, _ in ids]


def _zed(body: str, n: int, **more: Any) -> dict[str, Any]:
    return {
        "author_name": ZED_NAME,
        "author_email": ZED_EMAIL if n % 2 else ZED_EMAIL_OTHER_CASE,
        "author_url": ZED_URL,
        "client_ip": ZED_IPS[n % 2],
        "user_agent": ZED_AGENT,
        "reader_hash": hashlib.sha256(ZED_TOKEN.encode()).hexdigest(),
        "body": body,
        **more,
    }


def write_scenario(database_url: str) -> Scenario:
    """Zed's comments in every state, with a decision, a moderator's removal (audit event and
    training label), readers' reports, bans, webhook deliveries, a failed sign-in from his
    address and a notice he filed; Olive's comments around them."""
    with session_scope(database_url) as session:
        site = sites.add_site(session, "daily-news", "Daily News", None, [], {})
        webhooks.add_endpoint(session, "daily-news", HOOK)
        article = article_store.article_for(session, "story-1", None, None, site_id=site.id)
        (olive,) = _insert(session, article.id, [{**OLIVE, "body": "The park is a good idea."}])
        published, removed, waiting, replied_to = _insert(
            session,
            article.id,
            [
                _zed("Zed here: the council hid the costs.", 1),
                _zed("Olive, you are wrong and a fool.", 2, parent_id=olive, depth=1),
                _zed("One more thought, not yet decided.", 3),
                _zed("The bus cuts matter more than the park.", 4),
            ],
        )
        session.add(LoginFailure(user_name="admin", client_ip=ZED_IPS[0]))
    record_decisions(
        database_url,
        [
            decision(olive, CommentStatus.APPROVED, {"spam": 0.01}),
            decision(published, CommentStatus.APPROVED, {"spam": 0.02, "toxicity": 0.1}),
            decision(
                removed,
                CommentStatus.PENDING,
                {"spam": 0.1, "toxicity": 0.71},
                reasons=[{"rule": "toxicity", "value": 0.71, "limit": 0.6}],
            ),
            decision(replied_to, CommentStatus.APPROVED, {"spam": 0.03}),
        ],
    )
    with session_scope(database_url) as session:
        article = article_store.article_for(session, "story-1", None, None, site_id=site.id)
        (olive_reply,) = _insert(
            session,
            article.id,
            [{**OLIVE, "body": "I agree about the buses.", "parent_id": replied_to, "depth": 1}],
        )
    record_decisions(database_url, [decision(olive_reply, CommentStatus.APPROVED, {})])
    moderator = "mona"
    with session_scope(database_url) as session:
        review.moderate(
            session,
            Staff(1, moderator, Role.MODERATOR),
            [removed],
            Action.REJECT,
            f"{ZED_NAME} warned before, from {ZED_IPS[1]}",
            Ground.HARASSMENT,
        )
        review_store.insert_report(
            session, published, "abuse", "Zebulon again, as ever", "203.0.113.50"
        )
        review_store.insert_report(session, olive, "spam", "an ad", ZED_IPS[0])
        for request in (
            {"action": "ban", "email": ZED_EMAIL, "note": f"{ZED_NAME}: insults, 3 warnings"},
            {"action": "ban", "ip": ZED_IPS[1], "note": "Zebulon's second address"},
            {"action": "trust", "email": OLIVE["author_email"]},
        ):
            authors.set_rule(session, AuthorRuleRequest.model_validate(request), moderator)
        authors.add_note(
            session,
            removed,
            authors.AuthorNoteRequest(note=f"{ZED_NAME} comes back under new names"),
            moderator,
        )
        # Zed as a notifier: his notice about Olive's comment, decided, its event stored with
        # his contact for the site to write to him, and the two emails written to him.
        mail = notices.NoticeMail("https://comments.example.org", DEFAULT_REDRESS)
        notice = notices.file_notice(
            session,
            NoticeSubmission(
                comment_id=olive,
                ground=NoticeGround.DEFAMATION,
                explanation=f"I am {ZED_NAME} and this park plan defames me.",
                notifier_name=ZED_NAME,
                notifier_email=ZED_EMAIL_OTHER_CASE,
                good_faith=True,
            ),
            mail,
        ).id
        notices.decide_notice(
            session,
            Staff(1, moderator, Role.MODERATOR),
            notice,
            NoticeDecision(outcome="kept", reason="An opinion about a plan, not about a person."),
            mail,
        )
    return Scenario(published, removed, waiting, replied_to, olive, olive_reply, moderator, notice)


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table_dump(database_url: str) -> str:
    """Every column of every row of every table (the migrations' own included), as text."""
    engine = create_engine(database_url)
    lines = []
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)):
                    lines.append(f"{table.name}: " + " | ".join(_shown(v) for v in row))
    finally:
        engine.dispose()
    return "\n".join(lines)


def pg_dump(database_url: str) -> str:
    """PostgreSQL's own dump of the database (schema and data), as a restore would see it."""
    url = make_url(database_url)
    binary = shutil.which("pg_dump")
    assert binary, "pg_dump is not on PATH"
    where = ["-h", str(url.host), "-p", str(url.port or 5432), "-U", str(url.username)]
    done = subprocess.run(
        [binary, "--no-owner", *where, str(url.database)],
        env={"PGPASSWORD": url.password or "", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def traces_in(text: str) -> list[str]:
    """Which of the erased author's identifiers the text still holds (case-blind)."""
    lowered = text.lower()
    return [trace for trace in ZED_TRACES if trace.lower() in lowered]
