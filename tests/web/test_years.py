"""The next fiscal year (issue 18 §4) on the demo company, with the company's clock on
the last day of its year and then on the first working day of the next: the director
plans it from this year with growth (for the year, per quarter), the preview's company
value is last year's actual x the growth to the fen (checked against SQL over the
visits), the draft is seen by managers and the director only, reps' Today says truthfully
why there is nothing before it is published and shows the targets after; past years are
read-only; bad growth is refused next to its field; a company with no fiscal year gets a
page saying what is missing instead of a 404 and creates its first year."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from repday_helpers import client_for, user
from sqlalchemy import func, select
from years_helpers import (
    company_clock,
    demo_year,
    drop_year,
    first_working_day,
    history_rows_sql,
    parents_add_up,
    revenue_actual_sql,
    second_company,
)

from planner import engine
from planner.extensions import db
from planner.models import (
    AuditLog,
    FiscalYear,
    Metric,
    MonthlyActual,
    Reminder,
    Target,
    TargetCell,
    Tier,
    User,
)
from planner.refusal import Refused
from planner.services import years as ys
from planner.services.calendar import company_calendar

OLD_PROMISE = "Your manager decomposes the team target to reps"


def _value(html: str, code: str) -> int:
    m = re.search(rf'id="yp-{code}" data-value="(\d+)"', html)
    assert m, html[:3000]
    return int(m.group(1))


def _company_id(app: Flask) -> int:
    with app.app_context():
        return int(user("director").unit.company_id)


@pytest.fixture()
def next_year(app: Flask):
    """The demo year Y, with the year Y + 1 removed again after the test."""
    y = demo_year(app)
    cid = _company_id(app)
    drop_year(app, cid, y + 1)
    yield y
    drop_year(app, cid, y + 1)


def test_growth_is_parsed_exactly_and_applied_with_one_rounding() -> None:
    assert ys.parse_growth("15", "g") == 1500
    assert ys.parse_growth("+12.5%", "g") == 1250
    assert ys.parse_growth(" -2.25 ", "g") == -225
    for bad in ("abc", "-100", "-150", "1.234", "1e3", "", "15,5"):
        with pytest.raises(Refused) as exc:
            ys.parse_growth(bad, "g")
        assert exc.value.fields["g"]
    assert ys.grow(723_870_000, 1500) == 832_450_500
    assert ys.grow(1, 5000) == 2  # 1.5 fen -> 2: half up
    assert ys.grow(3, -5000) == 2  # 1.5 -> 2
    assert ys.growth_text(1250) == "+12.5%"


def test_the_director_plans_next_year_with_15_percent_exact_to_the_fen(
        app: Flask, next_year: int) -> None:
    y = next_year
    with company_clock(app, date(y, 12, 31)):
        c, token = client_for(app, "director")
        page = c.get("/targets/years/new")
        assert page.status_code == 200
        assert f"{y + 1}" in page.get_data(as_text=True)
        resp = c.post("/targets/years/preview", data={"csrf_token": token, "mode": "year",
                                                       "growth": "15", "method": "carry"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
        html = resp.get_data(as_text=True)
    with app.app_context():
        cid = _company_id(app)
        assert history_rows_sql(date(y, 1, 1), date(y, 12, 1)) == 0  # visits only
        actual = revenue_actual_sql(cid, date(y, 1, 1), date(y, 12, 31))
        assert actual > 0
        assert db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == cid, FiscalYear.year == y + 1)) is None  # not written
    expected = (actual * 115 + 50) // 100  # x 1.15, half up, to the fen
    assert _value(html, "revenue") == expected
    assert "Preview" in html or "预览" in html


def test_growth_per_quarter_grows_each_of_last_years_quarters(
        app: Flask, next_year: int) -> None:
    y = next_year
    growth = [10, 12, 13, 15]
    with company_clock(app, date(y, 12, 31)):
        c, token = client_for(app, "director")
        resp = c.post("/targets/years/preview", data={
            "csrf_token": token, "mode": "quarters",
            **{f"growth_q{i + 1}": str(g) for i, g in enumerate(growth)}})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        cid = _company_id(app)
        quarters = [revenue_actual_sql(cid, date(y, 3 * q + 1, 1), _quarter_end(y, q))
                    for q in range(4)]
    expected = sum((v * (100 + g) + 50) // 100 for v, g in zip(quarters, growth, strict=True))
    assert _value(resp.get_data(as_text=True), "revenue") == expected


def _quarter_end(y: int, q: int) -> date:
    return date(y, 12, 31) if q == 3 else date(y, 3 * q + 4, 1) - timedelta(days=1)


def test_bad_growth_and_values_are_refused_next_to_the_field_and_nothing_is_written(
        app: Flask, next_year: int) -> None:
    y = next_year
    with company_clock(app, date(y, 12, 31)):
        c, token = client_for(app, "director")
        for data, field in (({"growth": "abc"}, "growth"), ({"growth": "-100"}, "growth"),
                            ({"growth": "-150%"}, "growth"),
                            ({"mode": "quarters", "growth_q1": "10", "growth_q2": "x",
                              "growth_q3": "1", "growth_q4": "1"}, "growth_q2"),
                            ({"growth": "15", "value_revenue": "1e5"}, "value_revenue"),
                            ({"growth": "15", "dim1": "team", "dim2": "team"}, "dims")):
            for url in ("/targets/years/preview", "/targets/years/create"):
                resp = c.post(url, data={"csrf_token": token, **data})
                assert resp.status_code == 422, (data, url)
                html = resp.get_data(as_text=True)
                assert f'id="err-{field}"' in html, (data, html[:1500])
    with app.app_context():
        assert db.session.scalar(select(func.count(FiscalYear.id)).where(
            FiscalYear.year == y + 1, FiscalYear.company_id == _company_id(app))) == 0


def test_a_draft_is_for_managers_and_the_director_and_reps_see_it_once_published(
        app: Flask, next_year: int) -> None:
    y = next_year
    cid = _company_id(app)
    with company_clock(app, date(y, 12, 31)):
        c, token = client_for(app, "director")
        resp = c.post("/targets/years/create", data={"csrf_token": token, "growth": "15"})
        assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
        assert f"fy={y + 1}" in resp.headers["Location"]
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == cid, FiscalYear.year == y + 1))
        assert fy is not None and fy.status == "draft"
        assert parents_add_up(fy.id) == []
        n_reps = db.session.scalar(select(func.count(func.distinct(Target.user_id))).where(
            Target.fiscal_year_id == fy.id, Target.user_id.is_not(None)))
        assert n_reps == 24
        audit = db.session.scalar(select(AuditLog).where(
            AuditLog.entity == "fiscal_year", AuditLog.entity_id == fy.id,
            AuditLog.action == "create"))
        assert audit is not None and audit.new_value == "draft"
        fy_id = fy.id
        day = first_working_day(company_calendar(fy.company), date(y + 1, 1, 4))
    with company_clock(app, day):
        rep, _t = client_for(app, "rep01")
        today = rep.get("/today").get_data(as_text=True)
        assert OLD_PROMISE not in today
        assert f"{y + 1}" in today and ("not published" in today or "尚未发布" in today
                                        or "还没有发布" in today or "未发布" in today)
        api = rep.get("/api/v1/today").get_json()
        assert not api.get("metrics")
        assert rep.get(f"/targets?fy={y + 1}").status_code == 404
        track = rep.get(f"/tracking?fy={y + 1}").get_data(as_text=True)
        assert "draft" not in track and "草稿" not in track
        mgr, _t = client_for(app, "manager1")
        draft = mgr.get(f"/targets?fy={y + 1}")
        assert draft.status_code == 200 and 'id="year-status"' in draft.get_data(as_text=True)
        mt = mgr.get(f"/tracking?fy={y + 1}&period=year").get_data(as_text=True)
        assert f"{y + 1}" in mt
        with app.test_request_context():
            from planner.services.reminders import BUILDERS, MORNING_PLAN

            text = BUILDERS[MORNING_PLAN](user("rep01"), day, "en")
            assert text is not None and f"{y + 1}" in text.body and OLD_PROMISE not in text.body
        # reps never publish; the director does
        assert mgr.post(f"/targets/years/{y + 1}/publish",
                        data={"csrf_token": _t}).status_code == 404
        d, dtoken = client_for(app, "director")
        assert d.post(f"/targets/years/{y + 1}/publish",
                      data={"csrf_token": dtoken}).status_code == 303
        assert d.post(f"/targets/years/{y + 1}/publish",
                      data={"csrf_token": dtoken}).status_code == 422  # already
        rep, _t = client_for(app, "rep01")
        today = rep.get("/today").get_data(as_text=True)
        assert 'id="today-summary"' in today and "today-target" in today
        api = rep.get("/api/v1/today").get_json()
        revenue = next(m for m in api["metrics"] if m["code"] == "revenue")
        assert revenue["month_start"] == f"{y + 1}-01-01"
    with app.app_context():
        # the rep's January target is the sum of their leaf targets' January cells in
        # the year just published (straight from SQL)
        from sqlalchemy import text

        want = db.session.execute(text(
            "SELECT SUM(c.value) FROM target t JOIN target_cell c ON c.target_id = t.id "
            "JOIN metric m ON m.id = t.metric_id WHERE t.fiscal_year_id = :f "
            "AND t.user_id = :u AND m.code = 'revenue' AND c.kind = 'month' "
            "AND c.start = :s AND NOT EXISTS (SELECT 1 FROM target k WHERE k.parent_id = t.id)"),
            {"f": fy_id, "u": user("rep01").id, "s": date(y + 1, 1, 1)}).scalar_one()
        assert revenue["target"] == int(want) > 0
        assert db.session.get(FiscalYear, fy_id).status == "published"
        assert db.session.scalar(select(AuditLog.id).where(
            AuditLog.entity == "fiscal_year", AuditLog.entity_id == fy_id,
            AuditLog.action == "publish")) is not None


def test_past_years_are_read_only_and_keep_their_figures(app: Flask, next_year: int) -> None:
    y = next_year
    with company_clock(app, date(y + 1, 1, 4)):
        c, token = client_for(app, "director")
        page = c.get(f"/targets?fy={y}").get_data(as_text=True)
        assert 'class="tactions"' not in page  # no edit controls
        with app.app_context():
            root = db.session.scalar(select(Target).join(Metric).where(
                Metric.code == "revenue", Target.parent_id.is_(None),
                Target.tier == Tier.BASE, Target.fiscal_year_id.in_(
                    select(FiscalYear.id).where(FiscalYear.year == y,
                                                FiscalYear.company_id == _company_id(app)))))
            assert root is not None
            node = root.children[0]
            before = (node.id, node.value)
        for action in ("edit/preview", "edit/apply"):
            resp = c.post(f"/targets/node/{before[0]}/{action}",
                          data={"csrf_token": token, "value": "1"})
            assert resp.status_code == 422
            assert str(y) in resp.get_data(as_text=True)
        # nor through a targets sheet: the export re-imported with a value changed
        rows = list(csv.reader(io.StringIO(
            c.get("/tracking/targets.csv?lang=en").data.decode("utf-8-sig"))))
        sheet = [rows[0][:8], [*rows[1][:7], str(int(rows[1][7]) + 1)]]
        assert sheet[1][6] == str(y)
        buf = io.StringIO()
        csv.writer(buf).writerows(sheet)
        resp = c.post("/tracking/import/targets?lang=en", data={
            "csrf_token": token, "file": (io.BytesIO(buf.getvalue().encode()), "t.csv")},
            content_type="multipart/form-data")
        assert f"{y} is over" in resp.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(Target, before[0]).value == before[1]
            assert db.session.scalar(select(Target.value).where(
                Target.parent_id.is_(None), Target.id == root.id)) == root.value


def test_the_december_reminder_reaches_the_director_and_managers_every_working_monday(
        app: Flask, next_year: int) -> None:
    y = next_year
    with app.app_context():
        cid = _company_id(app)
        company = user("director").unit.company
        cal = company_calendar(company)
        monday = next(date(y, 12, d) for d in range(1, 32)
                      if date(y, 12, d).weekday() == 0 and cal.is_working_day(date(y, 12, d)))
        assert ys.next_year_reminders(company, datetime.combine(
            date(y, 11, 30), datetime.min.time(), ZoneInfo("Asia/Shanghai")), cal) == 0
        local = datetime(monday.year, monday.month, monday.day, 9, 0,
                         tzinfo=ZoneInfo("Asia/Shanghai"))
        made = ys.next_year_reminders(company, local, cal)
        db.session.commit()
        rows = db.session.scalars(select(Reminder).where(Reminder.kind == ys.NEXT_YEAR)).all()
        roles = {db.session.get(User, r.user_id).role.value for r in rows}
        assert made == len(rows) == 5 and roles == {"admin", "manager"}
        assert ys.next_year_reminders(company, local, cal) == 0  # one a week
        assert ys.next_year_reminders(company, local + timedelta(days=1), cal) == 0
        for r in rows:
            db.session.delete(r)
        db.session.commit()
        # once next year is published, no more reminders
        assert ys.reminder.due_year(ys.company_years(cid) + [FiscalYear(
            company_id=cid, year=y + 1, start=date(y + 1, 1, 1), end=date(y + 1, 12, 31),
            status="published")], monday, cal) is None
        db.session.rollback()


def test_a_company_with_no_fiscal_year_says_what_is_missing_and_creates_its_first(
        app: Flask) -> None:
    ids = second_company(app, "nofy")
    y = date.today().year
    for who in ("nofy-admin", "nofy-mgr", "nofy-rep"):
        c, _t = client_for(app, who)
        for path in ("/targets", "/team", "/tracking", "/today"):
            resp = c.get(path)
            if who == "nofy-rep" and path in ("/targets", "/team"):
                assert resp.status_code == 404  # not a rep's page at all
                continue
            assert resp.status_code == 200, (who, path, resp.status_code)
            html = resp.get_data(as_text=True)
            assert "nofy admin" in html or who == "nofy-admin", (who, path)
            assert OLD_PROMISE not in html
    c, token = client_for(app, "nofy-admin")
    assert c.get("/targets/years/new").status_code == 200
    resp = c.post("/targets/years/create", data={
        "csrf_token": token, "year": str(y), "mode": "quarters", "growth_q1": "10",
        "growth_q2": "12", "growth_q3": "13", "growth_q4": "15",
        "value_revenue": "10,000,000"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == ids["company"]))
        assert fy is not None and fy.year == y and fy.status == "draft"
        root = db.session.scalar(select(Target).where(Target.fiscal_year_id == fy.id))
        assert root is not None and root.value == 1_000_000_000
        qs = list(db.session.scalars(select(TargetCell.value).where(
            TargetCell.target_id == root.id, TargetCell.kind == "quarter")
            .order_by(TargetCell.start)))
        # no history: the quarters share the year in proportion to 1 + growth, exactly
        assert qs == engine.allocate(1_000_000_000, [11000, 11200, 11300, 11500])
        assert sum(qs) == 1_000_000_000
        months = list(db.session.scalars(select(TargetCell.value).where(
            TargetCell.target_id == root.id, TargetCell.kind == "month")
            .order_by(TargetCell.start)))
        assert [sum(months[q * 3:q * 3 + 3]) for q in range(4)] == qs
    # another company's director cannot publish it, this one can
    d, dtoken = client_for(app, "director")
    assert d.post(f"/targets/years/{y}/publish", data={"csrf_token": dtoken}).status_code == 422
    assert c.post(f"/targets/years/{y}/publish", data={"csrf_token": token}).status_code == 303


def test_the_tiers_carry_over_as_the_same_percentage(app: Flask, next_year: int) -> None:
    y = next_year
    with app.app_context():
        director = user("director")
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == director.unit.company_id, FiscalYear.year == y))
        revenue = db.session.scalar(select(Metric).where(
            Metric.company_id == director.unit.company_id, Metric.code == "revenue"))
        from planner.services import targets as dc

        roots = dc.tier_roots(fy, revenue)
        sprint = None  # another test may have set this year's sprint tier already
        if "sprint" not in roots:
            sprint = dc.create_tier(fy, revenue, Tier.SPRINT, Decimal("12.5"), director).id
            roots = dc.tier_roots(fy, revenue)
        pct = (Decimal(roots["sprint"]) * 100 / roots["base"] - 100).quantize(Decimal("0.01"))
        revenue_id = revenue.id
        db.session.commit()
    try:
        with company_clock(app, date(y, 12, 31)):
            c, token = client_for(app, "director")
            resp = c.post("/targets/years/preview?lang=en",
                          data={"csrf_token": token, "growth": "15"})
            html = resp.get_data(as_text=True)
            assert f"{format(pct.normalize(), 'f')}% over the base" in html
            base = _value(html, "revenue")
            assert c.post("/targets/years/create", data={
                "csrf_token": token, "growth": "15"}).status_code == 303
        with app.app_context():
            got = db.session.scalar(select(Target.value).join(FiscalYear).where(
                FiscalYear.year == y + 1, FiscalYear.company_id == _company_id(app),
                Target.metric_id == revenue_id, Target.tier == Tier.SPRINT,
                Target.parent_id.is_(None)))
            # base x (1 + the tier's percent) to the fen, rounded as the target services round
            # a tier (decompose.create_tier: half to even)
            assert got == int((Decimal(base) * (100 + pct) / 100).to_integral_value())
    finally:
        drop_year(app, _company_id(app), y + 1)
        if sprint is not None:
            with app.app_context():
                db.session.delete(db.session.get(Target, sprint))
                db.session.commit()


def test_values_typed_without_growth_plan_only_those_metrics(
        app: Flask, next_year: int) -> None:
    y = next_year
    with company_clock(app, date(y, 12, 31)):
        c, token = client_for(app, "director")
        resp = c.post("/targets/years/preview", data={
            "csrf_token": token, "growth": "", "value_revenue": "9,000,000.05"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
        html = resp.get_data(as_text=True)
    assert _value(html, "revenue") == 900_000_005
    assert 'id="yp-visits"' not in html  # not typed, no growth: not planned
    assert 'id="yp-share"' in html  # a level: kept as this year


def test_history_replaces_a_months_visits_in_last_years_actual(app: Flask) -> None:
    y = demo_year(app)
    with app.app_context():
        rep = user("rep03")
        metric = db.session.scalar(select(Metric).where(
            Metric.company_id == rep.unit.company_id, Metric.code == "revenue"))
        assert metric is not None
        from planner import engine
        from planner.services.years.history import last_year_actuals

        months = engine.months(engine.fiscal_year(y, 1))
        before = last_year_actuals(rep.unit.company_id, [metric], months)[metric.id]
        row = MonthlyActual(metric_id=metric.id, user_id=rep.id, month=date(y, 3, 1),
                            value=123_45, source="import")
        db.session.add(row)
        db.session.flush()
        after = last_year_actuals(rep.unit.company_id, [metric], months)[metric.id]
        assert after.months[rep.id][2] == 123_45
        assert after.months[rep.id][:2] == before.months[rep.id][:2]
        assert after.total() == before.total() - before.months[rep.id][2] + 123_45
        db.session.rollback()


YEAR_ROUTES = ("web.year_new", "web.year_preview", "web.year_create", "web.year_publish")


def test_access_matrix_of_the_year_routes(app: Flask, next_year: int) -> None:
    """Only the director (an admin) plans and publishes; reps and managers get 404; an
    administrator of another company never sees nor publishes this company's draft."""
    y = next_year
    assert {r.endpoint for r in app.url_map.iter_rules()} >= set(YEAR_ROUTES)
    routes = [("GET", "/targets/years/new"), ("POST", "/targets/years/preview"),
              ("POST", "/targets/years/create"), ("POST", f"/targets/years/{y + 1}/publish")]
    with company_clock(app, date(y, 12, 31)):
        for who in ("rep01", "manager1"):
            c, token = client_for(app, who)
            for method, path in routes:
                resp = c.open(path, method=method, data={"csrf_token": token, "growth": "15"}
                              if method == "POST" else None)
                assert resp.status_code == 404, (who, method, path)
        d, dtoken = client_for(app, "director")
        assert d.post("/targets/years/create", data={"csrf_token": dtoken,
                                                     "growth": "15"}).status_code == 303
        other = second_company(app, "matrix")
        o, otoken = client_for(app, "matrix-admin")
        assert o.post(f"/targets/years/{y + 1}/publish",
                      data={"csrf_token": otoken}).status_code == 422
        page = o.get(f"/targets?fy={y + 1}").get_data(as_text=True)
        assert "year-missing" in page and "year-publish" not in page  # its own: none
        for who in ("matrix-mgr", "matrix-rep"):
            oc, _t = client_for(app, who)
            body = oc.get(f"/tracking?fy={y + 1}").get_data(as_text=True)
            assert "year-missing" in body, who
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).where(
            FiscalYear.company_id == _company_id(app), FiscalYear.year == y + 1))
        assert fy is not None and fy.status == "draft"  # nobody else published it
        assert db.session.scalar(select(func.count(FiscalYear.id)).where(
            FiscalYear.company_id == other["company"])) == 0


