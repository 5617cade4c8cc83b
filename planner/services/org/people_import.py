"""Units and people from one Excel/CSV sheet (the HR spreadsheet), headers in zh-CN or
English. A row with a username is a person (in the row's unit); a row without one is a
unit (its code, name, kind and parent). Every row is checked before anything is saved:
every bad row is reported and nothing is saved when any row is bad; a dry run only
checks. Codes resolve within the importer's company; importing the same sheet again
changes nothing. New people get no password: they are invited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...i18n import speaks_chinese
from ...models import OrgUnit, Role, UnitKind, User
from ..sheets import Column, SheetError, map_header, read_rows, sniff, text
from . import fields, people, units
from .fields import _
from .scope import company_id

_zh = speaks_chinese

# key -> (zh header, en header, other accepted spellings)
HEADERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "unit": ("单位编码", "Unit code", ("单位", "unit", "编码")),
    "unit_name": ("单位名称", "Unit name", ()),
    "unit_name_en": ("单位英文名称", "Unit name (English)", ("unit name en",)),
    "kind": ("单位类型", "Unit kind", ("kind", "类型")),
    "parent": ("上级单位", "Parent unit", ("parent",)),
    "username": ("用户名", "Username", ("登录名", "login")),
    "name": ("姓名", "Name", ("名字",)),
    "phone": ("手机", "Phone", ("电话", "手机号")),
    "role": ("角色", "Role", ()),
    "manager": ("直属经理", "Manager", ("经理", "manager username")),
    "capability": ("能力分", "Capability", ("能力",)),
}
KIND_WORDS = {"region": "region", "区域": "region", "大区": "region",
              "team": "team", "团队": "team", "小组": "team", "组": "team"}
ROLE_WORDS = {"": "rep", "rep": "rep", "销售": "rep", "销售代表": "rep",
              "manager": "manager", "经理": "manager", "销售经理": "manager"}


def header(key: str) -> str:
    zh, en, _o = HEADERS[key]
    return zh if _zh() else en


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class Result:
    rows: int = 0
    changed: int = 0
    new_units: int = 0
    new_people: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)


class _Row:
    def __init__(self, n: int, cells: Sequence[Any], cols: dict[str, int], head: list[str],
                 errors: list[RowError]) -> None:
        self.n, self.cells, self.cols, self.errors = n, cells, cols, errors
        self.head = head

    def text(self, key: str) -> str:
        i = self.cols.get(key)
        return text(self.cells[i]) if i is not None and i < len(self.cells) else ""

    def error(self, key: str, message: str) -> None:
        i = self.cols.get(key)  # the column as the sheet names it
        column = self.head[i] if i is not None and i < len(self.head) else header(key)
        self.errors.append(RowError(self.n, column, self.text(key)[:60], message))

    def check(self, found: dict[str, str], key_map: dict[str, str]) -> None:
        for f, message in found.items():
            self.error(key_map.get(f, f), message)


def template() -> tuple[list[Column], list[list[Any]]]:
    cols = [Column(k, header(k)) for k in HEADERS]
    zh = _zh()
    rows = [["east", "华东区" if zh else "East", "East China", "region", "", "", "", "", "",
             "", ""],
            ["sh", "上海组" if zh else "Shanghai", "Shanghai team", "team", "east", "", "", "",
             "", "", ""],
            ["sh", "", "", "", "", "zhang.wei", "张伟", "138 0013 8000", "manager", "", "60"],
            ["sh", "", "", "", "", "li.na", "李娜", "139 0013 9000", "rep", "zhang.wei", "50"]]
    return cols, rows


@dataclass
class _UnitRow:
    row: _Row
    code: str
    name: str
    name_en: str
    kind: UnitKind
    parent: str


@dataclass
class _PersonRow:
    row: _Row
    unit: str
    values: dict[str, Any]
    role: str
    manager: str


class _Sheet:
    def __init__(self, actor: User, errors: list[RowError]) -> None:
        self.actor, self.errors = actor, errors
        self.cid = company_id(actor)
        self.db_units = {u.code.lower(): u for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.company_id == self.cid))}
        self.units: dict[str, _UnitRow] = {}
        self.people: dict[str, _PersonRow] = {}
        self.to_check: list[_PersonRow] = []

    def unit_row(self, row: _Row) -> None:
        errs: dict[str, str] = {}
        code = fields.code(errs, "unit", row.text("unit"))
        name = fields.name(errs, "unit_name", row.text("unit_name"))
        name_en = fields.name(errs, "unit_name_en", row.text("unit_name_en"), required=False)
        kind = KIND_WORDS.get(row.text("kind").lower())
        if kind is None:
            errs["kind"] = _("Say region or team (区域 or 团队).")
        if "unit" not in errs and code.lower() in self.units:
            errs["unit"] = _("This unit code is in the sheet twice.")
        existing = self.db_units.get(code.lower())
        if existing is not None and existing.parent_id is None:
            errs["unit"] = _("This is the company's own code.")
        row.check(errs, {})
        if not errs and kind is not None:
            self.units[code.lower()] = _UnitRow(row, code, name, name_en, UnitKind(kind),
                                                row.text("parent"))

    def person_row(self, row: _Row) -> None:
        errs: dict[str, str] = {}
        login = fields.username(errs, "username", row.text("username"))
        values = {"display_name": fields.name(errs, "name", row.text("name")),
                  "phone": fields.phone(errs, "phone", row.text("phone")),
                  "capability": fields.capability(errs, "capability", row.text("capability"))}
        role = ROLE_WORDS.get(row.text("role").lower())
        if role is None:
            errs["role"] = _("Say rep or manager (销售 or 经理).")
        if "username" not in errs:
            if login.lower() in self.people:
                errs["username"] = _("This username is in the sheet twice.")
            else:
                other = db.session.scalar(select(User).where(
                    func.lower(User.username) == login.lower()))
                if other is not None and (other.unit.company_id != self.cid
                                          or other.role == Role.ADMIN):
                    errs["username"] = _("This username is taken (usernames are unique "
                                         "across every company).")
        row.check(errs, {"display_name": "name"})
        person = _PersonRow(row, row.text("unit"), {"username": login, **values},
                            role or "rep", row.text("manager"))
        self.to_check.append(person)  # its unit and manager are checked in any case
        if not errs and role is not None:
            self.people[login.lower()] = person

    def parent_of(self, code: str) -> str | None:
        """The final parent code of a unit (the sheet's, else the database's)."""
        if code in self.units:
            return self.units[code].parent.lower() or None
        u = self.db_units.get(code)
        if u is None or u.parent is None or u.parent.parent_id is None:
            return None
        return u.parent.code.lower()

    def kind_of(self, code: str) -> UnitKind | None:
        if code in self.units:
            return self.units[code].kind
        u = self.db_units.get(code)
        return u.kind if u is not None else None

    def check_units(self) -> None:
        for code, ur in self.units.items():
            parent = ur.parent.lower()
            if parent and self.kind_of(parent) is None:
                ur.row.error("parent", _("No unit has this code, in the sheet or the "
                                         "company."))
            elif parent and self.kind_of(parent) == UnitKind.TEAM:
                ur.row.error("parent", _("A team has people, not units."))
            elif self._cycle(code):
                ur.row.error("parent", _("A unit cannot belong to itself or to one of its "
                                         "own units."))

    def _cycle(self, code: str) -> bool:
        seen, at = {code}, self.parent_of(code)
        while at is not None:
            if at in seen:
                return True
            seen.add(at)
            at = self.parent_of(at)
        return False

    def check_people(self) -> None:
        for pr in self.to_check:
            unit = pr.unit.lower()
            if not unit or self.kind_of(unit) is None:
                pr.row.error("unit", _("No unit has this code, in the sheet or the company."))
            existing = db.session.scalar(select(User).where(
                func.lower(User.username) == pr.values["username"].lower()))
            if existing is not None and existing.unit.company_id == self.cid and unit \
                    and existing.unit.code.lower() != unit:
                pr.row.error("unit", _("%(name)s is in another unit: move them on their "
                                       "page, not by import.", name=existing.display_name))
            if pr.manager and not self._manager_ok(pr.manager.lower()):
                pr.row.error("manager", _("No manager has this username, in the sheet or "
                                          "the company."))

    def _manager_ok(self, login: str) -> bool:
        if login in self.people:
            return self.people[login].role == "manager"
        u = db.session.scalar(select(User).where(func.lower(User.username) == login))
        return u is not None and u.unit.company_id == self.cid and u.role != Role.REP \
            and u.active

    # ---------------------------------------------------------------- saving

    def _depth(self, code: str) -> int:
        n, at = 0, self.parent_of(code)
        while at is not None and n < 100:
            n, at = n + 1, self.parent_of(at)
        return n

    def save_units(self, result: Result) -> None:
        root = next(u for u in self.db_units.values() if u.parent_id is None)
        for code in sorted(self.units, key=self._depth):
            ur = self.units[code]
            parent = self.db_units[ur.parent.lower()] if ur.parent else root
            unit = self.db_units.get(code)
            if unit is None:
                unit = units.add_unit(self.actor, parent.id, ur.kind.value, ur.code, ur.name,
                                      ur.name_en)
                self.db_units[code] = unit
                result.new_units += 1
                result.changed += 1
                continue
            changed = False
            if (unit.name, unit.name_en) != (ur.name, ur.name_en):
                units.rename_unit(self.actor, unit, ur.name, ur.name_en)
                changed = True
            if unit.kind != ur.kind:
                changed = audit_change(self.actor, unit, "kind", ur.kind) > 0 or changed
            if unit.parent_id != parent.id:
                units.move_unit(self.actor, unit, parent.id)
                self.db_units = {u.code.lower(): u for u in db.session.scalars(
                    select(OrgUnit).where(OrgUnit.company_id == self.cid))}
                changed = True
            result.changed += changed

    def save_people(self, result: Result) -> None:
        saved: dict[str, User] = {}
        for login, pr in self.people.items():
            unit = self.db_units[pr.unit.lower()]
            user = db.session.scalar(select(User).where(func.lower(User.username) == login))
            if user is None:
                user = people.add_user(self.actor, {**pr.values, "role": pr.role,
                                                    "unit": unit.id, "manager": ""})
                result.new_people += 1
                result.changed += 1
            else:
                n = people.edit_user(self.actor, user, {
                    **pr.values, "manager": user.manager_id or ""})
                if user.role.value != pr.role:
                    people.change_role(self.actor, user, pr.role)
                    n += 1
                result.changed += n > 0
            saved[login] = user
        for login, pr in self.people.items():
            user = saved[login]
            boss = saved.get(pr.manager.lower()) if pr.manager else None
            if pr.manager and boss is None:
                boss = db.session.scalar(select(User).where(
                    func.lower(User.username) == pr.manager.lower()))
            want = boss.id if boss is not None else None
            if user.manager_id != want:
                result.changed += audit_change(self.actor, user, "manager_id", want)
        db.session.flush()


def audit_change(actor: User, obj: Any, attr: str, value: Any) -> int:
    from . import audit

    entity = "org_unit" if isinstance(obj, OrgUnit) else "user"
    return audit.changes(actor, entity, obj, {attr: value})


def run_import(actor: User, data: bytes, filename: str, dry_run: bool = False) -> Result:
    """Check every row; save only when none is wrong (and not `dry_run`). The caller
    commits, or rolls back. SheetError when the file as a whole cannot be read."""
    rows = read_rows(data, sniff(data, filename))
    while rows and not any(text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("empty")
    aliases = {k: (zh, en, *other) for k, (zh, en, other) in HEADERS.items()}
    head = [text(h) for h in rows[0]]
    cols = map_header(head, aliases)
    result = Result(dry_run=dry_run)
    for key in ("unit",):
        if key not in cols:
            result.errors.append(RowError(1, header(key), "", _("This column is missing.")))
    if result.errors:
        return result
    sheet = _Sheet(actor, result.errors)
    for n, cells in enumerate(rows[1:], start=2):
        if not any(text(c) for c in cells):
            continue
        result.rows += 1
        row = _Row(n, cells, cols, head, result.errors)
        (sheet.person_row if row.text("username") else sheet.unit_row)(row)
    sheet.check_units()
    sheet.check_people()
    result.errors.sort(key=lambda e: e.row)
    if result.errors or dry_run:
        return result
    sheet.save_units(result)
    sheet.save_people(result)
    return result
