"""The reminder worker's minute housekeeping: a heartbeat for `planner doctor`, the
nightly backup when due, and a failed backup told to the administrators."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from planner.extensions import db
from planner.models import OpsStatus, Reminder, User
from planner.services import backup, ops
from planner.services.reminders import worker

NOW = datetime(2026, 12, 9, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai, after BACKUP_HOUR 2


@pytest.fixture()
def clean(app: Flask, tmp_path: Path) -> Iterator[None]:
    with app.app_context():
        old = app.config["BACKUP_DIR"]
        app.config["BACKUP_DIR"] = str(tmp_path / "backups")
        yield
        app.config["BACKUP_DIR"] = old
        db.session.execute(delete(OpsStatus))
        db.session.execute(delete(Reminder).where(Reminder.kind == worker.BACKUP_FAILED))
        db.session.commit()


def test_the_worker_beats_and_takes_the_nightly_backup_once(app: Flask, clean: None) -> None:
    worker.housekeeping("w1", nightly=True, now=NOW)
    assert ops.last_beat() == NOW
    assert backup.latest(Path(app.config["BACKUP_DIR"])) is not None
    worker.housekeeping("w1", nightly=True, now=NOW.replace(minute=5))
    assert len(backup.backups(Path(app.config["BACKUP_DIR"]))) == 1


def test_a_dispatch_only_worker_only_beats(app: Flask, clean: None) -> None:
    worker.housekeeping("w2", nightly=False, now=NOW)
    assert ops.last_beat() == NOW
    assert backup.latest(Path(app.config["BACKUP_DIR"])) is None


def test_a_failed_backup_is_told_to_the_administrators(
        app: Flask, clean: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_a: object, **_k: object) -> None:
        raise backup.BackupError("the disk is full")

    monkeypatch.setattr(backup, "take", fail)
    worker.housekeeping("w1", nightly=True, now=NOW)
    director = db.session.scalar(select(User.id).where(User.username == "director"))
    told = db.session.scalars(select(Reminder).where(
        Reminder.kind == worker.BACKUP_FAILED)).all()
    assert [r.user_id for r in told] == [director]
    assert "the disk is full" in told[0].payload["body"]
    assert ops.status(ops.BACKUP_ERROR) is not None
