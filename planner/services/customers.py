"""Customers and leads: search, the stage board, moving a customer between stages, and
the admin's stage list (rename, reorder, add, deactivate)."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from .. import access
from ..extensions import db
from ..models import Customer, Stage, User, Visit
from ..parsing import parse_id
from ..refusal import refuse
from . import stage_history

NAME_MAX = 120


def _like(q: str) -> str:
    esc = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


PAGE_SIZE = 50  # rows of the customer list per page ("more" loads the next)
BOARD_MAX = 2000  # cards on the stage board; past it the board says how many are left out


def _matching(viewer: User, q: str, owner_id: int | None) -> Select[Customer]:
    stmt = access.customers(viewer)
    if owner_id is not None:
        stmt = stmt.where(Customer.owner_id == owner_id)
    q = (q or "").strip()[:100]
    if q:
        pat = _like(q)
        stmt = stmt.where(or_(*(col.ilike(pat, escape="\\") for col in (
            Customer.name, Customer.contact_name, Customer.phone, Customer.address))))
    return stmt


def search_customers(viewer: User, q: str = "", owner_id: int | None = None,
                     limit: int = PAGE_SIZE, offset: int = 0) -> list[Customer]:
    """The viewer's visible customers matching `q` (name, contact, phone, address);
    overdue and soonest follow-ups first (then by name and id, so pages are stable)."""
    stmt = _matching(viewer, q, owner_id).options(joinedload(Customer.stage),
                                                  joinedload(Customer.owner))
    stmt = stmt.order_by(Customer.next_follow_up.is_(None), Customer.next_follow_up,
                         Customer.name, Customer.id).limit(limit).offset(offset)
    return list(db.session.scalars(stmt).unique())


def count_customers(viewer: User, q: str = "", owner_id: int | None = None) -> int:
    """How many customers search_customers would find without a limit."""
    sub = _matching(viewer, q, owner_id).with_only_columns(Customer.id).subquery()
    return int(db.session.scalar(select(func.count()).select_from(sub)) or 0)


def active_stages(company_id: int) -> list[Stage]:
    return list(db.session.scalars(
        select(Stage).where(Stage.company_id == company_id, Stage.active.is_(True))
        .order_by(Stage.sort, Stage.id)))


def all_stages(company_id: int) -> list[Stage]:
    return list(db.session.scalars(
        select(Stage).where(Stage.company_id == company_id)
        .order_by(Stage.active.desc(), Stage.sort, Stage.id)))


def board(viewer: User, owner_id: int | None = None) -> list[tuple[Stage, list[Customer]]]:
    """Columns of the stage board: each active stage with its customers (the first
    BOARD_MAX by follow-up; the view shows count_customers beside it when more exist)."""
    stages = active_stages(viewer.unit.company_id)
    cards = search_customers(viewer, owner_id=owner_id, limit=BOARD_MAX)
    by_stage: dict[int, list[Customer]] = {s.id: [] for s in stages}
    for c in cards:
        if c.stage_id in by_stage:
            by_stage[c.stage_id].append(c)
    return [(s, by_stage[s.id]) for s in stages]


def find_stage(company_id: int, raw: str) -> Stage | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    sid = parse_id(raw) or -1  # a code, or an id; a huge or non-ASCII number is neither
    return db.session.scalar(select(Stage).where(
        Stage.company_id == company_id, Stage.active.is_(True),
        (Stage.code == raw) | (Stage.id == sid)))


def move_stage(customer: Customer, raw_stage: str, today: date) -> None:
    """Move a customer to another stage (Refused: no such stage)."""
    stage = find_stage(customer.company_id, raw_stage)
    if stage is None:
        refuse("stage", _("That stage does not exist."))
    stage_history.record_move(customer, stage.id, today)
    if stage.id != customer.stage_id:
        customer.stage_id = stage.id
        if stage.is_won and customer.first_won_on is None:
            customer.first_won_on = today
    db.session.flush()


def customer_visits(customer: Customer, limit: int = 100) -> list[Visit]:
    return list(db.session.scalars(
        select(Visit).where(Visit.customer_id == customer.id)
        .order_by(Visit.visited_at.desc()).limit(limit)))


# ------------------------------------------------------------------ stage admin


def _check_name(company_id: int, name: str, name_en: str, stage_id: int | None) -> None:
    """Refused (field "name") unless the name is given, short enough and not taken."""
    if not name:
        refuse("name", _("Enter a name."))
    if len(name) > NAME_MAX or len(name_en) > NAME_MAX:
        refuse("name", _("A name can have at most %(n)s characters.", n=NAME_MAX))
    clash = db.session.scalar(select(Stage.id).where(
        Stage.company_id == company_id, func.lower(Stage.name) == name.lower(),
        Stage.id != (stage_id or -1)))
    if clash is not None:
        refuse("name", _("Another stage already has that name."))


def add_stage(company_id: int, name: str, name_en: str) -> Stage:
    name, name_en = name.strip(), name_en.strip()
    _check_name(company_id, name, name_en, None)
    base = re.sub(r"[^a-z0-9]+", "-", name_en.lower()).strip("-")[:30] or "stage"
    codes = set(db.session.scalars(select(Stage.code).where(Stage.company_id == company_id)))
    code, n = base, 1
    while code in codes:
        n += 1
        code = f"{base}-{n}"
    top = db.session.scalar(select(func.max(Stage.sort)).where(Stage.company_id == company_id))
    stage = Stage(company_id=company_id, code=code, name=name, name_en=name_en,
                  sort=(top or 0) + 1, active=True)
    # A new stage goes before the closing stages (won / lost).
    closing = [s for s in active_stages(company_id) if s.is_won or s.is_lost]
    if closing:
        first_close = min(s.sort for s in closing)
        for s in db.session.scalars(select(Stage).where(Stage.company_id == company_id,
                                                        Stage.sort >= first_close)):
            s.sort += 1
        stage.sort = first_close
    db.session.add(stage)
    db.session.flush()
    return stage


def rename_stage(stage: Stage, name: str, name_en: str) -> None:
    name, name_en = name.strip(), name_en.strip()
    _check_name(stage.company_id, name, name_en, stage.id)
    stage.name, stage.name_en = name, name_en
    db.session.flush()


def move_stage_order(stage: Stage, direction: str) -> None:
    stages = active_stages(stage.company_id)
    if stage not in stages:
        refuse("stage", _("Only an active stage can be moved."))
    i = stages.index(stage)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or not 0 <= j < len(stages):
        refuse("stage", _("That stage cannot move further."))
    stages[i], stages[j] = stages[j], stages[i]
    for n, s in enumerate(stages):
        s.sort = n
    db.session.flush()


def set_stage_active(stage: Stage, active: bool) -> None:
    if active:
        stage.active = True
        top = db.session.scalar(select(func.max(Stage.sort)).where(
            Stage.company_id == stage.company_id, Stage.active.is_(True), Stage.id != stage.id))
        stage.sort = (top or 0) + 1
        db.session.flush()
        return
    n = db.session.scalar(select(func.count(Customer.id)).where(Customer.stage_id == stage.id))
    if n:
        refuse("stage", ngettext(
            "%(num)d customer is at this stage: move them to another stage first.",
            "%(num)d customers are at this stage: move them to another stage first.", n))
    if len(active_stages(stage.company_id)) <= 2:
        refuse("stage", _("Keep at least two active stages."))
    if stage.is_won and sum(1 for s in active_stages(stage.company_id) if s.is_won) == 1:
        refuse("stage", _("Keep one active stage that means won: new customers are counted "
                          "from it."))
    stage.active = False
    db.session.flush()
