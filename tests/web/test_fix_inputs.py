"""Bad input from a URL, a form or a JSON body gets a clear answer and changes nothing:
huge or non-ASCII ids, dates outside 1990-2100, numbers that would overflow, deeply
nested JSON; and lists that are cut say so."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from repday_helpers import a_customer_of, client_for, snapshot, user
from sqlalchemy import func, select, update

from planner import access
from planner.engine import AllocationError
from planner.extensions import db
from planner.models import (
    AuditLog,
    CalendarOverride,
    Company,
    Customer,
    FiscalYear,
    Metric,
    Target,
    Tier,
    User,
    Visit,
)
from planner.parsing import MAX_ID
from planner.services import calendar_admin as ca
from planner.services import targets as dc

HX = {"HX-Request": "true"}
BAD_IDS = ["9" * 25, str(MAX_ID + 1), "²", "٣", "0"]


def _admin(app: Flask, lang: str = "en") -> tuple[FlaskClient, str]:
    c = app.test_client()
    assert login(c, "director").status_code == 302
    return c, csrf_token(c, f"/calendar?lang={lang}")


# ---------------------------------------------------------------- 1. ids


def test_huge_or_non_ascii_ids_answer_404_on_every_route_that_takes_one(app: Flask) -> None:
    admin, token = _admin(app)
    for bad in BAD_IDS:
        for path in (f"/customers/{bad}", f"/api/v1/customers/{bad}",
                     f"/customers?user={bad}", f"/customers/board?user={bad}",
                     f"/plans/week?user={bad}", f"/plans/month?user={bad}",
                     f"/plans/action?user={bad}", f"/api/v1/today?user={bad}",
                     f"/api/v1/visits?customer_id={bad}", f"/visits/{bad}",
                     f"/api/v1/visits/{bad}", f"/targets/node/{bad}/children",
                     f"/targets/node/{bad}/time"):
            resp = admin.get(path)
            assert resp.status_code == 404, (path, resp.status_code)
        for path in (f"/customers/{bad}/stage", f"/calendar/{bad}/delete",
                     f"/targets/node/{bad}/edit/preview"):
            resp = admin.post(path, data={"csrf_token": token, "stage": "won"})
            assert resp.status_code == 404, (path, resp.status_code)


def test_a_non_ascii_digit_in_a_url_is_no_id_even_for_a_record_the_viewer_may_see(
    app: Flask
) -> None:
    with app.app_context():
        cid = db.session.scalar(select(func.min(Customer.id)))
    assert cid is not None and cid < 10
    arabic = "٠١٢٣٤٥٦٧٨٩"[cid]
    admin, _ = _admin(app)
    assert admin.get(f"/customers/{cid}").status_code == 200
    assert admin.get(f"/customers/{arabic}").status_code == 404
    assert admin.get(f"/api/v1/customers/{arabic}").status_code == 404


def test_get_or_404_refuses_what_parse_id_refuses_and_still_finds_visits_by_uuid(
    app: Flask, app_ctx: None
) -> None:
    from werkzeug.exceptions import NotFound

    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    for bad in [*BAD_IDS, -1, 2**70, True, None, 1.0, "a" * 100]:
        with pytest.raises(NotFound):
            access.get_or_404(director, Customer, bad)
    cust = db.session.scalars(select(Customer)).first()
    assert cust is not None
    assert access.get_or_404(director, Customer, str(cust.id)) is cust
    visit = db.session.scalars(select(Visit)).first()
    assert visit is not None
    assert access.get_or_404(director, Visit, visit.id) is visit
    for bad in ("x" * 65, "a\x00b", 5):
        with pytest.raises(NotFound):
            access.get_or_404(director, Visit, bad)


@pytest.mark.parametrize("stage", ["9" * 25, "²", str(MAX_ID + 1)])
def test_moving_a_customer_to_a_huge_or_odd_stage_is_a_clear_422_and_moves_nothing(
    app: Flask, stage: str
) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        cid = a_customer_of("rep01").id
    before = snapshot(app)
    resp = c.post(f"/customers/{cid}/stage?lang=en", data={"csrf_token": token,
                                                           "stage": stage}, headers=HX)
    assert resp.status_code == 422
    assert "That stage does not exist." in resp.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("stage_id", ["9" * 25, "²", "٣"])
def test_the_stage_admin_answers_404_for_a_huge_or_odd_stage_id(
    app: Flask, stage_id: str
) -> None:
    admin, token = _admin(app)
    before = snapshot(app)
    resp = admin.post("/stages", data={"csrf_token": token, "action": "rename",
                                       "stage_id": stage_id, "name": "x"})
    assert resp.status_code == 404
    assert snapshot(app) == before


def test_tomorrows_plan_refuses_huge_or_non_ascii_customer_ids(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    with app.app_context():
        own = a_customer_of("rep01").id
    # The rep's own customer's id in Arabic-Indic digits is not their customer's id.
    arabic = "".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in str(own))
    before = snapshot(app)
    for ids in (["9" * 25], [arabic], ["²"], [str(own), "9" * 25]):
        resp = c.post("/today/tomorrow?lang=en", data={"csrf_token": token, "notes": "x",
                                                       "customer_ids": ids}, headers=HX)
        assert resp.status_code == 422, ids
        assert "Unknown customer" in resp.get_data(as_text=True)
    assert snapshot(app) == before


def test_the_api_limit_with_a_non_ascii_digit_or_a_huge_number_is_the_default(
    app: Flask
) -> None:
    c, _ = client_for(app, "rep01")
    for raw in ("²", "9" * 25, "٣"):
        resp = c.get(f"/api/v1/visits?limit={raw}")
        assert resp.status_code == 200, raw
        resp = c.get(f"/api/v1/customers?limit={raw}")
        assert resp.status_code == 200, raw
    assert len(c.get("/api/v1/customers?limit=3").get_json()["customers"]) == 3


def test_api_visit_dates_outside_1990_to_2100_are_a_clear_422(app: Flask) -> None:
    c, _ = client_for(app, "rep01")
    for raw in ("0001-01-01", "9999-12-31"):
        resp = c.get(f"/api/v1/visits?since={raw}")
        assert resp.status_code == 422
        error = resp.get_json()["error"]
        assert error["code"] == 422 and "1990" in error["fields"]["since"]
        assert error["message"] == error["fields"]["since"]  # its one field's message


# ---------------------------------------------------------------- 2. plan dates


@pytest.mark.parametrize("path", [
    "/plans/week?start=0001-01-01", "/plans/week?start=9999-12-31",
    "/plans/month?start=9999-12-31", "/plans/month?start=0001-01-01",
    "/plans/action?period=quarter&start=9999-12-31", "/plans/action?start=9999-12-31",
    "/plans/week?start=2026-02-30",
])
def test_plan_pages_show_today_and_say_why_for_a_date_outside_1990_to_2100(
    app: Flask, path: str
) -> None:
    c, _ = client_for(app, "rep01")
    resp = c.get(path + "&lang=en")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:300]
    assert "is not a date between 1990 and 2100: showing today instead." in body


@pytest.mark.parametrize("path", [
    "/plans/week?start=1990-01-01", "/plans/week?start=2100-12-31",
    "/plans/month?start=1990-01-01", "/plans/month?start=2100-12-31",
    "/plans/action?period=quarter&start=2100-12-31",
    "/plans/action?period=month&start=1990-01-01",
])
def test_plan_pages_work_on_the_first_and_last_supported_days(app: Flask, path: str) -> None:
    c, _ = client_for(app, "rep01")
    resp = c.get(path + "&lang=en")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:300]
    assert "showing today instead" not in body


def test_an_action_plan_posted_for_an_unsupported_date_is_not_saved_under_today(
    app: Flask
) -> None:
    c, token = client_for(app, "rep01")
    before = snapshot(app)
    resp = c.post("/plans/action?period=month&start=9999-12-31",
                  data={"csrf_token": token, "key_actions": "lost?"})
    assert resp.status_code == 404
    assert snapshot(app) == before


# ---------------------------------------------------------------- 3. calendar


def _overrides(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(CalendarOverride.id))) or 0,
                db.session.scalar(select(func.count(AuditLog.id))) or 0)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1989-12-31", "2101-01-01"])
def test_a_company_day_outside_1990_to_2100_is_refused_and_nothing_is_saved(
    app: Flask, day: str
) -> None:
    admin, token = _admin(app)
    before = _overrides(app)
    resp = admin.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": day, "kind": "holiday", "note": "far away"})
    assert resp.status_code == 422
    assert "Enter a date between 1990 and 2100" in resp.get_data(as_text=True)
    assert _overrides(app) == before


def test_a_company_day_on_the_last_supported_day_is_saved_and_shown(app: Flask) -> None:
    admin, token = _admin(app)
    resp = admin.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": "2100-12-31", "kind": "holiday", "note": "the end"})
    assert resp.status_code == 200
    assert "2100-12-31" in resp.get_data(as_text=True)
    with app.app_context():
        o = db.session.scalar(select(CalendarOverride).where(CalendarOverride.note == "the end"))
        assert o is not None
        oid = o.id
    resp = admin.post(f"/calendar/{oid}/delete?year=2100", headers=HX,
                      data={"csrf_token": token})
    assert resp.status_code == 200 and "the end" not in resp.get_data(as_text=True)


def test_a_calendar_note_longer_than_200_characters_is_refused_not_cut(app: Flask) -> None:
    admin, token = _admin(app)
    before = _overrides(app)
    resp = admin.post("/calendar?year=2026", headers=HX, data={
        "csrf_token": token, "day": "2026-07-07", "kind": "holiday", "note": "n" * 201})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "at most 200 characters (this one has 201)" in body
    assert "n" * 201 in body  # what the admin typed is still in the form
    assert _overrides(app) == before


def test_adding_a_company_day_leaves_the_commit_to_the_caller(app: Flask, app_ctx: None) -> None:
    company = db.session.scalars(select(Company)).first()
    assert company is not None
    before = db.session.scalar(select(func.count(CalendarOverride.id)))
    o = ca.add_override(company, "2026-08-08", "holiday", "rolled back", None)
    assert o.id is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count(CalendarOverride.id))) == before


# ---------------------------------------------------------------- 4. targets


def test_a_tier_percentage_of_1e30_is_a_clear_422_and_writes_nothing(app: Flask) -> None:
    admin, token = _admin(app)
    with app.app_context():
        before = db.session.scalar(select(func.count(Target.id)))
    for pct in ("1e30", "10001", "-101", "1e-999999999"):
        resp = admin.post("/targets/tier?metric=collections&tier=challenge&lang=en",
                          headers=HX, data={"csrf_token": token, "percent": pct})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422, (pct, body[:200])
        assert "Percent:" in body and 'role="alert"' in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Target.id))) == before


def test_typed_values_are_capped_with_a_clear_message(app: Flask) -> None:
    with app.test_request_context("/?lang=en"):
        money = Metric(code="m", name="m", unit="money", additive=True)
        count = Metric(code="c", name="c", unit="count", additive=True)
        assert dc.parse_amount("10000000000000", money) == dc.MAX_VALUE
        assert dc.parse_amount(str(dc.MAX_VALUE), count) == dc.MAX_VALUE
        # Huge numbers written plainly (an exponent is refused before: planner.money).
        for text, metric in (("1" + "0" * 30, money), ("10000000000000.01", money),
                             (str(dc.MAX_VALUE + 1), count), ("9" * 39, count)):
            with pytest.raises(dc.DecomposeError, match="too large"):
                dc.parse_amount(text, metric)
        with pytest.raises(dc.DecomposeError, match="out of range"):
            dc.parse_numbers("10, 1" + "0" * 30, "Growth", dc.MIN_GROWTH, dc.MAX_GROWTH)
        with pytest.raises(dc.DecomposeError, match="too many decimals"):
            dc.parse_numbers("0." + "0" * 30 + "1", "Weights", 0, dc.MAX_WEIGHT)
        with pytest.raises(dc.DecomposeError, match="too large"):
            dc.parse_numbers("1" + "0" * 30, "Values")
        assert dc.parse_numbers("1.5, -100, 10000", "Growth", -100, 10000) == [
            Decimal("1.5"), Decimal(-100), Decimal(10000)]


def _sprint_root(app: Flask, code: str) -> int:
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
        metric = db.session.scalar(select(Metric).where(Metric.code == code))
        assert fy is not None and metric is not None
        if not dc.load_tree(fy, metric, Tier.SPRINT).roots:
            dc.create_tier(fy, metric, Tier.SPRINT, Decimal(10), None)
            dc.decompose_year(fy, metric, ["region", "team", "rep"], "capability", Tier.SPRINT)
            db.session.commit()
        # Another test module may have locked targets of this tree (run before this one,
        # a lock below refuses a re-split before its numbers are read): none are locked here.
        db.session.execute(update(Target).where(
            Target.metric_id == metric.id, Target.tier == Tier.SPRINT).values(locked=False))
        db.session.commit()
        root = dc.load_tree(fy, metric, Tier.SPRINT).roots[0]
        assert root.id is not None
        return root.id


@pytest.mark.parametrize(("action", "data", "message"), [
    ("decompose", {"dim1": "region", "method": "growth", "numbers": "1" + "0" * 30 + ", 5"},
     "out of range"),
    ("decompose", {"dim1": "region", "method": "weights", "numbers": "0, 0"},
     "The weights are all zero"),
    ("decompose", {"dim1": "region", "method": "weights", "numbers": "1" + "0" * 30 + ", 1"},
     "out of range"),
    ("time", {"time_method": "growth", "numbers": "1" + "0" * 30 + ", 1, 1, 1"}, "out of range"),
    ("time", {"time_method": "profile", "numbers": "-100, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0"},
     "out of range"),
    ("edit", {"value": "1" + "0" * 30}, "too large"),
])
def test_huge_growth_weights_and_values_preview_and_apply_as_a_clear_422(
    app: Flask, action: str, data: dict[str, str], message: str
) -> None:
    root = _sprint_root(app, "visits")
    with app.app_context():
        node = root if action != "edit" else next(
            n.id for n in dc.load_tree(
                db.session.get(FiscalYear, db.session.get(Target, root).fiscal_year_id),
                db.session.get(Metric, db.session.get(Target, root).metric_id),
                Tier.SPRINT).nodes.values() if n.parent is not None and n.id is not None)
        before = db.session.scalar(select(func.sum(Target.value)))
    admin, token = _admin(app)
    for step in ("preview", "apply"):
        resp = admin.post(f"/targets/node/{node}/{action}/{step}?lang=en", headers=HX,
                          data={"csrf_token": token, **data})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422, (step, body[:300])
        assert message in body
    with app.app_context():
        assert db.session.scalar(select(func.sum(Target.value))) == before


def test_engine_errors_are_translated_and_carry_no_internal_detail(app: Flask) -> None:
    root = _sprint_root(app, "visits")
    admin, token = _admin(app, "zh_Hans_CN")
    resp = admin.post(f"/targets/node/{root}/time/preview", headers=HX, data={
        "csrf_token": token, "time_method": "profile",
        "numbers": "10,10,10,10,10,10,10,10,10,10,10,11"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "季节分布合计为 121%，不是 100%" in body
    assert "the profile adds up" not in body
    with app.test_request_context("/?lang=zh_Hans_CN"):
        for cause, words in (("negative_weight", "权重不能为负"),
                             ("locks_exceed", "锁定的目标合计超过"),
                             ("count", "数量"), ("internal", "无法拆分")):
            text = dc.explain(AllocationError("weight 0 is negative: Fraction(-100, 1)", cause))
            assert words in text and "Fraction" not in text and "weight 0" not in text
        err = dc._fail(AllocationError("locked parts add up to 9, more than the total 5",
                                       "locks_exceed"), "华东区")
        assert "locked parts" not in str(err) and "华东区" in str(err)


def test_a_profile_with_a_negative_month_is_explained_by_the_service_without_detail(
    app: Flask
) -> None:
    root = _sprint_root(app, "visits")
    with app.test_request_context("/?lang=en"):
        target = db.session.get(Target, root)
        assert target is not None
        fy = db.session.get(FiscalYear, target.fiscal_year_id)
        metric = db.session.get(Metric, target.metric_id)
        assert fy is not None and metric is not None
        tree = dc.load_tree(fy, metric, Tier.SPRINT)
        ctx = dc.Context(fy, metric, english=True)
        profile = [Decimal(-100), Decimal(200)] + [Decimal(0)] * 10
        with pytest.raises(dc.DecomposeError) as exc:
            dc.plan_time(tree, ctx, tree.roots[0], "profile", {"profile": profile})
        assert str(exc.value) == "A weight cannot be negative."
        db.session.rollback()


# ---------------------------------------------------------------- 5. silent limits


def test_the_customer_list_says_how_many_it_shows_and_loads_the_rest_page_by_page(
    app: Flask
) -> None:
    admin, _ = _admin(app)
    with app.app_context():
        total = db.session.scalar(select(func.count(Customer.id)))
    assert total and total > 100
    page = admin.get("/customers?lang=en").get_data(as_text=True)
    assert f"Showing 1–50 of {total}" in page
    seen: list[str] = []
    import re

    row = re.compile(r'href="/customers/(\d+)"')
    seen += row.findall(page)
    more = re.search(r'hx-get="([^"]+)"[^>]*hx-target="#customer-more"', page)
    offset = 50
    while more:
        url = more.group(1).replace("&amp;", "&")
        frag = admin.get(url, headers={**HX, "HX-Target": "customer-more"})
        assert frag.status_code == 200 and "HX-Target" in frag.headers["Vary"]
        body = frag.get_data(as_text=True)
        assert not body.lstrip().startswith("<ul")  # rows alone, appended in place
        offset = min(total, offset + 50)
        assert f"Showing 1–{offset} of {total}" in body or offset == total
        seen += row.findall(body)
        more = re.search(r'hx-get="([^"]+)"[^>]*hx-target="#customer-more"', body)
    assert len(seen) == len(set(seen)) == total
    # Without JavaScript, "More" is a page of its own.
    page2 = admin.get("/customers?offset=50&lang=en").get_data(as_text=True)
    assert f"Showing 51–100 of {total}" in page2 and "Previous" in page2
    # A search that fits one page shows no pager.
    c, _ = client_for(app, "rep01")
    with app.app_context():
        name = a_customer_of("rep01").name
    small = c.get(f"/customers?q={name}&lang=en").get_data(as_text=True)
    assert "Showing" not in small and name in small


def test_the_board_says_when_it_shows_only_the_first_customers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, _ = _admin(app)
    assert "The board shows the first" not in admin.get("/customers/board?lang=en").get_data(
        as_text=True)
    from planner.services import customers as svc

    monkeypatch.setattr(svc, "BOARD_MAX", 5)
    with app.app_context():
        total = db.session.scalar(select(func.count(Customer.id)))
    body = admin.get("/customers/board?lang=en").get_data(as_text=True)
    assert f"The board shows the first 5 of {total} customers" in body
    assert body.count("board-card") <= 5 + 1


def test_tomorrows_plan_says_when_candidates_are_cut_and_keeps_planned_customers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.services import planned_visits as dayplan

    c, token = client_for(app, "rep01")
    with app.app_context():
        rep = user("rep01")
        n = dayplan.count_candidates(rep.id)
        far = dayplan.plan_candidates(rep.id, limit=1000)[-1]  # the last in the order
        far_id, far_name = far.id, far.name
    assert n > 3
    monkeypatch.setattr(dayplan, "MAX_CANDIDATES", 3)
    page = c.get("/today?lang=en").get_data(as_text=True)
    assert f"Showing the first 3 of your {n} customers" in page
    resp = c.post("/today/tomorrow", data={"csrf_token": token, "notes": "plan",
                                           "customer_ids": [str(far_id)]}, headers=HX)
    assert resp.status_code == 200
    page = c.get("/today?lang=en").get_data(as_text=True)
    # The planned customer is offered (and checked) although not among the first 3.
    assert f'value="{far_id}" checked' in page and far_name in page


# ---------------------------------------------------------------- 6. nested JSON


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_clear_400_on_every_json_endpoint(
    app: Flask, depth: int
) -> None:
    c, token = client_for(app, "rep01")
    c.get("/today?lang=en")
    before = snapshot(app)
    body = "[" * depth + "]" * depth
    for path in ("/api/v1/visits", "/api/v1/sync"):
        resp = c.post(path, data=body, content_type="application/json",
                      headers={"X-CSRFToken": token})
        assert resp.status_code == 400, (path, resp.status_code)
        assert "nested too deeply" in resp.get_json()["error"]["message"]
    nested: object = {"customer_id": 1}
    for _i in range(50):
        nested = {"x": nested}
    resp = c.post("/api/v1/visits", data=json.dumps(nested), content_type="application/json",
                  headers={"X-CSRFToken": token})
    assert resp.status_code == 400
    assert snapshot(app) == before


def test_ordinary_json_still_parses(app: Flask) -> None:
    c, token = client_for(app, "rep01")
    resp = c.post("/api/v1/visits", json={"kind": "cold"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]
