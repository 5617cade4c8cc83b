"""Today's numbers for a demo rep match a hand query of the database; the plan for
tomorrow becomes tomorrow's planned visits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import holidays
import pytest
from conftest import workday_today
from flask import Flask
from repday_helpers import a_customer_of, client_for, snapshot, user
from sqlalchemy import text

from planner.extensions import db
from planner.services.company import local_today
from planner.services.planned_visits import day_plan, next_working_day

TARGET_SQL = text("""
    SELECT COALESCE(SUM(tc.value), 0)
    FROM target t
    JOIN target_cell tc ON tc.target_id = t.id AND tc.kind = 'month' AND tc.start = :month
    JOIN metric m ON m.id = t.metric_id
    JOIN user_account u ON u.id = t.user_id
    JOIN fiscal_year fy ON fy.id = t.fiscal_year_id
    WHERE u.username = :rep AND m.code = :metric AND t.tier = 'BASE'
      AND fy.start <= :day AND fy."end" >= :day
      AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)
""")
ACHIEVED_SQL = {
    "revenue": "COALESCE(SUM(v.amount_signed), 0)",
    "visits": "COUNT(v.id)",
    "collections": "COALESCE(SUM(v.amount_collected), 0)",
}


def achieved_sql(expr: str) -> text:
    return text(f"""
        SELECT {expr} FROM visit v JOIN user_account u ON u.id = v.user_id
        WHERE u.username = :rep AND v.local_date >= :start AND v.local_date <= :day
    """)


def working_days_left(day: date, company_id: int) -> list[date]:
    """Working days from `day` to the end of its month, straight from the holidays
    package (China's make-up Saturdays included) and the company's override rows."""
    end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    cn = holidays.country_holidays("CN", years=[day.year])
    makeup = set(getattr(cn, "weekend_workdays", ()) or ())
    rows = db.session.execute(text(
        "SELECT day, kind FROM calendar_override WHERE company_id = :c AND day >= :a "
        "AND day <= :b"), {"c": company_id, "a": day, "b": end}).all()
    extra = {date.fromisoformat(str(d)[:10]): str(k).lower() for d, k in rows}
    out = []
    d = day
    while d <= end:
        working = (d.weekday() < 5 or d in makeup) and d not in cn
        if d in extra:
            working = extra[d].endswith("workday")
        if working:
            out.append(d)
        d += timedelta(days=1)
    return out


@pytest.fixture()
def today_is_a_working_day(app: Flask) -> Iterator[None]:
    """A run rate is 0 on a day off; make today a company workday so the check bites
    (working days as this module's own calendar counts them)."""
    with workday_today(app, lambda company, day: day in working_days_left(day, company.id),
                       "today test"):
        yield


def test_today_for_rep01_matches_a_hand_query_of_the_database(
    app: Flask, today_is_a_working_day: None
) -> None:
    c, _ = client_for(app, "rep01")
    api = c.get("/api/v1/today").get_json()
    page = c.get("/today?lang=en").get_data(as_text=True)
    day = date.fromisoformat(api["day"])
    month = day.replace(day=1)
    figures = {}
    with app.app_context():
        left = working_days_left(day, user("rep01").unit.company_id)
        for code in ("revenue", "visits", "collections"):
            target = db.session.execute(TARGET_SQL, {"rep": "rep01", "metric": code,
                                                     "month": month, "day": day}).scalar_one()
            achieved = db.session.execute(achieved_sql(ACHIEVED_SQL[code]), {
                "rep": "rep01", "start": month, "day": day}).scalar_one()
            today_only = db.session.execute(achieved_sql(ACHIEVED_SQL[code]), {
                "rep": "rep01", "start": day, "day": day}).scalar_one()
            figures[code] = (int(target), int(achieved), int(today_only))
    print("rep01", day, figures)  # noqa: T201 (the report quotes these)
    for code, (target, achieved, today_only) in figures.items():
        m = next(x for x in api["metrics"] if x["code"] == code)
        assert target > 0, f"rep01 has no {code} target for {month}"
        assert (m["target"], m["achieved"], m["achieved_today"]) == (target, achieved, today_only)
        # The page shows the same figures (raw values in data-value).
        block = re.search(rf'id="m-{code}".*?</article>', page, re.S)
        assert block, code
        b = block.group(0)
        assert f'class="month-target" data-value="{target}"' in b
        assert f'class="month-achieved" data-value="{achieved}"' in b
        assert f'class="achieved-today" data-value="{today_only}"' in b
        assert re.search(r'class="remaining-today( met)?" data-value="'
                         + str(m["remaining_today"]) + '"', b)
        # Today's share, by plain arithmetic: what was still open when today started,
        # spread over the working days left (today first, so it gets the larger share).
        assert left and left[0] == day
        open_at_start = max(0, target - (achieved - today_only))
        today_target = -(-open_at_start // len(left))  # ceiling
        if len(left) == 1:
            remaining_today = max(0, target - achieved)
        else:
            remaining_today = max(0, today_target - today_only)
        assert m["working_days_left"] == len(left), code
        assert (m["today_target"], m["remaining_today"]) == (today_target, remaining_today), (
            code, target, achieved, today_only, len(left))


def test_today_money_is_shown_in_yuan_and_counts_as_integers(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    page = c.get("/today?lang=zh_Hans_CN").get_data(as_text=True)
    assert re.search(r"¥[\d,]+", page)
    assert "今日计划" in page
    en = c.get("/today?lang=en").get_data(as_text=True)
    # English shows the symbol people read, not Babel's "CN¥".
    assert re.search(r"¥[\d,]+", en) and "CN¥" not in en


def test_today_is_a_page_or_a_fragment_and_says_so_in_vary(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    full = c.get("/today")
    frag = c.get("/today", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in frag.get_data(as_text=True)
    assert 'id="today-metrics"' in frag.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in frag.headers["Vary"]
    boosted = c.get("/today", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_the_plan_for_tomorrow_becomes_tomorrows_planned_visits(app: Flask) -> None:
    c, token = client_for(app, "rep03")
    with app.app_context():
        a, b = a_customer_of("rep03", 0), a_customer_of("rep03", 1)
        company = user("rep03").company
        tomorrow = next_working_day(company, local_today(company))
    resp = c.post("/today/tomorrow", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "notes": "先去浦江，再电话跟进",
        "customer_ids": [str(a.id), str(b.id)]})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert a.name in body and b.name in body and 'id="tomorrow"' in body
    with app.app_context():
        plan = day_plan(user("rep03").id, tomorrow)
        assert plan is not None and plan.notes == "先去浦江，再电话跟进"
        assert sorted(i.customer_id for i in plan.items) == sorted([a.id, b.id])
    api = c.get("/api/v1/today").get_json()
    assert api["tomorrow"]["day"] == tomorrow.isoformat()
    assert {p["customer_id"] for p in api["tomorrow"]["planned"]} == {a.id, b.id}
    # Saving again replaces the list (no duplicates).
    c.post("/today/tomorrow", data={"csrf_token": token, "notes": "改计划",
                                    "customer_ids": [str(b.id)]})
    with app.app_context():
        plan = day_plan(user("rep03").id, tomorrow)
        assert plan is not None and [i.customer_id for i in plan.items] == [b.id]


def test_a_bad_plan_for_tomorrow_is_refused_and_keeps_the_text(app: Flask) -> None:
    c, token = client_for(app, "rep04")
    before = snapshot(app)
    for data, msg in [
        ({"notes": "", "customer_ids": []}, "Write a line or choose at least one customer"),
        ({"notes": "x" * 2001}, "At most 2000 characters."),
        ({"notes": "看客户", "customer_ids": ["999999"]}, "Unknown customer"),
    ]:
        resp = c.post("/today/tomorrow?lang=en", data={**data, "csrf_token": token},
                      headers={"HX-Request": "true"})
        assert resp.status_code == 422
        body = resp.get_data(as_text=True)
        assert msg in body
        if data["notes"]:
            assert str(data["notes"])[:50] in body
    assert snapshot(app) == before
