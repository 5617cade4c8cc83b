"""One `flask planner ...` command group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
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


def _factory() -> Callable[[dict[str, Any]], Flask]:
    """The factory that built this app (create_app hands itself over in app.extensions):
    the CLI imports no factory, so the package and its commands import nothing of each
    other's and the import graph has no cycle."""
    factory: Callable[[dict[str, Any]], Flask] = current_app.extensions["planner.create_app"]
    return factory


def _new_app(config: dict[str, Any]) -> Flask:
    """A second app, for a benchmark's own database."""
    return _factory()(config)


@planner_cli.command("demo")
def demo() -> None:
    """Load the demo company (deterministic and idempotent) and print its logins."""
    from .devtools.demo import DEMO_PASSWORD, load_demo

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

    from .devtools import bench
    from .extensions import db

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-")
    url = _scratch_database(database_url, tmp.name)
    app = _new_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
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
               f"(median of {result.recompute_runs}; CPU {result.recompute_cpu_ms:.1f} ms)")


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

    from .devtools import sync_bench
    from .devtools.demo import DEMO_PASSWORD, load_demo
    from .extensions import db

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-sync-")
    url = _scratch_database(database_url, tmp.name)
    app = _new_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
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
@click.option("--at", "at", default=None,
              help="Act as at this moment (ISO 8601 with an offset; default: now).")
def review_reminders(at: str | None) -> None:
    """Queue the weekly-review reminders due now: once last week's review is due (the
    company's rule, Monday 12:00 by default) and not submitted (to the rep, and one per
    manager naming who). Idempotent: run it from cron as often as you like."""
    from datetime import datetime

    from sqlalchemy import select

    from .extensions import db
    from .models import Company
    from .services.reviews import remind_overdue

    now = None
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            now = None
        if now is None or now.tzinfo is None:
            raise click.BadParameter("give a moment with its offset, like "
                                     "2026-12-14T12:05+08:00", param_hint="--at")
    queued = 0
    for company in db.session.scalars(select(Company)):
        queued += remind_overdue(company, now)
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

    from .devtools import tracking_bench
    from .extensions import db

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-tracking-")
    url = _scratch_database(database_url, tmp.name)
    app = _new_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False,
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


# ---------------------------------------------------------------- reminders
@planner_cli.command("vapid")
@click.option("--rotate", is_flag=True,
              help="Make a new key pair. Every device must subscribe again: the existing "
                   "subscriptions are deleted.")
def vapid(rotate: bool) -> None:
    """Show the VAPID public key (made once into the instance folder), or rotate it."""
    from flask import current_app
    from sqlalchemy import delete

    from .extensions import db
    from .models import PushSubscription
    from .services import reminders

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if rotate:
        if app.config.get("VAPID_PRIVATE_KEY"):
            raise click.ClickException("VAPID_PRIVATE_KEY is set in the environment: "
                                       "change it there instead.")
        key = reminders.rotate_key(app.instance_path)
        app.extensions["planner_vapid"] = key
        n = db.session.execute(delete(PushSubscription)).rowcount
        db.session.commit()
        click.echo(f"New VAPID key pair written; {n} subscriptions deleted (devices "
                   "subscribe again on their next visit).")
    key = reminders.app_key(app)
    source = ("VAPID_PRIVATE_KEY" if app.config.get("VAPID_PRIVATE_KEY")
              else f"{app.instance_path}/{reminders.KEY_FILE}")
    click.echo(f"public key: {reminders.public_key(key)}")
    click.echo(f"private key: {source}")
    click.echo(f"subject: {app.config['VAPID_SUBJECT']}")


reminders_cli = AppGroup("reminders", help="Create and push due reminders.")
planner_cli.add_command(reminders_cli)


def _echo_pass(created: dict[str, int], res: object) -> None:
    made = ", ".join(f"{k} {v}" for k, v in sorted(created.items())) or "none"
    click.echo(f"created: {made}")
    f = res.__dict__
    click.echo("dispatched: " + ", ".join(f"{k} {v}" for k, v in f.items()))


@reminders_cli.command("run")
def reminders_run() -> None:
    """One pass: create the reminders that are due, push every due one (for cron or a
    systemd timer; several may run at once)."""
    from .services import reminders

    created, res = reminders.run_pass(reminders.app_sender())
    _echo_pass(created, res)


@reminders_cli.command("worker")
@click.option("--idle", default=5.0, show_default=True,
              help="Seconds to sleep when nothing is due.")
@click.option("--stop-with-pid", type=int, default=None,
              help="Stop when this process ends (`make run` passes its own).")
@click.option("--dispatch-only", is_flag=True,
              help="Only send due reminders; another process creates them.")
