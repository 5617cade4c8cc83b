"""Every import kind refuses each of ten hostile files (tests/hostile_files.py) with a
message that says what is wrong, within 2 s of CPU and 50 MB of memory growth, and
changes nothing. These bounds are refusal guarantees (a refusal must be cheap), set well
above what is measured (README "Imports"), so the test does not flake on a busy machine.

Run with -s to see the figures per file."""

from __future__ import annotations

import gc
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from flask import Flask
from hostile_files import HOSTILE
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import Customer, User
from planner.services import tracking as im
from planner.services.sheets import SheetError
from planner.web.tracking.io import IMPORT_KINDS

CPU_LIMIT = 2.0  # seconds of process time
MEMORY_LIMIT = 50 * 1024 * 1024  # bytes: the Python heap's peak growth, and RSS growth

# What each refusal must say (English), beyond being a sentence.
SAYS = {
    "oversized field": r"too long \(at most 10000 characters\)",
    "unterminated quote": r"quote .* not closed",
    "untyped cell": r"Cell A2 is damaged",
    "formula cell": r"Cell A2 has a formula",
    "huge dimension": r"too many rows",
    "shared-strings bomb": r"too large once unzipped",
    "XXE": r"DTD",
    "billion laughs": r"DTD",
    "PNG named .xlsx": r"not an Excel",
    "UTF-16 CSV": r"UTF-16",
}
ROOT = Path(__file__).resolve().parents[2]


def _rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def test_every_module_that_reads_a_sheet_is_an_import_kind_tested_here() -> None:
    """A new reader of uploaded sheets (a people import...) must join this test: the
    readers are found in the code, not listed from memory."""
    readers = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "planner").rglob("*.py")
                     if re.search(r"\bread_rows\(", p.read_text())
                     and p.name != "sheets.py")
    assert readers == ["planner/services/org/people_import.py",
                       "planner/services/tracking/imports/sheet.py"], (
        f"{readers}: add the new import kinds to this test")
    assert set(IMPORT_KINDS) == {"targets", "customers", "history"}


KINDS = (*IMPORT_KINDS, "people")  # the tracking imports and the people import (admin)


def _run(kind: str, data: bytes, filename: str, viewer: User) -> None:
    if kind == "people":
        from planner.services.org import people_import

        people_import.run_import(viewer, data, filename, dry_run=True)
    else:
        im.run_import(kind, data, filename, viewer)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_quickly_with_a_message(app: Flask, kind: str,
                                                          name: str) -> None:
    filename, make = HOSTILE[name]
    data = make()
    with app.test_request_context("/?lang=en"):
        viewer = db.session.scalar(select(User).where(User.username == "director"))
        assert viewer is not None
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        gc.collect()
        rss, cpu = _rss(), time.process_time()
        with pytest.raises(SheetError) as refused:
            _run(kind, data, filename, viewer)
        cpu = time.process_time() - cpu
        rss = _rss() - rss
        tracemalloc.start()
        with pytest.raises(SheetError):
            _run(kind, data, filename, viewer)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        message = refused.value.message
        print(f"\n{kind:9} {name:20} {len(data):>8} B  cpu {cpu * 1000:7.1f} ms  "
              f"heap peak {peak / 1e6:6.2f} MB  rss +{rss / 1e6:5.1f} MB  {message}")
        assert re.search(SAYS[name], message), message
        assert cpu < CPU_LIMIT
        assert peak < MEMORY_LIMIT and rss < MEMORY_LIMIT
        assert db.session.scalar(select(func.count()).select_from(Customer)) == customers
        db.session.rollback()


def test_the_import_page_answers_a_hostile_file_with_its_message(app: Flask) -> None:
    from conftest import csrf_token, login

    c = app.test_client()
    c.get("/login?lang=en")
    assert login(c, "director").status_code == 302
    token = csrf_token(c, "/tracking/import")
    for kind in IMPORT_KINDS:
        for name in ("formula cell", "unterminated quote"):
            filename, make = HOSTILE[name]
            import io

            resp = c.post(f"/tracking/import/{kind}", data={
                "csrf_token": token, "file": (io.BytesIO(make()), filename)},
                content_type="multipart/form-data")
            assert resp.status_code == 422, (kind, name, resp.status_code)
            page = resp.get_data(as_text=True)
            assert re.search(SAYS[name].replace(" .* ", ".*"), page), (kind, name)
