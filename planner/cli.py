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
    from .services import page_bench
    from .services.bigco import ensure_big_company

    url = database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    click.echo(_machine(url))
    big = ensure_big_company(url, rebuild=rebuild)
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
