"""The logs of a running stack (API and worker as real processes): JSON lines on request, one
access line per request and one line per decided batch, the request id followed from the
request to the batch that decided its comment, and no personal data at INFO."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import RedisServer
from tests.support.comments import CLEAN, SPAM

EMAIL = "pii.known.person@example.org"
ADDRESS = "203.0.113.77"
AGENT = "PiiAgent/7.7 (unique-ua-marker)"
TEXT_MARKER = "quokka-marmalade-7731"


def post(base: str, number: int, request_id: str) -> tuple[int, str]:
    payload = {
        "article_id": "log-desk",
        "author_name": f"Reader {number}",
        "author_email": EMAIL,
        "body": f"{(CLEAN + SPAM)[number]} {TEXT_MARKER}",
    }
    request = urllib.request.Request(
        f"{base}/api/v1/comments",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Request-ID": request_id,
            # Believed: the stack trusts the proxy on 127.0.0.1, so this is the stored address.
            "X-Forwarded-For": ADDRESS,
            "User-Agent": AGENT,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers.get("X-Request-ID", "")


def json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))  # a line that starts as JSON must be JSON
    return lines


def test_a_comment_can_be_followed_by_its_request_id_and_no_personal_data_is_logged(
    tmp_path: Path, database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(
        database_url, redis_server, log_format="json", trusted_proxies="127.0.0.1"
    )
    stack.start_worker()
    stack.start_api()
    sent = [f"journey-{n}" for n in range(8)]
    for number, request_id in enumerate(sent):
        assert post(stack.base, number, request_id) == (202, request_id)
    # An id that could forge a log line is not taken: the answer names a fresh one.
    status, fresh = post(stack.base, 8, "evil\tid with spaces")
    assert status == 202 and fresh and fresh != "evil\tid with spaces"
    stack.wait_until_decided(9, timeout=30)
    stack.stop()  # flushes and closes the logs

    logs = sorted(tmp_path.glob("*.log"))
    everything = "\n".join(path.read_text(errors="replace") for path in logs)
    for secret in (EMAIL, ADDRESS, AGENT, "unique-ua-marker", TEXT_MARKER):
        assert secret not in everything, f"{secret!r} is in the logs"

    api = json_lines(next(p for p in logs if p.name.startswith("api")))
    access = [line for line in api if line.get("logger") == "moderation.access"]
    submits = [line for line in access if line["route"] == "/api/v1/comments"]
    assert [line["request_id"] for line in submits] == [*sent, fresh]
    assert all(line["status"] == 202 and line["method"] == "POST" for line in submits)
    assert all(line["duration_ms"] > 0 and line["level"] == "INFO" for line in submits)

    worker = json_lines(next(p for p in logs if p.name.startswith("worker")))
    batches = [line for line in worker if line.get("logger") == "workers.decisions"]
    assert sum(line["count"] for line in batches) == 9
    followed = {rid for line in batches for rid in line["request_ids"]}
    assert followed == {*sent, fresh}
    assert sum(sum(line["statuses"].values()) for line in batches) == 9
