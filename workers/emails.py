"""Sending the notifiers' emails: claim due ones from the outbox, send each over SMTP
(stdlib smtplib), record the attempt, and retry with the webhooks' backoff or keep the email
as failed after the last attempt. Same shape as workers/webhooks.py: a claimed email is leased
past the task's hard limit; the sweep sends again what a lost task or a dead worker left.

Logs say counts and ids, never an address; a stored error names no address either (an SMTP
server's refusal may quote the recipient, so only its code and class are kept).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.domain.emails import EmailStatus, SmtpServer, parse_smtp_url
from moderation.messaging.queues import SEND_EMAILS, send_emails
from moderation.services import webhooks
from moderation.storage import emails as store
from moderation.storage.db import session_scope
from moderation.storage.models import Email
from workers.celery_app import ModerationTask, app

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


def smtp_server(settings: Settings) -> SmtpServer | None:
    url = settings.smtp_url
    return parse_smtp_url(url.get_secret_value()) if url is not None else None


def message(sender: str, email: Email) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = email.recipient
    mail["Subject"] = email.subject
    # One id per outbox row: a resend after a lost answer is recognisable as the same email.
    mail["Message-ID"] = make_msgid(idstring=f"email-{email.id}")
    mail.set_content(email.body)
    return mail


def deliver(server: SmtpServer, timeout: float, mails: list[EmailMessage]) -> list[str | None]:
    """Send over one connection; per email None when sent, else the error (no address)."""
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if not server.implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user is not None:
                smtp.login(server.user, server.password or "")
            return [_send_one(smtp, mail) for mail in mails]
    except (OSError, smtplib.SMTPException) as error:
        return [_error(error)] * len(mails)


def _send_one(smtp: smtplib.SMTP, mail: EmailMessage) -> str | None:
    try:
        smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused:
        return "SMTPRecipientsRefused: the server refused the recipient"
    except smtplib.SMTPResponseException as error:
        return f"{type(error).__name__}: SMTP {error.smtp_code}"
    return None


def _error(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: SMTP {error.smtp_code}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "SMTPRecipientsRefused: the server refused the recipient"
    return f"{type(error).__name__}: {error}"[:500]


@app.task(name=SEND_EMAILS, base=ModerationTask, bind=True)
def send_emails_task(self: ModerationTask, email_ids: list[int]) -> dict[str, int]:
    """Send the due emails among these ids. Safe to run twice: only claimed ones are sent."""
    settings = self.settings
    server = smtp_server(settings)
    if server is None:  # SMTP unset since they were written: the sweep sends them once set
        log.warning("%d email(s) waiting: MODERATION_SMTP_URL is not set", len(email_ids))
        return {"sent": 0, "retrying": 0, "failed": 0, "skipped": len(email_ids)}
    now = utcnow()
    lease = timedelta(seconds=settings.task_time_limit + settings.webhook_timeout_seconds)
    with self.unit_of_work() as work:
        claimed = store.claim(work.session, [int(i) for i in email_ids], now, now + lease)
        emails = store.outgoing(work.session, list(claimed))
        mails = [message(settings.smtp_from or "", e) for e in emails]
        ids = [e.id for e in emails]
    errors = deliver(server, settings.webhook_timeout_seconds, mails) if mails else []
    counts = {"sent": 0, "retrying": 0, "failed": 0, "skipped": len(email_ids) - len(ids)}
    with self.unit_of_work() as work:
        for email_id, error in zip(ids, errors, strict=True):
            attempt = claimed[email_id]
            status, delay = _next_step(settings, attempt, error)
            next_at = utcnow() + timedelta(seconds=delay) if delay is not None else None
            if not store.record_attempt(work.session, email_id, attempt, status, error, next_at):
                counts["skipped"] += 1
                continue
            counts["retrying" if status is EmailStatus.PENDING else status.value] += 1
            if error is not None:
                log.warning("email %d, attempt %d: %s (%s)", email_id, attempt, error, status)
            if delay is not None and delay <= settings.visibility_timeout_seconds / 2:
                work.after_commit(_later(email_id, delay), "email retries", [email_id])
    if ids:
        log.info("emails %s: %s", ids, counts)
    return counts


def _later(email_id: int, delay: float) -> Callable[[], None]:
    return lambda: send_emails(app, [email_id], countdown=delay)


def _next_step(
    settings: Settings, attempt: int, error: str | None
) -> tuple[EmailStatus, float | None]:
    if error is None:
        return EmailStatus.SENT, None
    if attempt >= settings.webhook_max_attempts:
        return EmailStatus.FAILED, None
    return EmailStatus.PENDING, webhooks.retry_delay(
        attempt, settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds
    )


def resend_overdue(settings: Settings) -> int:
    """For the sweep: send again the pending emails due since before `requeue_after_seconds`
    ago (their task was lost, or their worker died mid-attempt). How many were sent."""
    if settings.smtp_url is None:
        return 0
    cutoff = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    with session_scope(settings.database_url) as session:
        ids = store.overdue(session, cutoff, SWEEP_BATCH)
    if ids:
        send_emails(app, ids)
    return len(ids)
