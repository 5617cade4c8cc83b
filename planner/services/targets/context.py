"""The company as a target decomposition sees it, loaded once: units, reps, product
lines, channels, customer types and last year's actuals. It is what the engine's tree
rules ask (``engine.tree_rules.Company``: the children a target splits into, capability
scores, last year's results) and it names targets for people (``label``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ...engine import Member, Node
from ...extensions import db
from ...models import (
    Channel,
    Company,
    CustomerType,
    FiscalYear,
    Metric,
    MonthlyActual,
    OrgUnit,
    ProductLine,
    Role,
    UnitKind,
    User,
)


@dataclass(frozen=True)
class _Snap:
    id: int
    name: str
    name_en: str
    kind: str = ""
    path: str = "/"


@dataclass
class _Company:
    """Plain snapshots (not ORM objects), so a plan can be computed off the session."""

    company: Company
    units: dict[int, _Snap]
    reps: list[Any]  # rows (id, unit_id, capability, display_name)
    dims: dict[str, list[_Snap]]
    under: dict[int, list[int]] = field(default_factory=dict)  # unit -> its reps, lazily
    capability: dict[int | None, int] = field(default_factory=dict)  # unit -> sum, lazily


def _load_company(company: Company) -> _Company:
    units = {u.id: _Snap(u.id, u.name, u.name_en, u.kind, u.path)
             for u in db.session.scalars(
        select(OrgUnit).where(OrgUnit.company_id == company.id).order_by(
            OrgUnit.sort, OrgUnit.id))}
    reps = list(db.session.execute(
        select(User.id, User.unit_id, User.capability, User.display_name)
        .where(User.unit_id.in_(list(units)), User.role == Role.REP, User.active.is_(True))
        .order_by(User.unit_id, User.username)
    ).all())
    dims: dict[str, list[_Snap]] = {}
    for name, model in (("product_line", ProductLine), ("channel", Channel),
                        ("customer_type", CustomerType)):
        dims[name] = [_Snap(o.id, o.name, o.name_en) for o in db.session.scalars(
            select(model).where(model.company_id == company.id,
                                model.active.is_(True)).order_by(model.sort, model.id))]
    return _Company(company, units, reps, dims)


class Context:
    """The company's units, reps, dimensions and last year's history, loaded once."""

    def __init__(self, fy: FiscalYear, metric: Metric, english: bool = False,
                 like: Context | None = None) -> None:
        """`like`: another metric's context of the same fiscal year and language, whose
        company snapshot (units, reps, dimensions) is shared instead of loaded again."""
        self.fy = fy
        self.metric = metric
        self.english = english
        self._history: dict[tuple[int, int | None], int] | None = None
        self.snap: _Company = (like.snap if like is not None and like.fy is fy
                               and like.english == english else _load_company(fy.company))
        self.company = self.snap.company
        self.units = self.snap.units
        self.reps = self.snap.reps
        self.users = {r.id: r for r in self.reps}
        self.dims = self.snap.dims
        self._rep_paths = {r.id: self.units[r.unit_id].path for r in self.reps}
        self.metric_name = self.name(metric)

    def name(self, obj: Any) -> str:
        return str((obj.name_en or obj.name) if self.english else obj.name)

    # Which reps fall under a scope.
    def users_under(self, unit_id: int | None, user_id: int | None) -> list[int]:
        if user_id is not None:
            return [user_id]
        if unit_id is None:
            return [r.id for r in self.reps]
        if not self.snap.under:
            # Every unit's reps in one pass: a rep belongs to each unit on its unit's path.
            by_path = {u.path: uid for uid, u in self.units.items()}
            under: dict[int, list[int]] = {uid: [] for uid in self.units}
            for rid, p in self._rep_paths.items():
                parts = p.split("/")
                for k in range(1, len(parts)):
                    uid = by_path.get("/".join(parts[:k]) + "/")
                    if uid is not None:
                        under[uid].append(rid)
            self.snap.under.update(under)
        got: list[int] | None = self.snap.under.get(unit_id)
        if got is None:
            path = self.units[unit_id].path
            got = self.snap.under[unit_id] = [
                rid for rid, p in self._rep_paths.items() if p.startswith(path)]
        return got

    def history(self) -> dict[tuple[int, int | None], int]:
        """Last fiscal year's actual of this metric per (user, product line)."""
        if self._history is None:
            start = date(self.fy.start.year - 1, self.fy.start.month, 1)
            end = date(self.fy.end.year - 1, self.fy.end.month, 1)
            rows = db.session.execute(
                select(MonthlyActual.user_id, MonthlyActual.product_line_id,
                       func.sum(MonthlyActual.value))
                .where(MonthlyActual.metric_id == self.metric.id,
                       MonthlyActual.month >= start, MonthlyActual.month <= end)
                .group_by(MonthlyActual.user_id, MonthlyActual.product_line_id)
            ).all()
            self._history = {(u, p): int(v or 0) for u, p, v in rows}
        return self._history

    def last_year(self, m: Member) -> int:
        users = set(self.users_under(m.unit_id, m.user_id))
        total = 0
        for (uid, pl), v in self.history().items():
            if uid in users and (m.product_line_id is None or pl == m.product_line_id):
                total += v
        return total

    def capability(self, m: Member) -> int:
        if m.user_id is not None:
            r = self.users.get(m.user_id)
            return int(r.capability or 0) if r is not None else 0
        key = m.unit_id
        got: int | None = self.snap.capability.get(key)
        if got is None:
            got = self.snap.capability[key] = sum(
                int(self.users[u].capability or 0)
                for u in self.users_under(m.unit_id, None) if u in self.users)
        return got

    def members(self, parent: Node, dim: str) -> list[Member]:
        """The children a node splits into along `dim` (the engine checks first that the
        node's scope allows the split)."""
        base = dict(unit_id=parent.unit_id, user_id=parent.user_id,
                    product_line_id=parent.product_line_id, channel_id=parent.channel_id,
                    customer_type_id=parent.customer_type_id)
        if dim in ("product_line", "channel", "customer_type"):
            return [Member(dim, obj.id, self.name(obj), **{**base, f"{dim}_id": obj.id})
                    for obj in self.dims[dim]]
        if dim in ("region", "team"):
            kind = UnitKind.REGION if dim == "region" else UnitKind.TEAM
            path = self.units[parent.unit_id].path if parent.unit_id else "/"
            return [Member(dim, u.id, self.name(u), **{**base, "unit_id": u.id})
                    for u in self.units.values()
                    if u.kind == kind and u.id != parent.unit_id and u.path.startswith(path)]
        out = []  # rep
        for uid in self.users_under(parent.unit_id, None):
            r = self.users[uid]
            out.append(Member(dim, uid, r.display_name,
                              **{**base, "unit_id": r.unit_id, "user_id": uid}))
        return out

    def member_label(self, node: Node) -> str:
        return self.label(node) if node.dim else "?"

    def label(self, node: Node) -> str:
        if node.dim is None:
            return self.metric_name
        dim = node.dim
        if dim == "rep" and node.user_id in self.users:
            return str(self.users[node.user_id].display_name)
        if dim in ("region", "team") and node.unit_id in self.units:
            return self.name(self.units[node.unit_id])
        if dim in self.dims:
            key = getattr(node, f"{dim}_id")
            for obj in self.dims[dim]:
                if obj.id == key:
                    return self.name(obj)
        return "?"

