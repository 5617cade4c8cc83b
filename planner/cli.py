"""One `flask planner ...` command group."""

from __future__ import annotations

import click
from flask.cli import AppGroup

planner_cli = AppGroup("planner", help="planner commands (demo data, benchmarks).")


def _machine(url: str) -> str:
    """The line every benchmark prints first: CPUs, CPU model, Python, database."""
    import os
    import platform

    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh
                        if ln.startswith("model name")), platform.processor())
    except OSError:
        cpu = platform.processor()
    return (f"machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}, "
            f"{url.split(':', 1)[0]}")


def _scratch_database(database_url: str | None, tmp_dir: str) -> str:
    """A throwaway database for a benchmark: a SQLite file in tmp_dir, or the given
    PostgreSQL database with its public schema dropped and recreated."""
    url = database_url or f"sqlite:///{tmp_dir}/bench.sqlite3"
    if url.startswith("postgres"):
        import psycopg

        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return url


@planner_cli.command("demo")
def demo() -> None:
    """Load the demo company (deterministic and idempotent) and print its logins."""
    from .services.demo import DEMO_PASSWORD, load_demo

    logins = load_demo()
    click.echo(f"Demo company loaded. Logins (password for all: {DEMO_PASSWORD}):")
    shown = 0
    for login in logins:
        if login.role == "rep" and shown >= 2:
            continue
        shown += login.role == "rep"
        click.echo(f"  {login.role:<8} {login.username:<10} {login.name} ({login.unit})")
    click.echo("  ... and rep01 to rep24, manager1 to manager4 (one per team).")


@planner_cli.command("bench-decompose")
@click.option("--database-url", default=None,
              help="Throwaway database to build in (default: a temporary SQLite file). "
                   "Its schema is dropped and recreated.")
@click.option("--runs", default=20, show_default=True, help="Runs of the one-rep recompute.")
def bench_decompose(database_url: str | None, runs: int) -> None:
    """Decompose 2,000 reps x 5 product lines x 7 metrics to months and time it."""
    import tempfile

    from flask_migrate import upgrade

    from . import create_app
    from .extensions import db
    from .services import bench

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-")
    url = _scratch_database(database_url, tmp.name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    with app.app_context():
        upgrade()
        result = bench.run(runs=runs)
        db.session.remove()
        db.engine.dispose()
    tmp.cleanup()
    click.echo(_machine(url))
    click.echo(f"targets: {result.targets:,}; reps' month cells: {result.month_cells:,}; "
               f"all cells (months + quarters): {result.cells:,}")
    click.echo(f"engine (decomposition, no database): {result.engine_s:.2f} s")
    click.echo(f"total with database writes:          {result.total_s:.2f} s "
               f"(writes {result.write_s:.2f} s)")
    click.echo(f"one rep's recompute after a visit:   {result.recompute_ms:.1f} ms "
               f"(median of {result.recompute_runs})")


@planner_cli.command("bench-sync")
@click.option("--database-url", default=None,
              help="Throwaway database (default: a temporary SQLite file). "
                   "Its schema is dropped and recreated.")
@click.option("--items", default=1000, show_default=True, help="Outbox visits to replay.")
@click.option("--batch", default=50, show_default=True, help="Items per POST /api/v1/sync.")
def bench_sync(database_url: str | None, items: int, batch: int) -> None:
    """Replay an offline outbox of visits through POST /api/v1/sync and time it."""
    import tempfile

    from flask_migrate import upgrade

    from . import create_app
    from .extensions import db
    from .services import sync_bench
    from .services.demo import DEMO_PASSWORD, load_demo

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-sync-")
    url = _scratch_database(database_url, tmp.name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
                      "SESSION_COOKIE_SECURE": False, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 8 * 1024})
    with app.app_context():
        upgrade()
        load_demo()
        db.session.remove()
    result = sync_bench.run(app, "rep01", DEMO_PASSWORD, n=items, batch=batch)
    with app.app_context():
        db.engine.dispose()
    tmp.cleanup()
    click.echo(_machine(url))
    click.echo(f"outbox: {result.items:,} visits in batches of {result.batch} "
               f"({result.applied:,} applied)")
    click.echo(f"first sync:  {result.first_s:.3f} s  = {result.per_1000_s:.3f} s per 1,000 "
               f"(slowest batch {result.slowest_batch_ms:.0f} ms)")
    click.echo(f"replay (all duplicates): {result.replay_s:.3f} s "
               f"= {result.replay_per_1000_s:.3f} s per 1,000")


@planner_cli.command("review-reminders")
def review_reminders() -> None:
    """Queue the weekly-review reminders due now: from Monday on, last week's review
    not submitted (to the rep, and one per manager naming who). Idempotent: run it from
    cron as often as you like (issue 11)."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Company
    from .services.reviews import remind_overdue

    queued = 0
    for company in db.session.scalars(select(Company)):
        queued += remind_overdue(company)
    db.session.commit()
    click.echo(f"weekly review reminders queued: {queued}")


@planner_cli.command("bench-tracking")
@click.option("--database-url", default=None,
              help="Throwaway database (default: a temporary SQLite file). "
                   "Its schema is dropped and recreated.")
@click.option("--runs", default=5, show_default=True, help="Timed runs per page.")
def bench_tracking(database_url: str | None, runs: int) -> None:
    """The tracking page and the company export on 2,000 reps with a year of visits."""
    import statistics
    import tempfile

    from flask_migrate import upgrade

    from . import create_app
    from .extensions import db
    from .services import tracking_bench

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-tracking-")
    url = _scratch_database(database_url, tmp.name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
                      "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        upgrade()
    result = tracking_bench.run(app, runs=runs)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    tmp.cleanup()
    click.echo(_machine(url))
    click.echo(f"company: 2,000 reps, {result.customers:,} customers, {result.visits:,} visits "
               f"(built in {result.build_s:.1f} s)")
    click.echo(f"load average before the timings: {result.load}")
    click.echo("server time per request (wall clock; CPU time of this process), median of "
               f"{runs}:")
    for name, times in result.timings_ms.items():
        cpu = result.cpu_ms[name]
        click.echo(f"  {name:<40} {statistics.median(times):7.1f} ms "
                   f"(CPU {statistics.median(cpu):6.1f} ms)  "
                   f"runs: {', '.join(f'{t:.0f}' for t in times)}")
