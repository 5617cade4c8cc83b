"""Backups that restore: consistent snapshots of the database while the app serves, each
with a manifest to check a restore against (`flask planner backup`, `restore`,
`backup --check`, and the reminder worker's nightly backup).

A snapshot is one zip file, `planner-backup-YYYYMMDD-HHMMSS.zip`, holding `manifest.json`
(manifest.py) and the database: `database.sqlite3` (SQLite's `VACUUM INTO`) or
`database.pgdump` (`pg_dump -Fc`).
"""

from __future__ import annotations

import secrets
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from . import postgres, sqlite
from .manifest import FORMAT, BackupError, Manifest, count_differences, sha256_of

__all__ = ["BackupError", "Manifest", "check", "latest", "prune", "read_manifest", "restore",
           "take"]

PATTERN = "planner-backup-*.zip"


def _dialect(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgres"):
        return "postgresql"
    raise BackupError(f"backups know SQLite and PostgreSQL, not {url.split(':', 1)[0]}")


def take(url: str, to_dir: Path, now: datetime | None = None) -> tuple[Path, Manifest]:
    """Write a snapshot of the database at `url` into `to_dir`; its path and manifest."""
    now = now or datetime.now(UTC)
    dialect = _dialect(url)
    to_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    final = to_dir / f"planner-backup-{stamp}.zip"
    with tempfile.TemporaryDirectory(prefix="planner-backup-", dir=to_dir) as tmp:
        if dialect == "sqlite":
            data = Path(tmp) / "database.sqlite3"
            sqlite.snapshot(url, data)
            counts, revision = sqlite.counts(data)
            compression = zipfile.ZIP_DEFLATED
        else:
            data = Path(tmp) / "database.pgdump"
            counts, revision = postgres.snapshot(url, data)
            compression = zipfile.ZIP_STORED  # -Fc is compressed already
        manifest = Manifest(format=FORMAT, dialect=dialect, revision=revision, counts=counts,
                            taken_at=now.isoformat(timespec="seconds"),
                            sha256=sha256_of(data), data_file=data.name)
        partial = Path(tmp) / final.name
        with zipfile.ZipFile(partial, "w", compression=compression) as zf:
            zf.writestr("manifest.json", manifest.to_json())
            zf.write(data, data.name)
        partial.replace(final)  # a snapshot is in the folder whole, or not at all
    return final, manifest


def read_manifest(file: Path) -> Manifest:
    try:
        with zipfile.ZipFile(file) as zf:
            return Manifest.from_json(zf.read("manifest.json").decode("utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"no backup at {file}") from exc
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise BackupError(f"{file.name} is not a planner backup ({exc})") from exc


def _extract(file: Path, into: Path) -> tuple[Manifest, Path]:
    manifest = read_manifest(file)
    if Path(manifest.data_file).name != manifest.data_file:
        raise BackupError("the backup's manifest names a file outside the backup")
    with zipfile.ZipFile(file) as zf:
        try:
            zf.extract(manifest.data_file, into)
        except KeyError as exc:
            raise BackupError(f"the backup lacks its database file {manifest.data_file}") from exc
    data = into / manifest.data_file
    if sha256_of(data) != manifest.sha256:
        raise BackupError("the backup's database file does not match its checksum: damaged")
    return manifest, data


def _restored_counts(dialect: str, url: str) -> dict[str, int]:
    if dialect == "sqlite":
        return sqlite.counts(sqlite.path_of(url))[0]
    return postgres.counts(url)[0]


def restore(file: Path, url: str, force: bool = False) -> Manifest:
    """Restore `file` into the database at `url`, which must be empty unless `force`.
    Checks the manifest's counts on the restored database; the caller then migrates it
    to the code's head (an older snapshot is carried forward)."""
    dialect = _dialect(url)
    with tempfile.TemporaryDirectory(prefix="planner-restore-") as tmp:
        manifest, data = _extract(file, Path(tmp))
        if manifest.dialect != dialect:
            raise BackupError(f"this is a {manifest.dialect} backup; the database is {dialect}")
        empty = sqlite.is_empty(url) if dialect == "sqlite" else postgres.is_empty(url)
        if not empty and not force:
            raise BackupError("the database is not empty: restore into an empty one, or "
                              "force it (everything in it is replaced)")
        if dialect == "sqlite":
            sqlite.restore(data, url)
        else:
            postgres.restore(data, url)
    diff = count_differences(manifest.counts, _restored_counts(dialect, url))
    if diff:
        raise BackupError("the restored database does not match the backup: " + "; ".join(diff))
    return manifest


def check(file: Path, url: str) -> Manifest:
    """Prove that `file` restores: into a scratch database (a temporary SQLite file, or a
    new database on the same PostgreSQL server, dropped after), counts compared."""
    manifest = read_manifest(file)
    if manifest.dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="planner-check-") as tmp:
            return restore(file, f"sqlite:///{Path(tmp) / 'check.sqlite3'}")
    if _dialect(url) != "postgresql":
        raise BackupError("checking a PostgreSQL backup needs a PostgreSQL server (DATABASE_URL)")
    name = f"planner_check_{secrets.token_hex(4)}"
    scratch = postgres.scratch_database(url, name)
    try:
        return restore(file, scratch)
    finally:
        postgres.drop_database(url, name)


def backups(folder: Path) -> list[Path]:
    """The snapshots in `folder`, oldest first (the names sort by time)."""
    return sorted(folder.glob(PATTERN)) if folder.is_dir() else []


def latest(folder: Path) -> Path | None:
    found = backups(folder)
    return found[-1] if found else None


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` snapshots; the ones deleted."""
    old = backups(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old
