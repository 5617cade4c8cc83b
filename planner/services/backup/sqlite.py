"""SQLite snapshots: `VACUUM INTO` (a consistent copy taken inside one read transaction
while the app goes on writing; never a file copy, which could catch a half-written page
or miss the WAL), and restores into a file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .manifest import BackupError


def path_of(url: str) -> Path:
    """The database file of a sqlite:/// URL."""
    if not url.startswith("sqlite:///") or url == "sqlite:///" or ":memory:" in url:
        raise BackupError("backups need a database file (sqlite:///path)")
    return Path(url[len("sqlite:///"):].split("?", 1)[0])


def snapshot(url: str, dest: Path) -> None:
    src = path_of(url)
    if not src.exists():
        raise BackupError(f"no database at {src}")
    conn = sqlite3.connect(src, timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("VACUUM INTO ?", (str(dest),))
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not write the snapshot: {exc}") from exc
    finally:
        conn.close()


def counts(path: Path) -> tuple[dict[str, int], str | None]:
    """Row count of every table of the file, and its migration revision."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
               for t in tables}
        revision = None
        if "alembic_version" in out:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return out, revision
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the snapshot's database is damaged: {exc}") from exc
    finally:
        conn.close()


def is_empty(url: str) -> bool:
    """No file, or a file whose tables hold no row but the migration revision."""
    path = path_of(url)
    if not path.exists() or path.stat().st_size == 0:
        return True
    found, _rev = counts(path)
    return all(n == 0 for t, n in found.items() if t != "alembic_version")


def restore(data: Path, url: str) -> None:
    """Put the snapshot's file in place of the database (the app stopped): written next
    to it first, then renamed over it, so a failure leaves the old file whole."""
    target = path_of(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".restoring")
    tmp.write_bytes(data.read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
