"""SQL of the moderators' accounts, tokens, browser sessions and failed sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moderation.domain.clock import utcnow
from moderation.storage.db import count_rows
from moderation.storage.models import ApiToken, BrowserSession, LoginFailure, User


def user_by_name(session: Session, name: str) -> User | None:
    return session.execute(select(User).where(User.name == name)).scalar_one_or_none()


def insert_user(session: Session, name: str, role: str, password_hash: str) -> User:
    user = User(name=name, role=role, password_hash=password_hash, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def all_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.name)).scalars())


def insert_token(session: Session, user_id: int, token_hash: str, label: str) -> None:
    session.add(ApiToken(user_id=user_id, token_hash=token_hash, label=label, created_at=utcnow()))
    session.flush()


def user_for_token_digest(session: Session, token_hash: str) -> User | None:
    row = session.execute(
        select(User, ApiToken.id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            User.disabled.is_(False),
        )
    ).one_or_none()
    if row is None:
        return None
    session.execute(update(ApiToken).where(ApiToken.id == row[1]).values(last_used_at=utcnow()))
    return row[0]


def tokens_of(session: Session, user_id: int) -> int:
    return count_rows(session, ApiToken, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    user_name: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def tokens(session: Session, user_name: str | None = None) -> list[TokenRow]:
    """Every API token (never its value: only its digest is kept), oldest first."""
    query = select(
        ApiToken.id,
        User.name,
        ApiToken.label,
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
    ).join(User, User.id == ApiToken.user_id)
    if user_name is not None:
        query = query.where(User.name == user_name)
    return [TokenRow(*row) for row in session.execute(query.order_by(ApiToken.id)).all()]


def revoke_token(session: Session, token_id: int) -> bool:
    """Revoke one token now; False if there is no such token or it was revoked before."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def insert_session(
    session: Session, user_id: int, session_hash: str, csrf_token: str, expires_at: datetime
) -> None:
    session.add(
        BrowserSession(
            user_id=user_id,
            session_hash=session_hash,
            csrf_token=csrf_token,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    session.flush()


def live_session(session: Session, session_hash: str, now: datetime) -> tuple[User, str] | None:
    row = session.execute(
        select(User, BrowserSession.csrf_token)
        .join(BrowserSession, BrowserSession.user_id == User.id)
        .where(
            BrowserSession.session_hash == session_hash,
            BrowserSession.expires_at > now,
            User.disabled.is_(False),
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def end_session(session: Session, session_hash: str) -> None:
    session.execute(delete(BrowserSession).where(BrowserSession.session_hash == session_hash))


def end_sessions_of(session: Session, user_id: int) -> None:
    session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))


@dataclass(frozen=True, slots=True)
class Failures:
    """Failed sign-ins from one address since a time: on one account, and on all of them."""

    on_account: int
    on_account_last: datetime | None
    on_all: int
    on_all_first: datetime | None


def failures_since(session: Session, name: str, client_ip: str | None, since: datetime) -> Failures:
    """Failed sign-ins from this address (None: an unknown one) since `since`."""
    by_address = (
        LoginFailure.client_ip.is_(None)
        if client_ip is None
        else LoginFailure.client_ip == client_ip
    )
    rows = session.execute(
        select(LoginFailure.user_name, LoginFailure.created_at).where(
            LoginFailure.created_at >= since, by_address
        )
    ).all()
    on_account = [row.created_at for row in rows if row.user_name == name]
    return Failures(
        on_account=len(on_account),
        on_account_last=max(on_account, default=None),
        on_all=len(rows),
        on_all_first=min((row.created_at for row in rows), default=None),
    )


def insert_failure(session: Session, name: str, client_ip: str | None) -> None:
    session.add(LoginFailure(user_name=name, client_ip=client_ip, created_at=utcnow()))
    session.flush()
