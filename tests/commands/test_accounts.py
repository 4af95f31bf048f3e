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
from tests.support.staff import post_sign_in, sign_in

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


def test_a_leaked_token_is_revoked_without_disabling_its_owner(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = {"database_url": url}
    run_moderation("users", "add", "cy", settings=settings, input_text=PASSWORD + "\n")
    leaked = run_moderation("tokens", "create", "cy", "--label", "laptop", settings=settings)
    kept = run_moderation("tokens", "create", "cy", "--label", "script", settings=settings)
    listed = run_moderation("tokens", "list", settings=settings)

    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[-1]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert [rows["laptop"][1], rows["laptop"][2]] == ["cy", "active"]
    # The list never shows a token itself.
    assert leaked.stdout.strip() not in listed.stdout
    revoked = run_moderation("tokens", "revoke", rows["laptop"][0], settings=settings)
    again = run_moderation("tokens", "revoke", rows["laptop"][0], settings=settings)
    after = run_moderation("tokens", "list", "cy", settings=settings)

    assert revoked.returncode == 0, revoked.stderr
    assert again.returncode == 2 and "no active token" in again.stderr
    assert "revoked" in after.stdout.splitlines()[1] and "active" in after.stdout.splitlines()[2]
    with TestClient(
        create_app(Settings(database_url=url, redis_url="redis://127.0.0.1:1/0"))
    ) as api:

        def me(token: str) -> int:
            headers = {"Authorization": f"Bearer {token.strip()}"}
            return api.get("/api/v1/moderation/me", headers=headers).status_code

        assert me(leaked.stdout) == 401
        assert me(kept.stdout) == 200
    assert "active" in run_moderation("users", "list", settings=settings).stdout


def signs_in(browser: TestClient, name: str, password: str) -> bool:
    return bool(post_sign_in(browser, name, password).status_code == 303)


def test_an_operator_sets_a_password_and_enables_an_account_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = {"database_url": url}
    run_moderation("users", "add", "dee", settings=settings, input_text=PASSWORD + "\n")
    new_password = "another long password"
    app = create_app(Settings(database_url=url, redis_url="redis://127.0.0.1:1/0"))
    with TestClient(app, base_url="https://testserver") as browser:
        sign_in(browser, "dee", PASSWORD)
        assert browser.get("/moderation/queue/pending").status_code == 200

        short = run_moderation("users", "set-password", "dee", settings=settings, input_text="x\n")
        changed = run_moderation(
            "users", "set-password", "dee", settings=settings, input_text=new_password + "\n"
        )
        unknown = run_moderation(
            "users", "set-password", "nobody", settings=settings, input_text=new_password + "\n"
        )

        assert short.returncode == 2 and "at least 10 characters" in short.stderr
        assert changed.returncode == 0, changed.stderr
        assert unknown.returncode == 2 and "no user named" in unknown.stderr
        # The session signed in with the old password has ended.
        ended = browser.get("/moderation/queue/pending", follow_redirects=False)
        assert ended.status_code == 303 and "/moderation/login" in ended.headers["location"]

    with TestClient(app, base_url="https://testserver") as browser:
        assert not signs_in(browser, "dee", PASSWORD)
        run_moderation("users", "disable", "dee", settings=settings)
        assert not signs_in(browser, "dee", new_password)
        enabled = run_moderation("users", "enable", "dee", settings=settings)
        assert enabled.returncode == 0, enabled.stderr
        assert signs_in(browser, "dee", new_password)
