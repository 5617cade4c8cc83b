"""What a write to each table clears: the one map of the page and plan caches.

Every table of `db.metadata` is classified (tests/services/test_cache_tables.py fails
for a table that is not):

- `Company(column)`: any change clears every cached plan and page of the row's company
  (the counter "*:<company id>");
- `Rep(column)`: the rep's plan and page ("u:<user id>");
- `PageUser(column)`: the page of one user ("p:<user id>");
- `Ignored(why)`: no cached page or plan shows it (or the page's key carries it by value).

`column` holds the company's id or the user's id, or it references a row of another
table whose own entry leads there (`target_cell.target_id` -> `target.fiscal_year_id`
-> `fiscal_year.company_id`). The user's own row is classified column by column
(`USER_COLUMNS`): a password rehash or a new session token clears nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    COMPANY = "company"
    REP = "rep"
    PAGE_USER = "page user"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    column: str = ""  # the column leading to the company or the user
    why: str = ""  # Ignored: why no cached page or plan depends on the table


def Company(column: str) -> Rule:  # noqa: N802 - reads as a declaration
    return Rule(Kind.COMPANY, column)


def Rep(column: str) -> Rule:  # noqa: N802
    return Rule(Kind.REP, column)


def PageUser(column: str) -> Rule:  # noqa: N802
    return Rule(Kind.PAGE_USER, column)


def Ignored(why: str) -> Rule:  # noqa: N802
    return Rule(Kind.IGNORED, why=why)


USERS = "user_account"

TABLES: dict[str, Rule] = {
    # What every rep's plan (and so every page) reads, or names shown on every page.
    "company": Company("id"),
    "fiscal_year": Company("company_id"),
    "metric": Company("company_id"),
    "calendar_override": Company("company_id"),
    "target": Company("fiscal_year_id"),
    "target_cell": Company("target_id"),
    "monthly_actual": Company("metric_id"),
    "org_unit": Company("company_id"),
    "stage": Company("company_id"),
    "product_line": Company("company_id"),
    "channel": Company("company_id"),
    "customer_type": Company("company_id"),
    # A user row: added or removed, the company's team sums; changed, see USER_COLUMNS.
    USERS: Company("unit_id"),
    # The rep's actuals: the plan and the page of that rep.
    "visit": Rep("user_id"),
    "customer": Rep("owner_id"),
    # Shown on the page of one user.
    "daily_plan": PageUser("user_id"),
    "daily_plan_item": PageUser("plan_id"),
    "action_plan": PageUser("user_id"),
    "weekly_review": PageUser("user_id"),
    "weekly_review_comment": PageUser("review_id"),
    "weekly_review_event": PageUser("review_id"),
    # Nothing cached shows these.
    "plan_stamp": Ignored("the counters themselves"),
    "plan_cache": Ignored("the cached plans"),
    "summary_cache": Ignored("the cached pages and sums"),
    "audit_log": Ignored("shown on no cached page"),
    "login_failure": Ignored("login throttling"),
    "invitation": Ignored("an activation link: shown on no cached page"),
    "ops_status": Ignored("the deployment's own status (doctor)"),
    "unit_membership": Company("unit_id"),  # who was in which unit when: tracking, Team
    "push_subscription": Ignored("devices; the bell's key is in the code version"),
    "reminder": Ignored("the bell counts them by value in the page's key"),
    "reminder_preference": Ignored("shown on no cached page"),
    "stage_move": Ignored("funnel history, shown on no cached page"),
    "visit_product": Ignored("written with its visit, which moves the rep's counter"),
}

# The user's own row, column by column: COMPANY moves the company's counter (the team's
# sums follow unit, role, active, manager; capability feeds the decomposition), PAGE_USER
# the user's own page (the top bar shows the name, the username; the locale and phone),
# IGNORED nothing.
USER_COLUMNS: dict[str, Kind] = {
    "unit_id": Kind.COMPANY, "role": Kind.COMPANY, "active": Kind.COMPANY,
    "manager_id": Kind.COMPANY, "capability": Kind.COMPANY,
    "display_name": Kind.PAGE_USER, "username": Kind.PAGE_USER,
    "locale": Kind.PAGE_USER, "phone": Kind.PAGE_USER,
    "id": Kind.IGNORED, "password_hash": Kind.IGNORED, "session_token": Kind.IGNORED,
    "created_at": Kind.IGNORED,
}


def rule(table: str) -> Rule | None:
    return TABLES.get(table)


def unclassified(tables: list[str]) -> list[str]:
    """The tables of `tables` missing from the map, sorted."""
    return sorted(t for t in tables if t not in TABLES)