def reminders_worker(idle: float, stop_with_pid: int | None, dispatch_only: bool) -> None:
    """Loop: create due reminders every minute, push due ones as they come. Stops on
    SIGTERM or Ctrl-C after the batch in hand. Run several on PostgreSQL."""
    import os
    import signal
    import threading

    from .services import reminders

    stop = threading.Event()

    def _stop(*_a: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if stop_with_pid:
        def _watch() -> None:
            while not stop.wait(2.0):
                try:
                    os.kill(stop_with_pid, 0)
                except ProcessLookupError:
                    stop.set()
                except PermissionError:
                    pass

        threading.Thread(target=_watch, daemon=True).start()
    click.echo(f"reminder worker {reminders.worker_name()} started")
    reminders.worker_loop(reminders.app_sender(), stop, idle_s=idle,
                          generate_every_s=None if dispatch_only else 60.0)
    click.echo("reminder worker stopped")


@planner_cli.command("bench-reminders")
@click.option("--database-url", default=None,
              help="Throwaway database (default: a temporary SQLite file). "
                   "Its schema is dropped and recreated.")
@click.option("--count", default=10_000, show_default=True, help="Due reminders to send.")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option("--batch", default=200, show_default=True, help="Rows claimed at a time.")
@click.option("--threads", default=8, show_default=True,
              help="Sends in flight per worker.")
def bench_reminders(database_url: str | None, count: int, workers: int, batch: int,
                    threads: int) -> None:
    """Dispatch due reminders through the fake push service with worker processes; time
    it and check every reminder arrived exactly once."""
    import tempfile

    from flask_migrate import upgrade

    from .devtools import push_bench
    from .extensions import db

    tmp = tempfile.TemporaryDirectory(prefix="planner-bench-push-")
    url = _scratch_database(database_url, tmp.name)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    with push_bench.instance_for_bench(tmp.name):
        app = _new_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
        with app.app_context():
            upgrade()
            result = push_bench.run(url, _factory(), n=count, workers=workers, limit=batch,
                                    threads=threads)
            db.session.remove()
            db.engine.dispose()
    tmp.cleanup()
    click.echo(_machine(url))
    click.echo(f"{result.reminders:,} due reminders, {result.workers} worker processes "
               f"(batches of {batch}, {threads} sends in flight each)")
    click.echo(f"sent in {result.seconds:.1f} s = {result.per_second:,.0f} reminders/s "
               f"(per worker: {', '.join(f'{n:,}' for n in result.per_worker)})")
    click.echo(f"push service: {result.delivered:,} received, {result.distinct:,} distinct, "
               f"{result.service_errors} refused; database: {result.sent_in_db:,} sent")
    ok = (result.delivered == result.distinct == result.sent_in_db == result.reminders
          and result.service_errors == 0)
    if not ok:
        raise click.ClickException("counts differ: a reminder was lost or sent twice")
    click.echo("check: every reminder sent exactly once")


@planner_cli.command("bench-pages")
@click.option("--database-url", default="sqlite:////tmp/planner-bigco.sqlite3",
              show_default=True,
              help="Where the 2,000-rep company lives: built once, reused afterwards. A "
                   "PostgreSQL database has its public schema dropped when (re)built.")
@click.option("--rebuild", is_flag=True, help="Build the company afresh.")
@click.option("--clients", default=50, show_default=True, help="Concurrent rep clients.")
@click.option("--requests", "per_client", default=20, show_default=True,
              help="Requests per client and page.")
@click.option("--workers", default=3, show_default=True, help="gunicorn workers.")
@click.option("--threads", default=4, show_default=True, help="Threads per worker.")
def bench_pages(database_url: str, rebuild: bool, clients: int, per_client: int,
                workers: int, threads: int) -> None:
    """Serve the 2,000-rep company with gunicorn and measure its pages from 50 clients."""
    from .devtools import page_bench
    from .devtools.bigco import ensure_big_company

    url = database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    click.echo(_machine(url))
    big = ensure_big_company(url, _new_app, rebuild=rebuild)
    if big.build_s:
        click.echo(f"built the company in {big.build_s:.0f} s")
    click.echo(f"company: {len(big.reps) + len(big.reps_without_plans):,} reps; "
               f"{big.visits:,} visits; {big.daily_plans:,} daily plans "
               f"({big.plan_items:,} items)")
    res = page_bench.run(url, big, clients=clients, per_client=per_client, workers=workers,
                         threads=threads, echo=click.echo)
    click.echo("")
    click.echo(f"{'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'bytes':>9}"
               f"   {'vs bare: p95':>12} {'req/s':>7}   (bare route)")
    for _group, fig, bare in res.rows:
        ok = "" if fig.statuses <= {200} else f"  statuses {sorted(fig.statuses)}"
        click.echo(f"{fig.name:<36} {fig.p50:8.1f} {fig.p95:8.1f} {fig.rps:8.0f} "
                   f"{fig.nbytes:9,}   {fig.p95 / bare.p95:11.2f}x "
                   f"{fig.rps / bare.rps:6.0%}   ({bare.name}){ok}")
    first, repeat = res.first_load
    click.echo("")
    click.echo(f"Today first load, all bytes compressed: {first:,} B; repeat load: "
               f"{repeat:,} B (the HTML only; static files are immutable)")
    click.echo(f"{res.clients} rep clients; gunicorn {res.workers} workers x "
               f"{res.threads} threads; managers' pages from one client")


from .cli_setup import setup  # noqa: E402 - the first set-up, a command of this group

planner_cli.add_command(setup)

from .cli_ops import backup, doctor, restore  # noqa: E402 - operating a deployment

for _command in (backup, restore, doctor):
    planner_cli.add_command(_command)
