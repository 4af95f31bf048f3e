"""The notifiers' emails, end to end on a real SMTP server (aiosmtpd): filing a notice through
the API writes the acknowledgement to the outbox, the send task (run here, as the webhook
task's tests do) hands it to the server; deciding it sends the decision with the reason and
the redress; without SMTP nothing is written; a server that is away is retried and the email
arrives once it is back; no address in the logs at INFO."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select, update

from commands.support import settings_problems
from moderation.app import create_app
from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.domain.emails import SmtpServer as SmtpAddress
from moderation.domain.emails import parse_smtp_url
from moderation.domain.statements import DEFAULT_REDRESS
from moderation.storage.db import session_scope
from moderation.storage.models import Email
from tests.conftest import RedisServer, free_port
from tests.moderation.api.test_notices import NOTIFIER, file, published
from tests.moderation.conftest import settings_for
from tests.support.smtp import SmtpServer
from tests.support.staff import add_account
from tests.support.worker_env import worker_module

SENDER = "Comments desk <notices@news.example.org>"
ADDRESS = NOTIFIER["notifier_email"]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sender(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> Iterator[Callable[[str], ModuleType]]:
    """The send task, run here, with MODERATION_SMTP_URL set to the URL given."""
    started: list[Iterator[ModuleType]] = []

    def start(smtp_url: str) -> ModuleType:
        module = worker_module(
            "workers.emails",
            monkeypatch,
            sqlite_url,
            tmp_path / "data",
            smtp_url=smtp_url,
            smtp_from=SENDER,
            webhook_max_attempts="3",
        )
        started.append(module)
        return next(module)

    yield start
    for module in started:
        module.close()


def client(sqlite_url: str, redis: RedisServer, **settings: str) -> TestClient:
    app = create_app(settings_for(sqlite_url, redis.url, **settings))
    return TestClient(app, base_url="https://testserver", client=("203.0.113.7", 5000))


def outbox(sqlite_url: str) -> list[Email]:
    with session_scope(sqlite_url) as session:
        rows = list(session.execute(select(Email).order_by(Email.id)).scalars())
        session.expunge_all()
        return rows


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """Our processes' log lines at INFO and above (not the test SMTP server's: it names them)."""
    return "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and not r.name.startswith("mail.")
    )


def test_the_notifier_is_emailed_the_acknowledgement_and_the_decision(
    smtp: SmtpServer,
    sender: Callable[[str], ModuleType],
    sqlite_url: str,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    worker = sender(smtp.url)
    moderator = add_account(sqlite_url, "mona")
    with client(sqlite_url, redis_server, smtp_url=smtp.url, smtp_from=SENDER) as api:
        comment_id = published(api, sqlite_url)
        filed = file(api, comment_id).json()

        (received,) = outbox(sqlite_url)
        assert worker.send_emails_task.run([received.id])["sent"] == 1

        ((to, ack),) = smtp.messages
        assert to == [ADDRESS] and ack["To"] == ADDRESS
        assert ack["From"] == SENDER
        assert ack["Subject"] == f"Your notice {filed['id']} was received"
        text = ack.get_content()
        assert filed["status_url"] in text
        assert "Defamation" in text and "A person" in text
        assert "bribes" not in text  # neither the comment's text nor the explanation

        answer = api.post(
            f"/api/v1/moderation/notices/{filed['id']}/decision",
            headers=moderator.headers,
            json={"outcome": "kept", "reason": "A fair comment on a public figure."},
        )
        assert answer.status_code == 200, answer.text
        decided = [e for e in outbox(sqlite_url) if e.kind == "notice.decided"]
        assert worker.send_emails_task.run([e.id for e in decided])["sent"] == 1

    (_, decision) = smtp.messages[1]
    assert decision["Subject"] == f"Your notice {filed['id']} was decided"
    body = decision.get_content()
    assert "A fair comment on a public figure." in body
    assert "kept" in body and DEFAULT_REDRESS in " ".join(body.split())
    assert [e.status for e in outbox(sqlite_url)] == ["sent", "sent"]
    info = ours(caplog)
    assert "emails [" in info
    assert ADDRESS not in info and "nora" not in info.lower()


def test_without_smtp_no_email_is_written(sqlite_url: str, redis_server: RedisServer) -> None:
    moderator = add_account(sqlite_url, "mona")
    with client(sqlite_url, redis_server) as api:
        filed = file(api, published(api, sqlite_url)).json()
        answer = api.post(
            f"/api/v1/moderation/notices/{filed['id']}/decision",
            headers=moderator.headers,
            json={"outcome": "removed", "reason": "Defamatory."},
        )
        assert answer.status_code == 200, answer.text

    assert outbox(sqlite_url) == []


def test_a_server_that_is_away_is_retried_and_the_email_arrives(
    sender: Callable[[str], ModuleType],
    sqlite_url: str,
    redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    url = f"smtp://127.0.0.1:{port}"
    worker = sender(url)
    with client(sqlite_url, redis_server, smtp_url=url, smtp_from=SENDER) as api:
        file(api, published(api, sqlite_url))
    (email,) = outbox(sqlite_url)

    first = worker.send_emails_task.run([email.id])
    (waiting,) = outbox(sqlite_url)
    assert first == {"sent": 0, "retrying": 1, "failed": 0, "skipped": 0}
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error and "ConnectionRefused" in waiting.last_error
    assert waiting.next_attempt_at and waiting.next_attempt_at > utcnow()
    assert worker.send_emails_task.run([email.id])["skipped"] == 1  # not due yet

    server = SmtpServer(port)
    server.start()
    try:
        with session_scope(sqlite_url) as session:  # the backoff has passed
            session.execute(update(Email).values(next_attempt_at=utcnow()))
        assert worker.send_emails_task.run([email.id])["sent"] == 1
    finally:
        server.stop()

    ((to, message),) = server.messages
    assert to == [ADDRESS] and "was received" in message["Subject"]
    (sent,) = outbox(sqlite_url)
    assert (sent.status, sent.attempts, sent.next_attempt_at) == ("sent", 2, None)
    info = ours(caplog)
    assert ADDRESS not in info


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        (
            {"smtp_url": "smtp://mail:s3cret@mail.example.org"},
            "MODERATION_SMTP_FROM is required with MODERATION_SMTP_URL",
        ),
        ({"smtp_url": "http://mail:s3cret@mail.example.org", "smtp_from": SENDER}, "smtp://"),
        ({"smtp_url": "smtp://:s3cret@", "smtp_from": SENDER}, "names no host"),
    ],
)
def test_smtp_settings_are_refused_in_words_without_the_password(
    settings: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**settings)  # type: ignore[arg-type]

    # What the operator reads: one line, exit 2 (commands.support), never the password.
    (line,) = settings_problems(refused.value)
    assert refusal in line
    assert "s3cret" not in line


def test_the_smtp_url_says_how_to_reach_the_server() -> None:
    plain = Settings(smtp_url="smtp://desk%40news:p%40ss@mail.example.org", smtp_from=SENDER)
    tls = Settings(smtp_url="smtps://mail.example.org", smtp_from=SENDER)

    assert plain.smtp_url is not None and tls.smtp_url is not None
    assert parse_smtp_url(plain.smtp_url.get_secret_value()) == SmtpAddress(
        "mail.example.org", 587, False, "desk@news", "p@ss"
    )
    assert parse_smtp_url(tls.smtp_url.get_secret_value()) == SmtpAddress(
        "mail.example.org", 465, True
    )
    assert "p@ss" not in repr(plain) and "p%40ss" not in repr(plain)
