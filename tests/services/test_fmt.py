"""The one formatter for numbers shown to people (planner/fmt.py):
money by locale in three styles, counts, percentages; the targets pages, the
decomposition's messages and the template filters all go through it."""

from __future__ import annotations

import pytest
from flask import Flask

from planner import fmt
from planner.services.targets import input as target_input
from planner.web import filters

ZH, EN = "zh_Hans_CN", "en"


@pytest.mark.parametrize(
    ("fen", "style", "zh", "en"),
    [
        (186097, "exact", "¥1,860.97", "¥1,860.97"),
        (1280000, "exact", "¥12,800", "¥12,800"),
        (186097, "whole", "¥1,861", "¥1,861"),
        (186049, "whole", "¥1,860", "¥1,860"),
        (1523360, "short", "¥15,234", "¥15,234"),
        (9999949, "short", "¥99,999", "¥99,999"),
        (60186120, "short", "¥60.2万", "¥601.9K"),
        (1234567800, "short", "¥1234.6万", "¥12.3M"),
        (100000000000, "short", "¥10亿", "¥1B"),
        (-186097, "whole", "-¥1,861", "-¥1,861"),
        (0, "short", "¥0", "¥0"),
    ],
)
def test_money_reads_as_people_read_it_in_both_languages(
    fen: int, style: str, zh: str, en: str
) -> None:
    assert fmt.money(fen, style, ZH) == zh
    assert fmt.money(fen, style, EN) == en


def test_english_money_says_yuan_with_the_plain_symbol_never_cn_yen() -> None:
    for style in fmt.STYLES:
        assert "CN" not in fmt.money(12345678, style, EN)


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError):
        fmt.money(100, "tiny", ZH)


def test_counts_and_percentages_by_locale() -> None:
    assert fmt.count(1234567, EN) == "1,234,567"
    assert fmt.value(8550, "percent", locale=ZH) == "85.5%"
    assert fmt.value(8500, "percent", locale=EN) == "85%"
    assert fmt.value(12, "count", locale=ZH) == "12"


def test_form_values_are_plain_decimals_for_the_parser() -> None:
    assert fmt.plain(1280050, "money") == "12800.50"
    assert fmt.plain(1280000, "money") == "12800"
    assert fmt.plain(-5, "money") == "-0.05"
    assert fmt.plain(7, "count") == "7"


def test_the_targets_pages_and_the_templates_use_the_same_formatter(app: Flask) -> None:
    class Metric:
        unit = "money"

    with app.test_request_context("/?lang=en"):
        # The |metric_value filter (targets pages), the decomposition's messages and the
        # |cny filter agree with planner.fmt in the request's language.
        assert filters.metric_value(186097, Metric()) == fmt.money(186097, "exact", EN)
        assert target_input.fmt(186097, Metric()) == fmt.money(186097, "exact", EN)  # type: ignore[arg-type]
        assert filters.input_value(186097, Metric()) == "1860.97"
        assert filters.cny(186097) == "¥1,860.97"
        assert filters.cny(60186120, "short") == "¥601.9K"
        html = str(filters.money_pattern())
        assert 'data-money-locale="en"' in html
        assert 'data-money-steps="1000,1000000,1000000000"' in html
