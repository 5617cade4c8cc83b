"""planner.money: the one parser for typed amounts (no app, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from planner.money import MoneyError, parse_decimal, parse_fen


@pytest.fixture(autouse=True)
def _babel() -> object:
    # Messages go through Flask-Babel: a bare app context is enough.
    app = Flask(__name__)
    from flask_babel import Babel

    Babel(app)
    with app.test_request_context():
        yield


@given(st.integers(min_value=0, max_value=10**15))
def test_an_amount_written_as_people_write_it_reads_back_to_the_fen(fen: int) -> None:
    yuan, cents = divmod(fen, 100)
    for text in (f"{yuan}.{cents:02d}", f"{yuan:,}.{cents:02d}", f"¥{yuan:,}.{cents:02d}",
                 f"￥ {yuan}.{cents:02d}", f"{yuan:,}.{cents:02d}".replace(",", "，")):
        assert parse_fen(text) == fen, text


@pytest.mark.parametrize(("value", "code"), [
    ("1e5", "exponent"), ("1E5", "exponent"), ("1.5e3", "exponent"), (1e20, "exponent"),
    (float("nan"), "exponent"), (float("inf"), "exponent"),
    ("12,5", "decimal_comma"), ("1.234,56", "decimal_comma"),
    ("1,2345", "grouping"), ("12,34,567", "grouping"), (",123", "grouping"), ("1.2.3", "grouping"),
    ("12.345", "decimals"), (0.1 + 0.2, "decimals"), ("-5", "negative"),
    ("1" * 41, "too_long"), ("NaN", "not_a_number"), ("Infinity", "not_a_number"),
    ("٣", "not_a_number"), ("1 000", "not_a_number"), ("0x10", "not_a_number"),
    ("", "not_a_number"), ("¥", "not_a_number"), (True, "not_a_number"), ([1], "not_a_number"),
    ("1_000", "not_a_number"), ("+-1", "not_a_number"),
])
def test_what_is_not_a_plain_amount_is_refused_with_its_reason(value: object, code: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_decimal(value)
    assert err.value.code == code
    assert str(err.value)


def test_empty_is_zero_json_numbers_are_taken_and_limits_hold() -> None:
    assert parse_fen("") == parse_fen(None) == parse_fen("  ") == 0
    assert parse_fen(12) == 1200 and parse_fen(12.5) == 1250
    assert parse_fen("100", limit=10_000) == 10_000
    with pytest.raises(MoneyError) as err:
        parse_fen("100.01", limit=10_000)
    assert err.value.code == "too_large"
    assert parse_decimal("-12.5", signed=True) == Decimal("-12.5")
    assert parse_decimal("7", decimals=0) == 7
    with pytest.raises(MoneyError):
        parse_decimal("7.5", decimals=0)
