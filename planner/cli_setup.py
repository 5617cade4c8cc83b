"""`flask planner setup`: a company's first set-up from an empty database (a command of
the one `planner` group, registered in cli.py)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("setup")
@with_appcontext
@click.option("--name", prompt="Company name", help="The company's name (unique).")
@click.option("--timezone", prompt="Time zone", default="Asia/Shanghai", show_default=True)
@click.option("--country", prompt="Country (holiday calendar)", default="CN",
              show_default=True)
@click.option("--fiscal-first-month", prompt="Fiscal year's first month (1-12)", default=1,
              type=int, show_default=True)
@click.option("--currency", prompt="Currency", default="CNY", show_default=True)
@click.option("--admin-username", prompt="Administrator's username",
              help="How the first administrator logs in (unique across the database).")
@click.option("--admin-name", prompt="Administrator's name")
@click.option("--invite", is_flag=True,
              help="Print a one-time activation link instead of asking for a password.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where people open planner (the activation link starts with it).")
def setup(name: str, timezone: str, country: str, fiscal_first_month: int, currency: str,
          admin_username: str, admin_name: str, invite: bool, base_url: str) -> None:
    """Create a company and its first administrator. The password is read without echo,
    or (--invite) a one-time activation link is printed. Refused for a company name that
    exists already."""
    from .extensions import db
    from .refusal import Refused
    from .services.org import company, invitations

    password = None
    if not invite:
        password = click.prompt("Administrator's password", hide_input=True,
                                confirmation_prompt=True)
    form = {"name": name, "timezone": timezone, "country": country,
            "fiscal_first_month": str(fiscal_first_month), "currency": currency,
            "username": admin_username, "display_name": admin_name}
    try:
        done = company.set_up(form, password)
    except Refused as exc:
        db.session.rollback()
        for field, message in exc.fields.items():
            click.echo(f"{field}: {message}", err=True)
        raise click.ClickException("nothing was created.") from None
    db.session.commit()
    click.echo(f"Company created: {done.company.name} (id {done.company.id}).")
    click.echo(f"Administrator: {done.admin.username}.")
    if done.token is not None:
        click.echo("Activation link (works once, for "
                   f"{invitations.hours()} hours):")
        click.echo(f"  {base_url.rstrip('/')}/activate/{done.token}")
    click.echo("Log in and follow the set-up checklist.")
