"""Tracking: who sees and exports what; Excel/CSV out and in (targets round-trip, every
bad row reported and nothing saved, zh and en headers); the funnel against the stage
history by hand; adjusting a rep's target from tracking; at-risk reps."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from typing import Any

import pytest
from conftest import csrf_token, login, recently
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from planner.extensions import db
from planner.models import (
    AuditLog,
    Customer,
    Metric,
    MonthlyActual,
    Stage,
    StageMove,
    Target,
    TargetCell,
    Tier,
    User,
)
from planner.services import targets as dc
from planner.services import tracking as tk
from planner.services.tracking import funnel


def _client(app: Flask, username: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c, csrf_token(c, "/tracking/import" if not username.startswith("rep") else "/today")


def _uid(name: str) -> int:
    u = db.session.scalar(select(User).where(User.username == name))
    assert u is not None
    return u.id


def _unit_of(app: Flask, username: str) -> int:
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == username))
        assert u is not None
        return u.unit_id


def _xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(c: FlaskClient, token: str, kind: str, data: bytes, name: str) -> Any:
    return c.post(f"/tracking/import/{kind}?lang=en", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


# ------------------------------------------------------------------ access


def test_a_manager_sees_and_exports_only_their_unit(app: Flask) -> None:
    c, _t = _client(app, "manager1")
    other_team = _unit_of(app, "rep07")
    with app.app_context():
        rep07, rep01 = _uid("rep07"), _uid("rep01")
    assert c.get("/tracking").status_code == 200
    assert c.get(f"/tracking?rep={rep01}").status_code == 200
    for url in (f"/tracking?unit={other_team}", f"/tracking?rep={rep07}",
                f"/tracking/export.xlsx?unit={other_team}", f"/tracking/export.csv?rep={rep07}",
                f"/tracking/funnel?rep={rep07}", f"/tracking/adjust?rep={rep07}",
                "/tracking?unit=99999999", "/tracking?rep=abc"):
        assert c.get(url).status_code == 404, url
    body = c.get("/tracking/export.csv?table=reps").get_data().decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(body))][1:]
    assert len(names) == 6
    # The target tree export holds only the manager's own team and its reps.
    tree = c.get("/tracking/targets.csv").get_data().decode("utf-8-sig")
    scopes = {row[0] for row in csv.reader(io.StringIO(tree))}
    assert "sh" in scopes and {f"rep{n:02d}" for n in range(1, 7)} <= scopes
    assert not scopes & {"hz", "gz", "sz", "rep07", "qiming", "east"}


def test_the_director_sees_everything_and_a_rep_only_their_own(app: Flask) -> None:
    d, _t = _client(app, "director")
    with app.app_context():
        rep07, rep01 = _uid("rep07"), _uid("rep01")
    assert d.get(f"/tracking?rep={rep07}").status_code == 200
    assert d.get(f"/tracking?unit={_unit_of(app, 'rep07')}").status_code == 200
    body = d.get("/tracking/export.csv?table=reps").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 25
    r, token = _client(app, "rep01")
    page = r.get("/tracking?lang=en").get_data(as_text=True)
    assert "Burn-up" in page
    assert r.get(f"/tracking?rep={rep01}").status_code == 200
    assert r.get("/tracking/export.xlsx").status_code == 200
    for url in (f"/tracking?rep={rep07}", f"/tracking?unit={_unit_of(app, 'rep01')}",
                f"/tracking/export.csv?rep={rep07}", "/tracking/targets.xlsx",
                "/tracking/import", "/tracking/import/targets/template.xlsx",
                f"/tracking/adjust?rep={rep01}"):
        assert r.get(url).status_code == 404, url
    assert _upload(r, token, "customers", b"name,owner\nx,rep01\n", "c.csv").status_code == 404


# ------------------------------------------------------------------ export


def test_exports_are_real_numbers_with_formats_a_frozen_header_and_the_users_language(
        app: Flask) -> None:
    c, _t = _client(app, "director")
    resp = c.get("/tracking/export.xlsx?table=levels&period=year&lang=en")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws.freeze_panes == "A2"
    head = [c.value for c in ws[1]]
    assert "Revenue · Target" in head and "Period" in head
    col = head.index("Revenue · Target") + 1
    cell = ws.cell(row=2, column=col)
    assert isinstance(cell.value, (int, float)) and cell.number_format == "#,##0.00"
    pct = ws.cell(row=2, column=head.index("Revenue · Completion") + 1)
    assert isinstance(pct.value, float) and pct.number_format == "0.0%"
    with app.app_context():
        director = db.session.scalar(select(User).where(User.username == "director"))
        tr = tk.track(director, tk.top_scope(director), "year")
        assert round(cell.value * 100) == tr.total.figs["revenue"].target
    zh = c.get("/tracking/export.csv?table=levels&period=year&lang=zh_Hans_CN")
    assert zh.data.startswith(b"\xef\xbb\xbf")
    head_zh = next(csv.reader(io.StringIO(zh.data.decode("utf-8-sig"))))
    assert "销售额 · 目标" in head_zh and "期间" in head_zh


# ------------------------------------------------------------------ import: targets


def _targets_state() -> dict[int, tuple[int, bool, tuple[int, ...]]]:
    cells: dict[int, list[int]] = {}
    for tid, v in db.session.execute(select(TargetCell.target_id, TargetCell.value)
                                     .where(TargetCell.kind == "month")
                                     .order_by(TargetCell.target_id, TargetCell.start)):
        cells.setdefault(tid, []).append(int(v))
    return {t.id: (int(t.value), bool(t.locked), tuple(cells.get(t.id, [])))
            for t in db.session.scalars(select(Target))}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exported_targets_reimport_with_no_change(app: Flask, fmt: str) -> None:
    c, token = _client(app, "director")
    with app.app_context():
        before = _targets_state()
        audits = db.session.scalar(select(func.count(AuditLog.id)))
    data = c.get(f"/tracking/targets.{fmt}?lang=en").data
    resp = _upload(c, token, "targets", data, f"targets.{fmt}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-2000:]
    assert "0 records saved or changed" in resp.get_data(as_text=True) or \
        "0 条" in resp.get_data(as_text=True)
    with app.app_context():
        assert _targets_state() == before
        assert db.session.scalar(select(func.count(AuditLog.id))) == audits


def _rep_row(rows: list[list[Any]], username: str, metric: str) -> int:
    return next(i for i, r in enumerate(rows) if r[0] == username and r[4] == metric
                and r[5] == "base")


def test_a_sheet_with_three_bad_rows_reports_all_three_and_saves_nothing(app: Flask) -> None:
    c, token = _client(app, "director")
    ws = load_workbook(io.BytesIO(c.get("/tracking/targets.xlsx?lang=en").data)).active
    rows = [[cell.value for cell in r] for r in ws.iter_rows()]
    good = _rep_row(rows, "rep20", "visits")
    rows[good][7] = int(rows[good][7]) + 5  # a good change, which must not be saved either
    bad1 = _rep_row(rows, "rep21", "visits")
    rows[bad1][7] = "abc"
    bad2 = _rep_row(rows, "rep22", "revenue")
    rows[bad2][4] = "no-such-metric"
    bad3 = _rep_row(rows, "rep23", "contracts")
    rows[bad3][7] = 10**6  # more than the team's whole target: a conflict with the locks
    with app.app_context():
        before = _targets_state()
    resp = _upload(c, token, "targets", _xlsx(rows), "bad.xlsx")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "3 rows are wrong; nothing was saved." in page
    for n in (bad1, bad2, bad3):
        assert f'<td class="num">{n + 1}</td>' in page
    assert "no-such-metric" in page and "abc" in page and "would exceed" in page
    with app.app_context():
        assert _targets_state() == before


def test_an_imported_value_rebalances_the_siblings_and_is_audited(app: Flask) -> None:
    c, token = _client(app, "director")
    rows = list(csv.reader(io.StringIO(
        c.get("/tracking/targets.csv?lang=en").data.decode("utf-8-sig"))))
    i = _rep_row(rows, "rep19", "return_visits")
    new = int(rows[i][7]) + 7
    resp = _upload(c, token, "targets", _csv([rows[0][:8], [*rows[i][:7], str(new)]]),
                   "one.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-1500:]
    with app.app_context():
        metric = db.session.scalar(select(Metric).where(Metric.code == "return_visits"))
        assert metric is not None
        rep = db.session.scalar(select(Target).where(
            Target.user_id == _uid("rep19"), Target.metric_id == metric.id,
            Target.tier == Tier.BASE))
        assert rep is not None and rep.value == new and rep.locked
        parent = db.session.get(Target, rep.parent_id)
        kids = db.session.scalars(select(Target).where(Target.parent_id == parent.id)).all()
        assert sum(k.value for k in kids) == parent.value
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "import", AuditLog.entity_id == rep.id)) >= 1


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode()


def test_a_targets_import_is_saved_whole_or_not_at_all_across_metrics(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two metrics are two trees written one after the other: when writing the second
    fails, the first metric's targets and audit rows are not saved either."""
    c, token = _client(app, "director")
    rows = list(csv.reader(io.StringIO(
        c.get("/tracking/targets.csv?lang=en").data.decode("utf-8-sig"))))
    sheet = [rows[0][:8]]
    for metric in ("visits", "contracts"):
        r = rows[_rep_row(rows, "rep18", metric)]
        sheet.append([*r[:7], str(int(r[7]) + 2)])
    real = dc.apply_plan
    written: list[str] = []

    def second_fails(plan: dc.Plan, user: Any) -> int:
        if written:
            raise RuntimeError("the disk is full")
        written.append(plan.tree.metric.code)
        return real(plan, user)

    monkeypatch.setattr(dc, "apply_plan", second_fails)
    with app.app_context():
        before = _targets_state()
        audits = db.session.scalar(select(func.count(AuditLog.id)))
    with pytest.raises(RuntimeError, match="disk is full"):
        _upload(c, token, "targets", _csv(sheet), "two.csv")
    assert len(written) == 1  # the first metric was written, then rolled back
    with app.app_context():
        assert _targets_state() == before
        assert db.session.scalar(select(func.count(AuditLog.id))) == audits
    monkeypatch.setattr(dc, "apply_plan", real)
    resp = _upload(c, token, "targets", _csv(sheet), "two.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-1500:]
    with app.app_context():
        for row in sheet[1:]:
            got = db.session.scalar(select(Target.value).join(Metric).where(
                Target.user_id == _uid("rep18"), Metric.code == row[4],
                Target.tier == Tier.BASE))
            assert got == int(row[7])


def test_a_managers_own_export_reimports_and_their_team_total_stays_theirs_to_keep(
        app: Flask) -> None:
    c, token = _client(app, "manager3")
    data = c.get("/tracking/targets.csv?lang=en").data
    with app.app_context():
        before = _targets_state()
    resp = _upload(c, token, "targets", data, "mine.csv")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-1500:]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    team = next(r for r in rows[1:] if r[0] == "gz" and r[4] == "visits" and r[5] == "base")
    team[7] = str(int(team[7]) + 1)
    resp = _upload(c, token, "targets", _csv([rows[0][:8], team[:8]]), "team.csv")
    assert resp.status_code == 422
    assert "Only the level above can change this target." in resp.get_data(as_text=True)
    with app.app_context():
        assert _targets_state() == before


