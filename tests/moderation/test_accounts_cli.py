"""`moderation users add|list|disable` and `moderation tokens create`, run as an operator runs
them, against a database the commands migrate themselves."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from moderation.app import create_app
from moderation.config import Settings
from moderation.storage.db import session_scope
from moderation.storage.models import ApiToken, User
from tests.conftest import run_moderation

PASSWORD = "a long enough password"


def test_an_operator_adds_lists_tokens_and_disables_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"  # never migrated: the first command does it
    settings = {"database_url": url}

    added = run_moderation(
        "users", "add", "ada", "--role", "admin", settings=settings, input_text=PASSWORD + "\n"
    )
    again = run_moderation("users", "add", "ada", settings=settings, input_text=PASSWORD + "\n")
    short = run_moderation("users", "add", "bob", settings=settings, input_text="short\n")
    bad_role = run_moderation(
        "users", "add", "bob", "--role", "owner", settings=settings, input_text=PASSWORD + "\n"
    )
    token = run_moderation("tokens", "create", "ada", settings=settings)
    listed = run_moderation("users", "list", settings=settings)

    assert added.returncode == 0, added.stderr
    assert "added admin ada" in added.stdout
    assert again.returncode == 2 and "already exists" in again.stderr
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    assert bad_role.returncode == 2 and "moderator or admin" in bad_role.stderr
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("mod_") and len(secret) > 40
    assert "ada" in listed.stdout and "admin" in listed.stdout and "active" in listed.stdout

    # Stored hashed: neither the password nor the token is in the database.
    with session_scope(url) as session:
        user = session.query(User).one()
        stored_token = session.query(ApiToken).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert secret not in stored_token.token_hash

    with TestClient(
        create_app(Settings(database_url=url, redis_url="redis://127.0.0.1:1/0"))
    ) as api:
        headers = {"Authorization": f"Bearer {secret}"}
        assert api.get("/api/v1/moderation/me", headers=headers).json() == {
            "name": "ada",
            "role": "admin",
        }
        disabled = run_moderation("users", "disable", "ada", settings=settings)
        assert disabled.returncode == 0, disabled.stderr
        assert api.get("/api/v1/moderation/me", headers=headers).status_code == 401

    assert "disabled" in run_moderation("users", "list", settings=settings).stdout
    unknown = run_moderation("users", "disable", "nobody", settings=settings)
    assert unknown.returncode == 2 and "no user named" in unknown.stderr
