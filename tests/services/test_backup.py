"""Backups refuse what they cannot do, with a message, and change nothing then; a
restore carries an older snapshot forward to the code's schema."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from planner import create_app
from planner.extensions import db
from planner.services import backup


def _scratch_app(tmp: Path, name: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / name}"})


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    """A snapshot of a small database migrated to an older revision, with one company."""
    app = _scratch_app(tmp_path, "old.sqlite3")
    with app.app_context():
        upgrade(revision="c4a7e2d91f10")
        db.session.execute(db.text("INSERT INTO company (name, timezone, country, "
                                   "fiscal_first_month, currency, created_at) VALUES "
                                   "('Old Co', 'Asia/Shanghai', 'CN', 1, 'CNY', "
                                   "'2026-01-01 00:00:00')"))
        db.session.commit()
        path, manifest = backup.take(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "b")
        db.engine.dispose()
    assert manifest.revision == "c4a7e2d91f10" and manifest.counts["company"] == 1
    return path


def test_a_restore_into_an_empty_database_is_migrated_forward(
        snapshot: Path, tmp_path: Path) -> None:
    app = _scratch_app(tmp_path, "new.sqlite3")
    result = app.test_cli_runner().invoke(args=["planner", "restore", str(snapshot)])
    assert result.exit_code == 0, result.output
    assert "migrated to head" in result.output
    with app.app_context():
        assert db.session.execute(db.text("SELECT name FROM company")).scalar() == "Old Co"
        head = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        assert head != "c4a7e2d91f10"
        db.engine.dispose()


def test_a_restore_into_a_database_with_data_is_refused_unless_confirmed(
        snapshot: Path, tmp_path: Path) -> None:
    app = _scratch_app(tmp_path, "busy.sqlite3")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["planner", "restore", str(snapshot)]).exit_code == 0
    again = runner.invoke(args=["planner", "restore", str(snapshot)])
    assert again.exit_code == 1 and "not empty" in again.output
    wrong = runner.invoke(args=["planner", "restore", "--force", str(snapshot)], input="yes\n")
    assert wrong.exit_code == 1 and "not confirmed" in wrong.output
    ok = runner.invoke(args=["planner", "restore", "--force", str(snapshot)],
                       input="busy.sqlite3\n")
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        db.engine.dispose()


def test_a_damaged_snapshot_is_refused(snapshot: Path, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(snapshot) as src, zipfile.ZipFile(bad, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        dst.writestr("manifest.json", json.dumps(manifest))
        dst.writestr(manifest["data_file"], src.read(manifest["data_file"])[:-4096] + b"x" * 4096)
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.restore(bad, target)
    (tmp_path / "nozip.zip").write_bytes(b"PK not really")
    with pytest.raises(backup.BackupError, match="not a planner backup"):
        backup.restore(tmp_path / "nozip.zip", target)
    counts = tmp_path / "counts.zip"
    with zipfile.ZipFile(snapshot) as src, zipfile.ZipFile(counts, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        manifest["counts"]["company"] = 2
        dst.writestr("manifest.json", json.dumps(manifest))
        dst.writestr(manifest["data_file"], src.read(manifest["data_file"]))
    with pytest.raises(backup.BackupError, match="company: expected 2, found 1"):
        backup.check(counts, target)
    with pytest.raises(backup.BackupError, match="sqlite backup; the database is postgresql"):
        backup.restore(snapshot, "postgresql://postgres@127.0.0.1:5432/nothing")


def test_check_proves_a_snapshot_restores(snapshot: Path) -> None:
    manifest = backup.check(snapshot, "sqlite:///unused")
    assert manifest.counts["company"] == 1


def test_only_the_newest_snapshots_are_kept(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"planner-backup-202612{day:02d}-020000.zip").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("mine")
    removed = backup.prune(tmp_path, keep=3)
    assert [p.name for p in removed] == ["planner-backup-20261201-020000.zip",
                                         "planner-backup-20261202-020000.zip"]
    assert backup.latest(tmp_path).name == "planner-backup-20261205-020000.zip"  # type: ignore[union-attr]
    assert (tmp_path / "notes.txt").exists()