def test_a_manager_cannot_import_targets_outside_their_unit(app: Flask) -> None:
    c, token = _client(app, "manager1")
    resp = _upload(c, token, "targets", _csv([
        ["Scope", "Metric", "Tier", "Period", "Value"],
        ["rep07", "visits", "base", str(date.today().year), "10"]]), "t.csv")
    assert resp.status_code == 422
    assert "not in your unit" in resp.get_data(as_text=True)


# ------------------------------------------------------------------ import: customers, history


def test_customers_import_with_zh_headers_and_with_en_headers(app: Flask) -> None:
    c, token = _client(app, "manager4")
    zh = _xlsx([["客户名称", "客户类型", "区域", "联系人", "电话", "负责人", "阶段"],
                ["导入测试甲", "企业客户", "华南区", "王经理", "13800000001", "rep24", "线索"],
                ["导入测试乙", "smb", "", "李总", "", "rep23", "need"]])
    resp = _upload(c, token, "customers", zh, "zh.xlsx")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-1500:]
    en = _csv([["Name", "Type", "Region", "Contact", "Phone", "Owner", "Stage"],
               ["Import test C", "Government", "South China", "Ms Wu", "+86 20 1234 5678",
                "rep24", "Trust built"]])
    assert _upload(c, token, "customers", en, "en.csv").status_code == 200
    with app.app_context():
        got = {cu.name: cu for cu in db.session.scalars(select(Customer).where(
            Customer.name.in_(["导入测试甲", "导入测试乙", "Import test C"])))}
        assert set(got) == {"导入测试甲", "导入测试乙", "Import test C"}
        assert got["Import test C"].stage.code == "trust"
        assert got["导入测试甲"].customer_type_id is not None
        moves = db.session.scalars(select(StageMove).where(
            StageMove.customer_id == got["Import test C"].id)).all()
        assert [(m.from_stage_id, m.to_stage_id) for m in moves] == [
            (None, got["Import test C"].stage_id)]


