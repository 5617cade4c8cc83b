"""What every import shares: the headers of each kind (zh-CN or English, and other
accepted spellings), reading a sheet, a row and its errors, and looking up what a cell
names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ....extensions import db
from ....i18n import gettext, speaks_chinese
from ....models import Metric, Tier
from ... import targets as dc
from ...sheets import csv_unescaped, map_header, read_rows, sniff, text

_ = gettext  # translated in a request, plain English without one (planner.i18n)
in_chinese = speaks_chinese

# Canonical key -> (zh header, en header, other accepted spellings)
HEADERS: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "targets": {
        "scope": ("范围", "Scope", ("单位", "unit", "rep", "销售")),
        "product_line": ("产品线", "Product line", ("product",)),
        "channel": ("渠道", "Channel", ()),
        "customer_type": ("客户类型", "Customer type", ()),
        "metric": ("指标", "Metric", ()),
        "tier": ("档位", "Tier", ()),
        "period": ("期间", "Period", ("年度", "year")),
        "value": ("目标值", "Value", ("目标", "target")),
    },
    "customers": {
        "name": ("客户名称", "Name", ("名称", "客户", "customer")),
        "type": ("客户类型", "Type", ("customer type", "类型")),
        "region": ("区域", "Region", ("市场",)),
        "contact": ("联系人", "Contact", ("contact name",)),
        "phone": ("电话", "Phone", ("手机", "联系电话")),
        "owner": ("负责人", "Owner", ("销售", "销售代表", "rep")),
        "stage": ("阶段", "Stage", ("客户阶段",)),
        "channel": ("渠道", "Channel", ()),
    },
    "history": {
        "rep": ("销售", "Rep", ("销售代表", "owner", "负责人")),
        "metric": ("指标", "Metric", ()),
        "product_line": ("产品线", "Product line", ("product",)),
        "month": ("月份", "Month", ("月",)),
        "value": ("实际值", "Value", ("实际", "actual")),
    },
}
REQUIRED = {"targets": ("scope", "metric", "tier", "period", "value"),
            "customers": ("name", "owner"),
            "history": ("rep", "metric", "month", "value")}
TIER_NAMES = {"base": Tier.BASE, "保底": Tier.BASE, "sprint": Tier.SPRINT, "冲刺": Tier.SPRINT,
              "challenge": Tier.CHALLENGE, "挑战": Tier.CHALLENGE}
TIER_ZH = {Tier.BASE: "保底", Tier.SPRINT: "冲刺", Tier.CHALLENGE: "挑战"}


def header(kind: str, key: str) -> str:
    zh, en, _o = HEADERS[kind][key]
    return zh if in_chinese() else en


def columns_help() -> dict[str, list[str]]:
    return {kind: [header(kind, k) for k in cols] for kind, cols in HEADERS.items()}


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class Result:
    kind: str
    rows: int = 0
    changed: int = 0
    errors: list[RowError] = field(default_factory=list)


def _aliases(kind: str) -> dict[str, tuple[str, ...]]:
    return {k: (zh, en, *other) for k, (zh, en, other) in HEADERS[kind].items()}


def read_sheet(kind: str, data: bytes, filename: str) -> tuple[dict[str, int], list[str],
                                                          list[list[Any]], list[RowError]]:
    from ...sheets import SheetError

    fmt = sniff(data, filename)
    rows = read_rows(data, fmt)
    while rows and not any(text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("empty")
    head = [text(h) for h in rows[0]]
    cols = map_header(head, _aliases(kind))
    errors = [RowError(1, header(kind, k), "", _("This column is missing."))
              for k in REQUIRED[kind] if k not in cols]
    return cols, head, rows[1:], errors


class Row:
    def __init__(self, n: int, cells: list[Any], cols: dict[str, int], head: list[str],
                 kind: str, errors: list[RowError]) -> None:
        self.n, self.cells, self.cols, self.head, self.kind = n, cells, cols, head, kind
        self.errors = errors
        self.bad = False

    def get(self, key: str) -> Any:
        i = self.cols.get(key)
        if i is None or i >= len(self.cells):
            return None
        return self.cells[i]

    def text(self, key: str) -> str:
        """The cell as text (a CSV export's escaped formula-like text as it was)."""
        return csv_unescaped(text(self.get(key)))

    def error(self, key: str, message: str) -> None:
        i = self.cols.get(key)
        col = self.head[i] if i is not None else header(self.kind, key)
        self.errors.append(RowError(self.n, col, self.text(key)[:60], message))
        self.bad = True


def by_name(model: Any, company_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for o in db.session.scalars(select(model).where(model.company_id == company_id)):
        for k in (o.code, o.name, getattr(o, "name_en", "")):
            if k:
                out[str(k).strip().lower()] = o
    return out


def amount(row: Row, key: str, metric: Metric) -> int | None:
    raw = row.get(key)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    try:
        return dc.parse_amount(text(raw), metric)
    except dc.DecomposeError as exc:
        row.error(key, str(exc))
        return None


def sheet_rows(kind: str, cols: dict[str, int], head: list[str], rows: list[list[Any]],
          errors: list[RowError]) -> list[Row]:
    out = []
    for i, cells in enumerate(rows, start=2):
        if not any(text(c) for c in cells):
            continue
        out.append(Row(i, list(cells), cols, head, kind, errors))
    return out
