"""PostgreSQL snapshots: `pg_dump -Fc` of an exported snapshot, so the row counts in the
manifest are those of the very transaction pg_dump reads; restores with `pg_restore`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from .manifest import BackupError


def libpq_url(url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... (what libpq and its tools read)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is missing: install PostgreSQL's client tools "
                          f"(Debian: apt-get install postgresql-client) to back up or "
                          f"restore a PostgreSQL database")
    return path


def _tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]


def _counts(conn: psycopg.Connection) -> tuple[dict[str, int], str | None]:
    out: dict[str, int] = {}
    for t in _tables(conn):
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()
        out[t] = int(row[0]) if row else 0
    revision = None
    if "alembic_version" in out:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return out, revision


def snapshot(url: str, dest: Path) -> tuple[dict[str, int], str | None]:
    dump = _tool("pg_dump")
    plain = libpq_url(url)
    with psycopg.connect(plain) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        found, revision = _counts(conn)
        done = subprocess.run(
            [dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={row[0]}",
             "-f", str(dest), "-d", plain],
            capture_output=True, text=True, check=False)
        conn.execute("COMMIT")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return found, revision


def counts(url: str) -> tuple[dict[str, int], str | None]:
    with psycopg.connect(libpq_url(url)) as conn:
        return _counts(conn)


def is_empty(url: str) -> bool:
    found, _rev = counts(url)
    return all(n == 0 for t, n in found.items() if t != "alembic_version")


def restore(data: Path, url: str) -> None:
    """Into the database's public schema, emptied first (the caller checked it may be)."""
    restore_tool = _tool("pg_restore")
    plain = libpq_url(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    done = subprocess.run(
        [restore_tool, "--no-owner", "--no-privileges", "--exit-on-error", "-d", plain,
         str(data)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")


def scratch_database(url: str, name: str) -> str:
    """A new empty database on the same server (for `backup --check`); its URL."""
    plain = libpq_url(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _db = plain.rpartition("/")
    query = ""
    if "?" in _db:
        query = "?" + _db.split("?", 1)[1]
    return f"{base}/{name}{query}"


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