def test_a_bad_customers_sheet_lists_every_bad_row_and_saves_nothing(app: Flask) -> None:
    c, token = _client(app, "manager4")
    with app.app_context():
        n = db.session.scalar(select(func.count(Customer.id)))
    bad = _csv([["Name", "Owner", "Stage", "Region", "Phone"],
                ["OK one", "rep24", "lead", "", ""],
                ["", "rep24", "lead", "", ""],
                ["Wrong owner", "rep01", "lead", "", ""],
                ["Wrong region", "rep24", "lead", "East China", ""],
                ["Wrong phone", "rep24", "nope", "", "call me"]])
    resp = _upload(c, token, "customers", bad, "bad.csv")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "4 rows are wrong" in page or "4 行" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Customer.id))) == n


def test_last_years_history_imports_and_replaces(app: Flask) -> None:
    c, token = _client(app, "manager4")
    ly = date.today().year - 1
    sheet = _csv([["销售", "指标", "产品线", "月份", "实际值"],
                  ["rep24", "visits", "", f"{ly}-03", "77"]])
    assert _upload(c, token, "history", sheet, "h.csv").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(MonthlyActual).join(Metric).where(
            MonthlyActual.user_id == _uid("rep24"), Metric.code == "visits",
            MonthlyActual.month == date(ly, 3, 1), MonthlyActual.product_line_id.is_(None)))
        assert row is not None and row.value == 77


