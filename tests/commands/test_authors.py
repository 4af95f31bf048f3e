"""`moderation authors export|erase`, run as an operator runs them."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

from moderation.domain.clock import utcnow
from moderation.storage import rules as rules_store
from moderation.storage.db import session_scope
from tests.conftest import run_moderation
from tests.support.privacy import (
    ZED_EMAIL,
    ZED_EMAIL_OTHER_CASE,
    ZED_TRACES,
    table_dump,
    traces_in,
    write_scenario,
)


def test_export_then_erase_from_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    s = write_scenario(sqlite_url)
    settings = {"database_url": sqlite_url}
    out = tmp_path / "zed.json"

    exported = run_moderation(
        "authors", "export", ZED_EMAIL, "--output", str(out), settings=settings
    )
    declined = run_moderation("authors", "erase", ZED_EMAIL, settings=settings, input_text="n\n")

    assert exported.returncode == 0, exported.stderr
    assert "wrote 4 comment(s)" in exported.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: for the operator alone
    found = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in found["comments"]] == [s.published, s.removed, s.waiting, s.replied_to]
    assert declined.returncode == 2
    assert (
        "4 comment(s) and 2 ban(s) or trust of this author; texts will be replaced"
        in declined.stdout
    )
    assert traces_in(table_dump(sqlite_url)) == list(ZED_TRACES)

    erased = run_moderation("authors", "erase", ZED_EMAIL_OTHER_CASE, "--yes", settings=settings)
    again = run_moderation(
        "authors",
        "erase",
        ZED_EMAIL,
        settings={**settings, "erasure_texts": "delete"},
        input_text="y\n",
    )

    assert erased.returncode == 0, erased.stderr
    assert (
        "erasure 1: 4 comment(s) (0 taken off the page), 1 training label(s) deleted"
        in erased.stdout
    )
    assert "2 ban(s) kept as a hash" in erased.stdout
    assert traces_in(table_dump(sqlite_url)) == []
    assert again.returncode == 0, again.stderr
    assert "nothing left to erase" in again.stdout and "erased before: " in again.stdout
    for done in (erased, again):
        assert traces_in(done.stdout + done.stderr) == []


def test_a_bad_email_is_refused(sqlite_url: str) -> None:
    refused = run_moderation(
        "authors", "export", "no-at-sign", settings={"database_url": sqlite_url}
    )

    assert refused.returncode == 2
    assert refused.stderr.startswith("error: email must be an email address")


def test_a_ban_from_the_command_line_may_be_a_suspension(sqlite_url: str) -> None:
    settings = {"database_url": sqlite_url}

    suspended = run_moderation(
        "authors", "ban", "Pat@Example.com", "--days", "3", settings=settings
    )
    banned = run_moderation("authors", "ban", "kim@example.com", settings=settings)
    refused = run_moderation("authors", "ban", "not an email", settings=settings)
    too_long = run_moderation(
        "authors", "ban", "a@example.com", "--days", "4000", settings=settings
    )

    assert suspended.returncode == 0, suspended.stderr
    ends = (utcnow() + timedelta(days=3)).date().isoformat()
    assert suspended.stdout.startswith(f"banned pat@example.com: {ends}T")
    assert banned.stdout == "banned kim@example.com: until lifted\n"
    assert refused.returncode == 2 and "email" in refused.stderr
    assert too_long.returncode == 2
    with session_scope(sqlite_url) as session:
        held = {r.value: r.expires_at for r in rules_store.author_rules(session)}
    assert set(held) == {"pat@example.com", "kim@example.com"}
    assert held["kim@example.com"] is None
