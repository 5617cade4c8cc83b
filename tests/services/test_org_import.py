"""Units and people from one sheet: every bad row reported, nothing saved when any row is
bad, a dry run saves nothing, the same sheet again changes nothing, codes resolve within
the importer's company, zh or en headers, xlsx or csv."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from org_helpers import org_rows, second_company, xlsx
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import OrgUnit, User
from planner.services.org import people_import as pi
from planner.services.sheets import SheetError

EN = ["Unit code", "Unit name", "Unit name (English)", "Unit kind", "Parent unit",
      "Username", "Name", "Phone", "Role", "Manager", "Capability"]
ZH = ["单位编码", "单位名称", "单位英文名称", "单位类型", "上级单位", "用户名", "姓名", "手机",
      "角色", "直属经理", "能力分"]


@pytest.fixture()
def app(org_app: Flask) -> Flask:
    """The demo company and a second one, in a database of their own (conftest)."""
    return org_app


def csv_bytes(head: list[str], rows: list[list[Any]]) -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(head)
    w.writerows([["" if c is None else c for c in r] for r in rows])
    return ("\ufeff" + buf.getvalue()).encode()


@pytest.fixture()
def admin(app: Flask) -> Iterator[User]:
    second_company(app)
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == "second_admin"))
        assert u is not None
        yield u
        db.session.rollback()
        db.session.remove()


def counts(company: int) -> tuple[int, int]:
    units = db.session.scalar(select(func.count(OrgUnit.id)).where(
        OrgUnit.company_id == company)) or 0
    people = db.session.scalar(select(func.count(User.id)).join(
        OrgUnit, OrgUnit.id == User.unit_id).where(OrgUnit.company_id == company)) or 0
    return units, people


def test_a_sheet_of_units_and_people_imports_whole_and_again_changes_nothing(
        admin: User) -> None:
    cid = admin.unit.company_id
    before = counts(cid)
    data = xlsx(EN, org_rows())
    dry = pi.run_import(admin, data, "org.xlsx", dry_run=True)
    assert dry.errors == [] and dry.rows == 22 and counts(cid) == before
    result = pi.run_import(admin, data, "org.xlsx")
    assert result.errors == []
    assert (result.new_units, result.new_people) == (6, 16)
    assert counts(cid) == (before[0] + 6, before[1] + 16)
    rep = db.session.scalar(select(User).where(User.username == "imp.rep21"))
    assert rep is not None and rep.unit.code == "imp-t2" and rep.capability == 51
    assert rep.manager_id is not None and rep.password_hash.startswith("!")
    team = rep.unit
    assert team.parent is not None and team.parent.code == "imp-r1"
    assert team.path == f"{team.parent.path}{team.id}/"
    again = pi.run_import(admin, data, "org.xlsx")
    assert again.errors == [] and again.changed == 0 and counts(cid) == (before[0] + 6,
                                                                        before[1] + 16)
    # Chinese headers, CSV, the same sheet: still nothing to change.
    same = pi.run_import(admin, csv_bytes(ZH, org_rows()), "org.csv")
    assert same.errors == [] and same.changed == 0


def test_every_bad_row_is_reported_and_nothing_is_saved(admin: User) -> None:
    cid = admin.unit.company_id
    before = counts(cid)
    rows = org_rows("bad")
    rows.append(["nowhere", "", "", "", "", "bad.lost", "迷路", "", "rep", "", ""])
    rows.append(["bad-t0", "", "", "", "", "bad.rep00", "重复", "", "rep", "", ""])
    rows.append(["bad-t0", "", "", "", "", "bad.phone", "电话", "call me", "rep", "", ""])
    rows.append(["bad-t0", "", "", "", "", "bad.orphan", "孤儿", "", "rep", "nobody", ""])
    rows.append(["bad-t0", "", "", "", "", "rep01", "演示", "", "rep", "", ""])
    rows.append(["bad-loop1", "环一", "", "region", "bad-loop2", "", "", "", "", "", ""])
    rows.append(["bad-loop2", "环二", "", "region", "bad-loop1", "", "", "", "", "", ""])
    rows.append(["bad-x", "", "", "county", "", "", "", "", "", "", ""])
    result = pi.run_import(admin, xlsx(EN, rows), "bad.xlsx")
    messages = {(e.row, e.column): e.message for e in result.errors}
    first = len(org_rows("bad")) + 2
    assert "No unit has this code" in messages[(first, "Unit code")]
    assert "twice" in messages[(first + 1, "Username")]
    assert "phone" in messages[(first + 2, "Phone")].lower()
    assert "No manager" in messages[(first + 3, "Manager")]
    assert "unique across" in messages[(first + 4, "Username")]
    assert "itself" in messages[(first + 5, "Parent unit")]
    assert "itself" in messages[(first + 6, "Parent unit")]
    assert (first + 7, "Unit name") in messages and (first + 7, "Unit kind") in messages
    assert counts(cid) == before


def test_codes_resolve_within_the_importers_company(admin: User, app: Flask) -> None:
    # `sh` is a team of both companies; `east` too. The person lands in the second's.
    rows = [["sh", "", "", "", "", "second.sheetrep", "表格销售", "", "rep", "", ""]]
    result = pi.run_import(admin, csv_bytes(EN, rows), "one.csv")
    assert result.errors == []
    rep = db.session.scalar(select(User).where(User.username == "second.sheetrep"))
    assert rep is not None and rep.unit.company_id == admin.unit.company_id


def test_a_missing_column_a_broken_file_and_too_many_rows_are_refused(admin: User) -> None:
    result = pi.run_import(admin, csv_bytes(["Name"], [["x"]]), "x.csv")
    assert result.errors and "missing" in result.errors[0].message
    with pytest.raises(SheetError):
        pi.run_import(admin, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "x.xlsx")
    many = ("Unit code,Unit name,Unit kind\n" + "u,n,team\n" * 50_001).encode()
    with pytest.raises(SheetError) as exc:
        pi.run_import(admin, many, "many.csv")
    assert exc.value.code == "too_many_rows"


def test_the_template_imports_as_it_is(admin: User) -> None:
    cols, rows = pi.template()
    result = pi.run_import(admin, csv_bytes([c.header for c in cols], rows), "t.csv",
                           dry_run=True)
    assert result.errors == [] and result.rows == 4


def test_a_changed_sheet_renames_and_moves_units_with_their_paths(admin: User) -> None:
    assert pi.run_import(admin, xlsx(EN, org_rows("mv")), "org.xlsx").errors == []
    rows = org_rows("mv")
    rows[2] = ["mv-t0", "新团队0", "Team 0 (new)", "team", "mv-r1", "", "", "", "", "", ""]
    result = pi.run_import(admin, xlsx(EN, rows), "org.xlsx")
    assert result.errors == [] and result.changed == 1 and result.new_units == 0
    team = db.session.scalar(select(OrgUnit).where(
        OrgUnit.code == "mv-t0", OrgUnit.company_id == admin.unit.company_id))
    assert team is not None and team.name == "新团队0"
    assert team.parent is not None and team.parent.code == "mv-r1"
    assert team.path == f"{team.parent.path}{team.id}/"
    rep = db.session.scalar(select(User).where(User.username == "mv.rep00"))
    assert rep is not None and rep.unit_id == team.id