def test_files_too_large_or_not_a_sheet_are_refused_with_a_message(app: Flask) -> None:
    c, token = _client(app, "director")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    resp = _upload(c, token, "customers", png, "photo.xlsx")
    assert resp.status_code == 422
    assert "This is not an Excel (.xlsx) or CSV file." in resp.get_data(as_text=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    resp = _upload(c, token, "customers", buf.getvalue(), "x.xlsx")
    assert resp.status_code == 422 and "not an Excel" in resp.get_data(as_text=True)
    big = b"name,owner\n" + b"x" * (5 * 1024 * 1024 + 10)
    # Encoded here in memory (the test client would spool it to a file it never closes).
    from werkzeug.test import stream_encode_multipart

    body, length, boundary = stream_encode_multipart(
        {"csrf_token": token, "file": FileStorage(io.BytesIO(big), "big.csv")},
        use_tempfile=False)
    resp = c.post("/tracking/import/customers?lang=en", input_stream=body,
                  content_length=length,
                  content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 422
    assert "The file is larger than 5 MB" in resp.get_data(as_text=True)


def test_templates_download_in_both_formats(app: Flask) -> None:
    c, _t = _client(app, "manager1")
    for kind in ("targets", "customers", "history"):
        x = c.get(f"/tracking/import/{kind}/template.xlsx?lang=en")
        assert x.status_code == 200
        assert load_workbook(io.BytesIO(x.data)).active.max_row >= 2
        s = c.get(f"/tracking/import/{kind}/template.csv?lang=zh_Hans_CN")
        assert s.data.startswith(b"\xef\xbb\xbf")


# ------------------------------------------------------------------ the funnel, by hand


def test_the_funnel_matches_a_query_of_the_stage_history(app: Flask, app_ctx: None) -> None:
    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    year = date.today().year
    start, end = date(year, 1, 1), date.today()
    fn = funnel(tk.top_scope(director), director.unit.company_id, start, end, end)
    stages = {s.code: s for s in db.session.scalars(select(Stage))}
    by_code = {r.stage.code: r for r in fn.rows}
    # By hand: customers moved this year into "need" or a later (not lost) stage.
    later = [s.id for s in stages.values() if s.sort >= stages["need"].sort and not s.is_lost]
    hand = db.session.scalar(select(func.count(func.distinct(StageMove.customer_id))).where(
        StageMove.day >= start, StageMove.day <= end, StageMove.to_stage_id.in_(later)))
    assert by_code["need"].reached == hand and hand > 0
    # Entered "won" this year, and lost.
    for code in ("won", "trust"):
        hand = db.session.scalar(select(func.count(func.distinct(StageMove.customer_id))).where(
            StageMove.day >= start, StageMove.day <= end,
            StageMove.to_stage_id == stages[code].id))
        assert by_code[code].entered == hand
    assert fn.lost is not None and fn.lost.entered == db.session.scalar(
        select(func.count(func.distinct(StageMove.customer_id))).where(
            StageMove.day >= start, StageMove.day <= end,
            StageMove.to_stage_id == stages["lost"].id))
    # Average days in "lead": each move into lead and the customer's next move, by hand.
    moves = db.session.execute(select(StageMove.customer_id, StageMove.to_stage_id,
                                      StageMove.day, StageMove.id)
                               .order_by(StageMove.customer_id, StageMove.day, StageMove.id)
                               ).all()
    stays = [(b.day - a.day).days for a, b in zip(moves, moves[1:], strict=False)
             if a.customer_id == b.customer_id and a.to_stage_id == stages["lead"].id
             and start <= b.day <= end]
    assert by_code["lead"].stays == len(stays)
    assert by_code["lead"].avg_days == pytest.approx(sum(stays) / len(stays))
    # Conversion lead -> need is reached(need) / reached(lead).
    assert by_code["lead"].conversion == pytest.approx(
        by_code["need"].reached / by_code["lead"].reached)


def test_the_funnel_exports_its_figures(app: Flask) -> None:
    c, _t = _client(app, "director")
    body = c.get("/tracking/export.csv?table=funnel&period=year&lang=en").data
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Period", "Stage", "Reached", "Entered"]
    with app.app_context():
        director = db.session.scalar(select(User).where(User.username == "director"))
        assert director is not None
        tr = tk.track(director, tk.top_scope(director), "year")
        fn = funnel(tr.scope, director.unit.company_id, tr.period.start, tr.day, tr.day)
        assert [int(r[2]) for r in rows[1:len(fn.rows) + 1]] == [r.reached for r in fn.rows]


def test_a_stage_moved_on_the_board_is_kept_in_the_history(app: Flask) -> None:
    c, token = _client(app, "rep24")
    with app.app_context():
        cu = db.session.scalars(select(Customer).join(Stage).where(
            Customer.owner_id == _uid("rep24"), Stage.code == "lead")).first()
        assert cu is not None
        cid, before = cu.id, db.session.scalar(select(func.count(StageMove.id)).where(
            StageMove.customer_id == cu.id))
    c.post(f"/customers/{cid}/stage", data={"stage": "need", "csrf_token": token})
    with app.app_context():
        last = db.session.scalars(select(StageMove).where(StageMove.customer_id == cid)
                                  .order_by(StageMove.id.desc())).first()
        assert db.session.scalar(select(func.count(StageMove.id)).where(
            StageMove.customer_id == cid)) == before + 1
        assert last is not None and last.to_stage_id == db.session.scalar(
            select(Stage.id).where(Stage.code == "need"))


# ------------------------------------------------------------------ adjusting, at risk


def test_a_manager_adjusts_a_reps_rest_of_year_with_preview_then_apply(app: Flask) -> None:
    c, token = _client(app, "manager4")
    with app.app_context():
        rep = _uid("rep20")
        metric = db.session.scalar(select(Metric).where(Metric.code == "cold_visits"))
        assert metric is not None
        t = db.session.scalar(select(Target).where(
            Target.user_id == rep, Target.metric_id == metric.id, Target.tier == Tier.BASE))
        assert t is not None
        director = db.session.scalar(select(User).where(User.username == "director"))
        tr = tk.track(director, tk.Scope("rep", user=db.session.get(User, rep)), "year")
        achieved = tr.total.figs["cold_visits"].achieved
        tid, old = t.id, t.value
    page = c.get(f"/tracking/adjust?rep={rep}&metric=cold_visits&lang=en")
    assert page.status_code == 200
    form = {"csrf_token": token, "rep": str(rep), "metric": "cold_visits", "remaining": "30"}
    prev = c.post("/tracking/adjust/preview?lang=en", data=form)
    assert prev.status_code == 200 and "→" in prev.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Target, tid).value == old  # a preview writes nothing
    resp = c.post("/tracking/adjust/apply", data=form)
    assert resp.status_code == 302
    with app.app_context():
        t = db.session.get(Target, tid)
        assert t.value == achieved + 30 and t.locked
        kids = db.session.scalars(select(Target).where(Target.parent_id == t.parent_id)).all()
        assert sum(k.value for k in kids) == db.session.get(Target, t.parent_id).value
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.entity_id == tid, AuditLog.action == "edit")) >= 1
    bad = c.post("/tracking/adjust/preview?lang=en", data={**form, "remaining": "-3"})
    assert bad.status_code == 422 and "negative" in bad.get_data(as_text=True)


