"""Untrusted values are parsed without ever raising."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from planner.parsing import MAX_ID, has_nul, parse_day, parse_id, parse_int


def test_ids_are_positive_bounded_integers_and_nothing_else() -> None:
    assert parse_id("42") == 42 and parse_id(42) == 42 and parse_id(" 7 ") == 7
    for bad in ("", "0", "-1", "1.5", "9" * 25, str(MAX_ID + 1), "²", "٣", True, 1.0, None,
                [], {"a": 1}, 0, -3):
        assert parse_id(bad) is None, bad


def test_days_outside_the_supported_years_are_refused() -> None:
    assert parse_day("2026-10-10") == date(2026, 10, 10)
    for bad in ("0001-01-01", "9999-12-31", "2026-02-30", "20261010", "", None, 5, "x" * 50):
        assert parse_day(bad) is None, bad


def test_ints_respect_their_bounds() -> None:
    assert parse_int("-5", -10, 10) == -5 and parse_int("11", -10, 10) is None
    assert parse_int(False, 0, 1) is None


def test_nul_bytes_are_noticed() -> None:
    assert has_nul("a\x00b") and not has_nul("ab") and not has_nul(3)


@given(st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none()))
def test_the_parsers_never_raise(value: object) -> None:
    parse_id(value)
    parse_int(value, -(2**63), 2**63 - 1)
    parse_day(value)
