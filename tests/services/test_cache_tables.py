"""The caches' map (services/cache/tables.py) classifies every table, and every user
column, and each entry leads to a company or a user."""

from __future__ import annotations

from flask import Flask

from planner.extensions import db
from planner.services.cache.tables import TABLES, USER_COLUMNS, USERS, Kind, unclassified

_END = {Kind.COMPANY: "company", Kind.REP: USERS, Kind.PAGE_USER: USERS}


def test_every_table_of_the_metadata_is_in_the_cache_map(app: Flask) -> None:
    missing = unclassified(list(db.metadata.tables))
    assert not missing, (
        f"classify {', '.join(missing)} in planner/services/cache/tables.py: what does a "
        "write to it clear (Company, Rep, PageUser or Ignored, and by which column)?")
    assert not set(TABLES) - set(db.metadata.tables), "the map names tables that are gone"


def test_a_table_missing_from_the_map_is_named() -> None:
    assert unclassified(["visit", "quota_bonus", "market_size"]) == [
        "market_size", "quota_bonus"]


def test_every_column_of_a_user_row_is_classified(app: Flask) -> None:
    columns = set(db.metadata.tables[USERS].c.keys())
    assert columns - set(USER_COLUMNS) == set(), "classify the new user columns"
    assert set(USER_COLUMNS) - columns == set()
    assert USER_COLUMNS["password_hash"] is Kind.IGNORED
    assert USER_COLUMNS["session_token"] is Kind.IGNORED


def test_each_entry_leads_to_its_company_or_its_user(app: Flask) -> None:
    for name, rule in TABLES.items():
        if rule.kind is Kind.IGNORED:
            assert rule.why, name
            continue
        table, column, seen = name, rule.column, set()
        while not (table == _END[rule.kind] and column == "id"):
            assert (table, column) not in seen, f"{name}: a loop at {table}.{column}"
            seen.add((table, column))
            keys = list(db.metadata.tables[table].c[column].foreign_keys)
            assert len(keys) == 1, f"{name}: {table}.{column} references no one table"
            target = keys[0].column.table.name
            if target == _END[rule.kind]:
                break
            table, column = target, TABLES[target].column