def test_at_risk_lists_those_whose_needed_rate_is_well_above_their_pace(
        app: Flask, app_ctx: None) -> None:
    director = db.session.scalar(select(User).where(User.username == "director"))
    assert director is not None
    tr = tk.track(director, tk.top_scope(director), "year")
    risky = tr.at_risk("revenue")
    assert risky, "the demo year has reps behind"
    for ln in risky:
        f = ln.figs["revenue"]
        assert f.needed_per_day > 1.25 * (f.achieved / f.elapsed_days)
    behind = [(ln.figs["revenue"].achieved - ln.figs["revenue"].expected)
              / ln.figs["revenue"].target for ln in risky]
    assert behind == sorted(behind)
    fine = [ln for ln in tr.reps if ln not in risky]
    assert all(not ln.figs["revenue"].at_risk() for ln in fine)


def test_a_visit_that_moves_the_stage_or_makes_a_lead_is_kept_in_the_history(
        app: Flask) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    c, token = _client(app, "rep23")
    now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    with app.app_context():
        cu = db.session.scalars(select(Customer).join(Stage).where(
            Customer.owner_id == _uid("rep23"), Stage.code == "lead")).first()
        assert cu is not None
        cid, from_stage = cu.id, cu.stage_id
    form = {"csrf_token": token, "context": "today", "customer_id": str(cid),
            "kind": "existing", "visited_at": recently().strftime("%Y-%m-%dT%H:%M"),
            "place": "", "purpose": "跟进", "outcome": "",
            "notes": "", "amount_signed": "", "amount_collected": "", "expenses": "",
            "materials": "", "next_follow_up": "", "stage": "contacted"}
    assert c.post("/visits/new", data=form).status_code == 303
    lead_form = {**form, "customer_id": "", "stage": "", "new_customer_name": "历史测试线索",
                 "new_customer_phone": "13900000000"}
    assert c.post("/visits/new", data=lead_form).status_code == 303
    with app.app_context():
        contacted = db.session.scalar(select(Stage.id).where(Stage.code == "contacted"))
        move = db.session.scalars(select(StageMove).where(StageMove.customer_id == cid)
                                  .order_by(StageMove.id.desc())).first()
        assert move is not None and move.visit_id is not None
        assert (move.from_stage_id, move.to_stage_id, move.day) == (from_stage, contacted,
                                                                    now.date())
        lead = db.session.scalar(select(Customer).where(Customer.name == "历史测试线索"))
        assert lead is not None
        moves = db.session.scalars(select(StageMove).where(
            StageMove.customer_id == lead.id)).all()
        assert [(m.from_stage_id, m.to_stage_id) for m in moves] == [(None, lead.stage_id)]
