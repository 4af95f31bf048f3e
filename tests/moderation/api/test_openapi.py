"""The OpenAPI schema says what the routes really do: what they read, every status they answer
and the error body they answer it with. (tests/e2e/test_openapi_fuzz.py holds the routes to it
with generated requests; these read the schema itself.)"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def schema(shared_client: TestClient) -> dict[str, Any]:
    answer = shared_client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["paths"][path][method.lower()]
    return found


def body_schema(schema: dict[str, Any], method: str, path: str, media: str) -> dict[str, Any]:
    found: dict[str, Any] = operation(schema, method, path)["requestBody"]["content"][media][
        "schema"
    ]
    return found


def test_author_email_is_an_email_in_json_and_in_a_form(schema: dict[str, Any]) -> None:
    for path in ("/api/v1/comments", "/api/v1/comments/validate"):
        for media in (JSON, FORM):
            email = body_schema(schema, "POST", path, media)["properties"]["author_email"]
            assert email["format"] == "email", (path, media)


def test_the_report_body_is_documented_as_json_and_as_a_form(schema: dict[str, Any]) -> None:
    path = "/api/v1/comments/{comment_id}/reports"
    for media in (JSON, FORM):
        report = body_schema(schema, "POST", path, media)
        assert report["required"] == ["reason"]
        assert report["properties"]["reason"]["enum"] == ["spam", "abuse", "off-topic", "other"]
        assert report["properties"]["text"]["anyOf"][0]["maxLength"] == 1000
    assert operation(schema, "POST", path)["requestBody"]["required"] is True


def test_every_reference_resolves_within_the_document(schema: dict[str, Any]) -> None:
    """A schema given in `openapi_extra` keeps pydantic's `$defs` of its own, which no viewer
    can follow: ReDoc drew nothing at all once one route had such a reference."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            assert "$defs" not in node, sorted(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    components = schema["components"]["schemas"]
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in components, ref


def test_the_error_body_is_a_schema_of_its_own(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    error = components["ErrorBody"]
    assert set(error["required"]) == {"error", "message", "fields"}
    assert error["properties"]["fields"]["items"] == {
        "$ref": "#/components/schemas/FieldProblemBody"
    }
    assert set(components["FieldProblemBody"]["required"]) == {"field", "rule", "message"}
    # FastAPI's own 422 body is not what our handler answers: no route may name it.
    assert "HTTPValidationError" not in components


# Statuses each route gives besides success (tests/moderation and the fuzz run show each).
ANSWERS: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/comments"): {400, 401, 403, 413, 415, 422, 429, 503},
    ("POST", "/api/v1/comments/validate"): {400, 413, 415, 422},
    ("GET", "/api/v1/comments/{comment_id}"): {404, 422, 503},
    ("GET", "/api/v1/articles/{article_id}/comments"): {400, 404, 422, 503},
    ("POST", "/api/v1/comments/{comment_id}/reports"): {400, 404, 413, 415, 422, 429, 503},
    ("GET", "/api/v1/moderation/queue"): {401, 403, 422, 429, 503},
    ("POST", "/api/v1/moderation/comments/{comment_id}/decision"): {
        400,
        401,
        403,
        404,
        409,  # approving a comment whose text retention removed
        413,
        422,
        429,
        503,
    },
    ("POST", "/api/v1/moderation/comments/{comment_id}/undo"): {401, 403, 404, 409, 422, 429, 503},
    ("POST", "/api/v1/admin/word-rules"): {400, 401, 403, 413, 422, 429, 503},
    ("GET", "/api/v1/admin/transparency"): {401, 403, 404, 422, 429, 503},
}


@pytest.mark.parametrize(("method", "path"), ANSWERS, ids=[f"{m} {p}" for m, p in ANSWERS])
def test_every_error_a_route_gives_is_documented_with_the_error_body(
    schema: dict[str, Any], method: str, path: str
) -> None:
    responses = operation(schema, method, path)["responses"]

    documented = {int(status) for status in responses if int(status) >= 400}
    assert documented == ANSWERS[(method, path)]
    for status in documented:
        content = responses[str(status)]["content"][JSON]["schema"]
        assert content == {"$ref": "#/components/schemas/ErrorBody"}, (status, content)


def test_every_429_and_503_says_retry_after(schema: dict[str, Any]) -> None:
    seen = 0
    for path, operations in schema["paths"].items():
        for method, described in operations.items():
            for status in ("429", "503"):
                if status in described["responses"]:
                    header = described["responses"][status]["headers"]["Retry-After"]
                    assert header["required"] is True, (method, path, status)
                    assert header["schema"]["type"] == "integer"
                    seen += 1
    assert seen > 20  # every moderation route, the public ones and /readyz


def test_the_moderation_api_documents_its_401_with_www_authenticate(
    schema: dict[str, Any],
) -> None:
    staff = [p for p in schema["paths"] if p.startswith(("/api/v1/moderation/", "/api/v1/admin/"))]
    assert len(staff) >= 10
    for path in staff:
        for method, described in schema["paths"][path].items():
            unauthorized = described["responses"]["401"]
            assert unauthorized["headers"]["WWW-Authenticate"]["required"] is True, (method, path)
            assert "403" in described["responses"], (method, path)
