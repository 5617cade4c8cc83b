"""bench-sync only reports a figure for a sync of the whole outbox: it prints how many items
were applied, duplicate and rejected, and stops if the first pass did not apply them all."""

from __future__ import annotations

from typing import Any

import click
import pytest
from conftest import DEMO_PASSWORD
from flask import Flask

from planner.devtools import sync_bench


def test_bench_sync_prints_the_counts_and_applies_every_item_on_the_first_pass(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    result = sync_bench.run(app, "rep15", DEMO_PASSWORD, n=30, batch=10)
    out = capsys.readouterr().out
    assert "first pass: applied 30, duplicate 0, conflict 0, rejected 0" in out
    assert "replay: applied 0, duplicate 30, conflict 0, rejected 0" in out
    assert result.applied == 30 and result.first_counts == {"applied": 30}


def test_bench_sync_refuses_a_figure_when_items_were_rejected(
    app: Flask, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = sync_bench.outbox

    def with_bad_items(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        items = real(*args, **kwargs)
        for it in items[::3]:  # rejected at once: they would make the figure look faster
            it["payload"]["amount_signed"] = "-1"
        return items

    monkeypatch.setattr(sync_bench, "outbox", with_bad_items)
    with pytest.raises(click.ClickException, match="applied 20 of 30"):
        sync_bench.run(app, "rep16", DEMO_PASSWORD, n=30, batch=10)
    assert "rejected 10" in capsys.readouterr().out
