"""schemathesis over /api/v1: every documented operation, logged in as a rep with the CSRF
header, answers no 5xx and only what planner/api/openapi.py documents.

It runs against an app of its own, on a database of its own (SQLite: a temporary file;
PostgreSQL: the schema `fuzz` of the test database), so the visits and leads it makes up
never reach the demo company the other tests read."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import csrf_token, login
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from planner import create_app
from planner.api.openapi import document
from planner.extensions import db

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

FUZZ_SCHEMA = "fuzz"


def _fuzz_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'fuzz.sqlite3'}"
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {FUZZ_SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {FUZZ_SCHEMA}")
    driver = plain.replace("postgresql://", "postgresql+psycopg://", 1)
    sep = "&" if "?" in driver else "?"
    return f"{driver}{sep}options=-csearch_path%3D{FUZZ_SCHEMA}"


@pytest.fixture(scope="module")
def fuzz_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = _fuzz_url(tmp_path_factory.mktemp("fuzz"))
    fuzz = create_app({**{k: app.config[k] for k in (
        "TESTING", "SECRET_KEY", "SESSION_COOKIE_SECURE", "ARGON2_TIME_COST",
        "ARGON2_MEMORY_COST")}, "SQLALCHEMY_DATABASE_URI": url})
    with fuzz.app_context():
        from flask_migrate import upgrade

        from planner.devtools.demo import load_demo

        upgrade()
        load_demo()
        db.session.remove()
    yield fuzz
    with fuzz.app_context():
        db.engine.dispose()
    if url.startswith("postgres"):
        import psycopg

        plain = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {FUZZ_SCHEMA} CASCADE")


@pytest.fixture(scope="module")
def rep_session(fuzz_app: Flask) -> dict[str, Any]:
    """What every call carries: the rep's session cookie and its CSRF token (sent with
    each call, so a cookie schemathesis makes up for the "session" scheme never sticks)."""
    client = fuzz_app.test_client()
    assert login(client, "rep01").status_code == 302
    token = csrf_token(client, "/today")
    cookie = client.get_cookie("session")
    assert cookie is not None
    # A review of the rep's to reach (the demo has none): written and submitted through
    # the API, for a week the document lists.
    week = document()["paths"]["/reviews/week/{week}"]["get"]["parameters"][0]["schema"][
        "enum"][2]
    headers = {"X-CSRFToken": token}
    resp = client.put(f"/api/v1/reviews/week/{week}", headers=headers,
                      json={"version": 0, "completed": "Met ten customers"})
    assert resp.status_code == 200, resp.get_json()
    resp = client.post(f"/api/v1/reviews/week/{week}/submit", headers=headers,
                       json={"version": resp.get_json()["version"]})
    assert resp.status_code == 200, resp.get_json()
    # identity: the test client does not undo Brotli/gzip as a browser does (compression
    # has its own test in test_speed_http.py).
    return {"session": client, "headers": {"X-CSRFToken": token, "Accept-Encoding": "identity"},
            "cookies": {"session": cookie.value}}


# Every documented operation; the negative mode (input the document calls invalid) only
# where there is input to spoil.
OPERATIONS = [
    pytest.param(path, method.upper(), mode, id=f"{method.upper()} {path} {mode.value}")
    for path, item in document()["paths"].items() for method, op in item.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or op.get("parameters") or op.get("requestBody")
]


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


@pytest.mark.parametrize(("path", "method", "mode"), OPERATIONS)
def test_the_api_answers_no_server_error_and_only_what_its_document_says(
    api_schema: Any, rep_session: dict[str, Any], path: str, method: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method]
    statuses: dict[int, int] = {}

    @settings(max_examples=30, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call_and_validate(**rep_session, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    run()
    print(f"\n{method} {path} {mode.value}: {dict(sorted(statuses.items()))}")  # with -s
    # Logged in all along: the fuzzing reached the API, not only the login check.
    assert 401 not in statuses, statuses


def test_the_fuzzer_reaches_real_reviews_through_the_documents_weeks_and_links(
    api_schema: Any, rep_session: dict[str, Any],
) -> None:
    """The review operations take a week (the document lists the weeks a rep may write
    for) or a review's id (links from every answer holding a review): a stateful run
    follows them to real reviews, with no server error and nothing undocumented."""
    reached: dict[str, set[int]] = {}

    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return rep_session

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            reached.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)

    Machine.run(settings=settings(max_examples=60, stateful_step_count=6, derandomize=True,
                                  deadline=None, database=None,
                                  suppress_health_check=list(HealthCheck)))
    by_id = {op: codes for op, codes in reached.items() if "{review_id}" in op}
    print({op: sorted(codes) for op, codes in sorted(reached.items())})  # with -s
    assert by_id and any(codes - {404} for codes in by_id.values()), reached
    weeks = {op: codes for op, codes in reached.items() if "{week}" in op}
    assert weeks and all(codes - {404} for codes in weeks.values()), reached
