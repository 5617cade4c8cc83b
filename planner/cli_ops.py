"""Commands of the `flask planner` group that operate a deployment: backup, restore and
doctor (registered on the group in cli.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("backup")
@with_appcontext
@click.option("--to", "to_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the snapshot (default: BACKUP_DIR, instance/backups).")
@click.option("--check", "check_file", type=click.Path(dir_okay=False), default=None,
              help="Instead: prove that this snapshot restores (into a scratch database).")
def backup(to_dir: str | None, check_file: str | None) -> None:
    """Write a consistent snapshot of the database while the app serves (SQLite: VACUUM
    INTO; PostgreSQL: pg_dump -Fc), with a manifest of its row counts."""
    from pathlib import Path

    from .services import backup as snapshots

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        if check_file:
            m = snapshots.check(Path(check_file), url)
            click.echo(f"{check_file}: restores; {len(m.counts)} tables, "
                       f"{sum(m.counts.values()):,} rows, revision {m.revision}, "
                       f"taken {m.taken_at}")
            return
        folder = Path(to_dir or current_app.config["BACKUP_DIR"])
        path, m = snapshots.take(url, folder)
    except snapshots.BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{path}: {len(m.counts)} tables, {sum(m.counts.values()):,} rows, "
               f"revision {m.revision}")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--force", is_flag=True,
              help="Replace a database that is not empty (asks you to type its name).")
def restore(file: str, force: bool) -> None:
    """Restore a snapshot into an empty database, check its row counts and migrate it
    to this code's schema. Stop the app and the reminder worker first."""
    from pathlib import Path

    from flask_migrate import upgrade

    from .extensions import db
    from .services import backup as snapshots

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if force:
        typed = click.prompt(f"This replaces everything in {name}. Type its name to go on",
                             default="", show_default=False)
        if typed != name:
            raise click.ClickException("not confirmed: nothing was changed")
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the old database open
    try:
        m = snapshots.restore(Path(file), url, force=force)
    except snapshots.BackupError as exc:
        raise click.ClickException(exc.message) from exc
    db.engine.dispose()
    upgrade()
    click.echo(f"restored {file}: {len(m.counts)} tables, {sum(m.counts.values()):,} rows "
               f"(taken {m.taken_at}, revision {m.revision}); migrated to head")


@click.command("doctor")
@with_appcontext
@click.option("--no-probe", is_flag=True,
              help="Do not request PUBLIC_URL to check how the app sees it.")
def doctor(no_probe: bool) -> None:
    """Check this deployment: a line per finding; exits 1 on any error."""
    import os
    from datetime import UTC, datetime
    from pathlib import Path

    from .services import doctor as checks

    setting = checks.Setting(
        config=current_app.config, instance_path=Path(current_app.instance_path),
        migrations=Path(current_app.extensions["migrate"].directory),
        now=datetime.now(UTC), env=os.environ,
        probe=None if no_probe else checks.probe_scheme)
    from .db import reading
    from .extensions import db

    with reading():  # the checks only read: no write lock on SQLite
        findings = checks.run(setting)
        db.session.rollback()
    for f in findings:
        click.echo(f.line())
    errors = sum(f.level == checks.ERROR for f in findings)
    warnings = sum(f.level == checks.WARN for f in findings)
    click.echo(f"{errors} errors, {warnings} warnings")
    if errors:
        raise SystemExit(1)
