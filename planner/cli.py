"""One `flask planner ...` command group."""

from __future__ import annotations

import click
from flask.cli import AppGroup

planner_cli = AppGroup("planner", help="planner commands (demo data, benchmarks).")


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
