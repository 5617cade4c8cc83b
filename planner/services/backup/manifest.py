"""A snapshot's manifest: what it holds, to check a restore against.

`manifest.json` beside the database file in the snapshot's zip: the format, the database
kind, the migration revision, the row count of every table, when it was taken (UTC), and
the SHA-256 of the database file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ...refusal import Refused

FORMAT = "planner-backup/1"


class BackupError(Refused):
    """A backup, restore or check that could not be done; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: str
    dialect: str  # "sqlite" | "postgresql"
    revision: str | None  # alembic_version at the time of the snapshot
    counts: dict[str, int]  # table -> rows
    taken_at: str  # ISO 8601, UTC
    sha256: str  # of the database file in the zip
    data_file: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            raw: dict[str, Any] = json.loads(text)
            if raw.get("format") != FORMAT:
                raise BackupError(f"not a planner backup (format {raw.get('format')!r})")
            return cls(format=raw["format"], dialect=str(raw["dialect"]),
                       revision=raw.get("revision"),
                       counts={str(k): int(v) for k, v in raw["counts"].items()},
                       taken_at=str(raw["taken_at"]), sha256=str(raw["sha256"]),
                       data_file=str(raw["data_file"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the backup's manifest is damaged ({exc})") from exc


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """Each table whose row count differs, as 'table: expected N, found M'."""
    out = []
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want != got:
            out.append(f"{table}: expected {want if want is not None else 'no table'}, "
                       f"found {got if got is not None else 'no table'}")
    return out
