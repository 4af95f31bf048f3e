"""Moderator and admin accounts: passwords, API tokens, browser sessions and sign-in limits."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from moderation.domain import fields
from moderation.domain.clock import utcnow
from moderation.domain.errors import FieldProblem, ServiceError
from moderation.storage import staff
from moderation.storage.models import User

MAX_USER_NAME = 100
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this only bounds the work a request can ask for


class Role(StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """An admin can do all a moderator can; a moderator cannot do an admin's work."""
        return self is Role.ADMIN or needed is Role.MODERATOR


@dataclass(frozen=True, slots=True)
class Staff:
    """Who is acting: the signed-in person or the owner of an API token."""

    id: int
    name: str
    role: Role

    @classmethod
    def of(cls, user: User) -> Staff:
        return cls(user.id, user.name, Role(user.role))


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """How failed sign-ins slow down the address they come from. Never the account for
    everyone: then a stranger's five wrong passwords would lock its owner out."""

    # Failures from one address, on any accounts, within the window, before it is refused.
    per_address: int
    window: timedelta
    # Failures on one account from one address before that address waits: `backoff_base`,
    # then twice as long after each further failure, up to the window.
    backoff_after: int
    backoff_base: timedelta


def backoff(failures: int, limits: SignInLimits) -> timedelta:
    """How long an address waits after its `failures`th failure on one account."""
    if failures < limits.backoff_after:
        return timedelta(0)
    doublings = min(failures - limits.backoff_after, 32)  # past 2**32 the window caps it anyway
    return min(limits.backoff_base * 2**doublings, limits.window)


def _wait(failures: staff.Failures, limits: SignInLimits, now: datetime) -> int:
    """Seconds the address must still wait before it may try this account (0: it may)."""
    waits = [timedelta(0)]
    if failures.on_all >= limits.per_address and failures.on_all_first is not None:
        waits.append(failures.on_all_first + limits.window - now)
    if failures.on_account_last is not None:
        waits.append(failures.on_account_last + backoff(failures.on_account, limits) - now)
    return math.ceil(max(waits).total_seconds())


class NotSignedIn(ServiceError):
    def __init__(self, message: str = "sign in first: send Authorization: Bearer TOKEN") -> None:
        super().__init__(401, "unauthorized", message)


class NotAllowed(ServiceError):
    def __init__(self, needed: Role) -> None:
        super().__init__(403, "forbidden", f"this needs the {needed} role")


class TooManyAttempts(ServiceError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429, "too_many_attempts", "too many failed sign-ins; wait before trying again"
        )
        self.retry_after = retry_after


class AccountProblem(ServiceError):
    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(422, "invalid_account", message, [FieldProblem(field, rule, message)])


# argon2id with the library's defaults (RFC 9106's second recommended setting: 64 MiB,
# 3 passes): memory-hard, so a stolen table is expensive to guess through on GPUs.
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs what a wrong password does
# and the answer's timing does not tell which accounts exist.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """What the database keeps of a token or session id: its SHA-256, never the value."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountProblem(
            "password", "min_length", f"password must be at least {MIN_PASSWORD} characters"
        )
    if len(password) > MAX_PASSWORD:
        raise AccountProblem(
            "password", "max_length", f"password must be at most {MAX_PASSWORD} characters"
        )


def add_user(session: Session, name: str, role: Role, password: str) -> Staff:
    name = name.strip()
    fields.checked("name", name, fields.line, "invalid_account")
    if not name or len(name) > MAX_USER_NAME or any(c.isspace() for c in name):
        raise AccountProblem(
            "name", "format", f"name must be 1 to {MAX_USER_NAME} characters without spaces"
        )
    check_password_rules(password)
    if staff.user_by_name(session, name) is not None:
        raise AccountProblem("name", "unique", f"a user named {name!r} already exists")
    return Staff.of(staff.insert_user(session, name, role.value, hash_password(password)))


def all_users(session: Session) -> list[User]:
    """Every account, by name."""
    return staff.all_users(session)


def disable_user(session: Session, name: str) -> bool:
    """Disable an account: its sessions end and its tokens stop working. False if unknown."""
    user = staff.user_by_name(session, name)
    if user is None:
        return False
    user.disabled = True
    staff.end_sessions_of(session, user.id)
    return True


def enable_user(session: Session, name: str) -> bool:
    """Enable a disabled account again (its revoked tokens stay revoked). False if unknown."""
    user = staff.user_by_name(session, name)
    if user is None:
        return False
    user.disabled = False
    return True


def set_password(session: Session, name: str, password: str) -> None:
    """A new password for an account; its browser sessions end (the old password may have
    leaked). Its API tokens are left alone: `moderation tokens revoke` ends one of those."""
    user = staff.user_by_name(session, name)
    if user is None:
        raise AccountProblem("name", "exists", f"no user named {name!r}")
    check_password_rules(password)
    user.password_hash = hash_password(password)
    staff.end_sessions_of(session, user.id)


def create_token(session: Session, name: str, label: str = "") -> str:
    """A new API token for the user, returned once; only its digest is stored."""
    user = staff.user_by_name(session, name)
    if user is None or user.disabled:
        raise AccountProblem("name", "exists", f"no active user named {name!r}")
    token = "mod_" + secrets.token_urlsafe(32)
    staff.insert_token(session, user.id, digest(token), label)
    return token


def staff_for_token(session: Session, token: str) -> Staff | None:
    user = staff.user_for_token_digest(session, digest(token))
    return None if user is None else Staff.of(user)


@dataclass(frozen=True, slots=True)
class SignedIn:
    staff: Staff
    session_id: str  # for the cookie; the database has only its digest
    csrf_token: str


def sign_in(
    session: Session,
    name: str,
    password: str,
    client_ip: str | None,
    limits: SignInLimits,
    lifetime: timedelta,
) -> SignedIn | None:
    """Check a name and password; None if wrong. `client_ip` is the address as it is counted
    (an IPv6 one by its /64). Raises TooManyAttempts while this address must wait, for this
    account or for all, even for the right password (else the wait would not slow guessing
    down); any other address signs in to the account at once."""
    now = utcnow()
    # A name no account can have (a control character, which no database may be asked for)
    # is a wrong name like any other, counted under what is left of it.
    is_name = fields.is_line(name)
    counted = (name if is_name else fields.judged_line(name))[:MAX_USER_NAME]
    failures = staff.failures_since(session, counted, client_ip, now - limits.window)
    wait = _wait(failures, limits, now)
    if wait > 0:
        raise TooManyAttempts(wait)
    user = staff.user_by_name(session, name) if is_name else None
    matches = password_matches(user.password_hash if user else _UNKNOWN_USER_HASH, password)
    if user is None or user.disabled or not matches:
        staff.insert_failure(session, counted, client_ip)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    staff.insert_session(session, user.id, digest(session_id), csrf_token, now + lifetime)
    return SignedIn(Staff.of(user), session_id, csrf_token)


@dataclass(frozen=True, slots=True)
class BrowserSignIn:
    staff: Staff
    csrf_token: str


def staff_for_session(session: Session, session_id: str) -> BrowserSignIn | None:
    found = staff.live_session(session, digest(session_id), utcnow())
    if found is None:
        return None
    user, csrf_token = found
    return BrowserSignIn(Staff.of(user), csrf_token)


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def sign_out(session: Session, session_id: str) -> None:
    staff.end_session(session, digest(session_id))
