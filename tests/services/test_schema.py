"""The schema comes from the committed migrations, both ways, on SQLite and PostgreSQL;
the models and the migrations agree; SQLite writers do not trip over each other."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from planner import create_app
from planner.extensions import db


def _scratch_url(tmp_path: Path) -> str:
    """A database of its own: a SQLite file, or a fresh PostgreSQL database on the server
    the suite runs against."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    base, _, name = plain.rpartition("/")
    scratch = f"{name}_migrations"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    return f"{base}/{scratch}"


@pytest.fixture()
def scratch_app(tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": _scratch_url(tmp_path)})


def test_upgrade_builds_the_schema_from_empty_and_downgrade_then_upgrade_works(
    scratch_app: Flask,
) -> None:
    from flask_migrate import downgrade, upgrade

    with scratch_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"target", "target_cell", "visit", "customer", "weekly_review", "reminder",
                "push_subscription", "audit_log", "action_plan", "daily_plan"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()


def test_the_models_and_the_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models differ from migrations; run `flask db migrate`: {diff}"


def test_several_sqlite_writers_do_not_fail_with_database_is_locked(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.sqlite3'}"})
    errors: list[BaseException] = []
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
            conn.execute(text("INSERT INTO counter VALUES (1, 0)"))

    def writer() -> None:
        try:
            with app.app_context():
                for _ in range(25):
                    # Read, then write in the same transaction: the pattern that fails with
                    # "database is locked" under deferred transactions.
                    with db.engine.begin() as conn:
                        n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                        conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 100
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        db.engine.dispose()


def test_a_postgresql_url_uses_psycopg_3(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.config import _database_url

    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    url = _database_url("/tmp")
    assert url.startswith("postgresql+psycopg://")
    create_engine(url).dispose()  # the driver imports