def test_the_reminder_scheduler_runs_the_december_rule(app: Flask, next_year: int) -> None:
    y = next_year
    with app.app_context():
        company = user("director").unit.company
        cal = company_calendar(company)
        monday = next(date(y, 12, d) for d in range(1, 32)
                      if date(y, 12, d).weekday() == 0 and cal.is_working_day(date(y, 12, d)))
        ids = [user("director").id, user("manager1").id, user("rep01").id]
        from planner.services import reminders

        now = datetime(monday.year, monday.month, monday.day, 9, 0,
                       tzinfo=ZoneInfo("Asia/Shanghai"))
        created = reminders.generate(now, only=ids)
        assert created.get(ys.NEXT_YEAR) == 2  # the director and the manager, not the rep
        rows = db.session.scalars(select(Reminder).where(Reminder.kind == ys.NEXT_YEAR)).all()
        assert {r.user_id for r in rows} == set(ids[:2])
        assert all(str(y + 1) in r.payload["body"] for r in rows)
        assert reminders.generate(now, only=ids).get(ys.NEXT_YEAR) is None  # once a week
        for r in db.session.scalars(select(Reminder).where(Reminder.user_id.in_(ids),
                                                           Reminder.due_at >= now - timedelta(
                                                               hours=12))):
            db.session.delete(r)
        db.session.commit()
