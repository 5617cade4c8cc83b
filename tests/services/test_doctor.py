"""`flask planner doctor`: each finding is ok on a sound deployment and trips when its
condition is broken."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from planner.extensions import db
from planner.models import OpsStatus
from planner.services import backup, doctor, ops

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture()
def sound(app: Flask, tmp_path: Path) -> Iterator[doctor.Setting]:
    """A deployment where every check passes: keys kept, a real subject, a worker that
    ran a minute ago, a backup of this morning, HTTPS behind one proxy."""
    inst = tmp_path / "instance"
    inst.mkdir()
    (inst / "secret_key").write_text("s3cret")
    (inst / "vapid_private.pem").write_text("-----BEGIN PRIVATE KEY-----")
    config: dict[str, Any] = dict(app.config)
    config.update(VAPID_SUBJECT="mailto:it@acme.example", BACKUP_DIR=str(tmp_path / "b"),
                  PUBLIC_URL="https://planner.acme.example", SESSION_COOKIE_SECURE=True,
                  TRUSTED_PROXIES=1)
    with app.app_context():
        backup.take(config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b", NOW - timedelta(hours=8))
        ops.beat("test-worker", NOW - timedelta(minutes=1))
        db.session.commit()
        yield doctor.Setting(config=config, instance_path=inst,
                             migrations=Path(app.extensions["migrate"].directory), now=NOW,
                             env={}, probe=lambda url: "https")
        db.session.query(OpsStatus).delete()
        db.session.commit()


def _levels(setting: doctor.Setting) -> dict[str, str]:
    try:
        return {f.check: f.level for f in doctor.run(setting)}
    finally:
        db.session.rollback()  # the checks only read: end the transaction


def test_a_sound_deployment_has_no_error(sound: doctor.Setting) -> None:
    levels = _levels(sound)
    assert [c for c, lvl in levels.items() if lvl == doctor.ERROR] == []


def test_keys_not_kept_are_errors(sound: doctor.Setting) -> None:
    (sound.instance_path / "vapid_private.pem").unlink()
    (sound.instance_path / "secret_key").write_text("")
    levels = _levels(sound)
    assert levels["SECRET_KEY"] == levels["VAPID key"] == doctor.ERROR
    env = replace(sound, env={"SECRET_KEY": "x", "VAPID_PRIVATE_KEY": "y"})
    assert _levels(env)["SECRET_KEY"] == _levels(env)["VAPID key"] == doctor.OK


def test_keys_on_a_volatile_filesystem_are_errors(sound: doctor.Setting) -> None:
    shm = Path("/dev/shm")
    if doctor._filesystem(shm) != "tmpfs":
        pytest.skip("no tmpfs at /dev/shm on this machine")
    inst = shm / f"planner-doctor-{id(sound)}"
    inst.mkdir(exist_ok=True)
    try:
        (inst / "secret_key").write_text("k")
        assert _levels(replace(sound, instance_path=inst))["SECRET_KEY"] == doctor.ERROR
    finally:
        (inst / "secret_key").unlink()
        inst.rmdir()


@pytest.mark.parametrize("subject", ["mailto:admin@example.com", "", "admin@acme.example"])
def test_the_example_or_a_malformed_vapid_subject_is_an_error(
        sound: doctor.Setting, subject: str) -> None:
    config = {**sound.config, "VAPID_SUBJECT": subject}
    assert _levels(replace(sound, config=config))["VAPID_SUBJECT"] == doctor.ERROR


def test_a_database_behind_the_code_is_an_error(sound: doctor.Setting, app: Flask) -> None:
    current = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
    db.session.execute(db.text("UPDATE alembic_version SET version_num = 'c4a7e2d91f10'"))
    db.session.commit()
    try:
        assert _levels(sound)["database"] == doctor.ERROR
    finally:
        db.session.execute(db.text("UPDATE alembic_version SET version_num = :v"),
                           {"v": current})
        db.session.commit()
    assert _levels(sound)["database"] == doctor.OK


def test_a_silent_reminder_worker_is_an_error(sound: doctor.Setting, app: Flask) -> None:
    assert _levels(replace(sound, now=NOW + timedelta(minutes=7)))["reminder worker"] == "error"
    db.session.query(OpsStatus).filter(OpsStatus.key.like("worker:%")).delete()
    db.session.commit()
    assert _levels(sound)["reminder worker"] == doctor.ERROR


def test_an_unknown_holiday_calendar_for_next_year_is_a_warning(sound: doctor.Setting) -> None:
    assert _levels(replace(sound, now=NOW.replace(year=2100)))["holidays"] == doctor.WARN


def test_old_missing_or_failed_backups_are_errors(sound: doctor.Setting, app: Flask,
                                                  tmp_path: Path) -> None:
    assert _levels(replace(sound, now=NOW + timedelta(days=2)))["backups"] == doctor.ERROR
    config = {**sound.config, "BACKUP_DIR": str(tmp_path / "empty")}
    assert _levels(replace(sound, config=config))["backups"] == doctor.ERROR
    broken = {**sound.config, "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent/x.db"}
    result = ops.nightly_backup(broken, NOW - timedelta(hours=1))
    db.session.commit()
    assert result.error and "no database" in result.error
    findings = {f.check: f for f in doctor.run(sound)}
    assert findings["backups"].level == doctor.ERROR
    assert "failed" in findings["backups"].message


@pytest.mark.parametrize("change", [
    {"PUBLIC_URL": "http://planner.acme.example"},
    {"SESSION_COOKIE_SECURE": False},
    {"TRUSTED_PROXIES": 0},
])
def test_https_misconfigured_is_an_error(sound: doctor.Setting, change: dict[str, Any]) -> None:
    config = {**sound.config, **change}
    assert _levels(replace(sound, config=config))["https"] == doctor.ERROR


def test_https_seen_as_http_by_the_app_is_an_error(sound: doctor.Setting) -> None:
    assert _levels(replace(sound, probe=lambda url: "http"))["https"] == doctor.ERROR
    assert _levels(replace(sound, probe=lambda url: None))["https"] == doctor.WARN
    config = {**sound.config, "PUBLIC_URL": ""}
    assert _levels(replace(sound, config=config))["https"] == doctor.WARN


def test_the_command_prints_a_line_per_finding_and_fails_on_an_error(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["planner", "doctor", "--no-probe"])
    lines = result.output.strip().splitlines()
    assert len(lines) == len(doctor.CHECKS) + 1
    assert lines[-1].endswith("warnings")
    assert result.exit_code == (1 if any(line.startswith("error") for line in lines) else 0)


def test_the_nightly_backup_is_due_once_after_its_hour(sound: doctor.Setting, app: Flask) -> None:
    config = {**sound.config, "BACKUP_HOUR": 2, "COMPANY_TIMEZONE": "Asia/Shanghai"}
    night = datetime(2026, 12, 9, 18, 30, tzinfo=UTC)  # 02:30 in Shanghai
    assert ops.nightly_due(config, night)
    result = ops.nightly_backup(config, night)
    db.session.commit()
    assert result.file is not None and result.error is None
    assert not ops.nightly_due(config, night + timedelta(hours=3))
    assert not ops.nightly_due(config, night + timedelta(hours=23))  # 01:30, before the hour
    assert ops.nightly_due(config, night + timedelta(days=1))
