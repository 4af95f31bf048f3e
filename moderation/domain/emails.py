"""Email to notifiers (DSA Art. 16(4)-(5)): where the SMTP server is, as operators write it in
MODERATION_SMTP_URL, and the texts of the acknowledgement and the decision.

Pure: parsing and wording only; workers/emails.py sends. The texts hold the notice's id, its
ground, the outcome and the moderator's reason: never the comment's text nor its author.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from moderation.domain.notices import NoticeGround, NoticeOutcome

SMTP_PORT = 587
SMTPS_PORT = 465
_EXAMPLE = "smtp://user:password@host:587 or smtps://host:465"


class InvalidSmtpUrl(ValueError):
    """A MODERATION_SMTP_URL this service cannot use; the message says why, never the URL."""


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    # smtps: TLS from the first byte; smtp: STARTTLS when the server offers it.
    implicit_tls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_smtp_url(url: str) -> SmtpServer:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidSmtpUrl(f"MODERATION_SMTP_URL is not a URL such as {_EXAMPLE}") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise InvalidSmtpUrl(f"MODERATION_SMTP_URL must start smtp:// or smtps:// ({_EXAMPLE})")
    if not parts.hostname:
        raise InvalidSmtpUrl(f"MODERATION_SMTP_URL names no host ({_EXAMPLE})")
    implicit = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (SMTPS_PORT if implicit else SMTP_PORT),
        implicit_tls=implicit,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class EmailKind(StrEnum):
    NOTICE_RECEIVED = "notice.received"
    NOTICE_DECIDED = "notice.decided"


class EmailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class EmailText:
    kind: EmailKind
    subject: str
    body: str


_OUTCOMES = {
    NoticeOutcome.REMOVED: "The comment was removed from the site.",
    NoticeOutcome.KEPT: "The comment was kept: we did not find it illegal.",
}


def acknowledgement(notice_id: int, ground: NoticeGround, status_url: str) -> EmailText:
    """Art. 16(4): confirmation of receipt, sent when the notice is filed."""
    body = (
        f"We received your notice {notice_id} about a comment ({ground.label}).\n\n"
        "A person on our moderation team will look at it and decide; we will write to you "
        "again with the decision.\n\n"
        f"You can follow your notice here:\n{status_url}\n\n"
        "Keep this link to yourself: anyone who has it sees the notice's state.\n"
    )
    return EmailText(EmailKind.NOTICE_RECEIVED, f"Your notice {notice_id} was received", body)


def decision(
    notice_id: int, outcome: NoticeOutcome, reason: str, status_url: str | None, redress: str
) -> EmailText:
    """Art. 16(5): the decision, with the reason and the redress available."""
    follow = (
        f"Its status page:\n{status_url}\n\n"
        if status_url
        else "The link in our acknowledgement of your notice shows this decision too.\n\n"
    )
    body = (
        f"Your notice {notice_id} was decided.\n\n"
        f"{_OUTCOMES[outcome]}\n\n"
        f"The moderator's reason: {reason}\n\n"
        f"{follow}"
        f"{redress}\n"
    )
    return EmailText(EmailKind.NOTICE_DECIDED, f"Your notice {notice_id} was decided", body)
