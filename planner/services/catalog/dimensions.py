"""Product lines, channels and customer types: add, rename (zh and en), reorder, retire
(kept for history and existing targets, not offered for new ones) and bring back.
Codes are unique within a company. Audited; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ...extensions import db
from ...models import Channel, CustomerType, ProductLine, User
from ...refusal import refuse, refuse_fields
from ..org import audit, fields
from ..org.fields import _

MODELS: dict[str, Any] = {"product_line": ProductLine, "channel": Channel,
                          "customer_type": CustomerType}


def model_of(dim: str) -> Any:
    model = MODELS.get(dim)
    if model is None:
        raise LookupError(dim)
    return model


def entries(company_id: int, dim: str) -> list[Any]:
    model = model_of(dim)
    return list(db.session.scalars(select(model).where(model.company_id == company_id)
                                   .order_by(model.active.desc(), model.sort, model.id)))


def get(company_id: int, dim: str, entry_id: int | None) -> Any:
    model = model_of(dim)
    entry = db.session.get(model, entry_id) if entry_id is not None else None
    if entry is None or entry.company_id != company_id:
        raise LookupError(entry_id)
    return entry


def add(actor: User, company_id: int, dim: str, code_text: Any, name: Any,
        name_en: Any) -> Any:
    model = model_of(dim)
    errors: dict[str, str] = {}
    code = fields.code(errors, "code", code_text)
    zh = fields.name(errors, "name", name)
    en = fields.name(errors, "name_en", name_en, required=False)
    if "code" not in errors and db.session.scalar(select(model.id).where(
            model.company_id == company_id, func.lower(model.code) == code.lower())):
        errors["code"] = _("This code is used already.")
    refuse_fields(errors)
    last = db.session.scalar(select(func.max(model.sort)).where(
        model.company_id == company_id))
    entry = model(company_id=company_id, code=code, name=zh, name_en=en,
                  sort=(last if last is not None else -1) + 1, active=True)
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "create", dim, entry.id, None, None, f"{code} {zh}")
    db.session.flush()
    return entry


def rename(actor: User, dim: str, entry: Any, name: Any, name_en: Any) -> None:
    errors: dict[str, str] = {}
    zh = fields.name(errors, "name", name)
    en = fields.name(errors, "name_en", name_en, required=False)
    refuse_fields(errors)
    audit.changes(actor, dim, entry, {"name": zh, "name_en": en})
    db.session.flush()


def reorder(actor: User, dim: str, entry: Any, direction: str) -> None:
    """Swap the entry with its neighbour among the active entries (up or down)."""
    active = [e for e in entries(entry.company_id, dim) if e.active]
    if entry not in active:
        refuse("entry", _("A retired entry has no place in the order."))
    for i, e in enumerate(active):  # make the order dense first
        e.sort = i
    i = active.index(entry)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(active):
        other = active[j]
        entry.sort, other.sort = other.sort, entry.sort
        audit.record(actor, "reorder", dim, entry.id, "sort", i, j)
    db.session.flush()


def set_active(actor: User, dim: str, entry: Any, active: bool) -> None:
    if entry.active == active:
        return
    entry.active = active
    audit.record(actor, "restore" if active else "retire", dim, entry.id, "active",
                 not active, active)
    db.session.flush()
