"""A rendered page kept in the database until something it shows changes (Today).

`cached_page(query, user, render, ...)` answers the HTML stored for the user when the
stored key equals the current key, else renders it (once per change) and stores it.
The key is everything the page shows:

- the code: a hash of the templates, static files, the package (code, translations)
  and CODE_VERSION;
- the user, the company's day (and timezone), the locale and the script root;
- the change counters "*:<company>", "u:<user>" and "p:<user>" (tables.py says which
  write moves which);
- the values the query declares (badges.py: what moves without a write, or with other
  users' writes: the unread reminders, the reviews waiting).

What differs per request is left out of the stored copy: the CSRF token is rendered as a
mark and replaced on the way out, and a request with flashed messages renders afresh
(and stores nothing). Reads never wait: a miss is stored by store.store_apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import Select, String, bindparam, cast, literal, select, text

from ...extensions import db
from ...models import Company, OrgUnit, PlanStamp, SummaryCache, User
from .. import reminders
from ..company import today_in
from .store import store_apart

CODE_VERSION = 2
# Rendered in place of the CSRF token in a stored page; replaced by the request's token.
CSRF_MARK = "planner-csrf-mark-7b1d2e"
_VERSION = "planner_page_version"
_STORE = text("INSERT INTO summary_cache (key, data, computed_at) VALUES (:k, :d, :t) "
              "ON CONFLICT (key) DO UPDATE SET data = excluded.data, "
              "computed_at = excluded.computed_at")


def code_version() -> str:
    """A hash of what renders the pages (templates, static files, the package's code and
    translations), found once per process: workers running other code never share a
    stored page."""
    app = current_app
    found = app.extensions.get(_VERSION)
    if found is None:
        h = hashlib.sha256(str(CODE_VERSION).encode())
        # The Python package too: a filter or a view that changes renders another page.
        roots = [app.template_folder, app.static_folder, app.root_path]
        for root in roots:
            if not root:
                continue
            base = Path(app.root_path, root) if not Path(root).is_absolute() else Path(root)
            for f in sorted(p for p in base.rglob("*") if p.is_file()
                            and "__pycache__" not in p.parts and p.suffix != ".pyc"):
                h.update(str(f.relative_to(base)).encode())
                h.update(f.read_bytes())
        h.update(reminders.public_key(reminders.app_key(app)).encode())  # the bell's data-key
        found = app.extensions[_VERSION] = h.hexdigest()[:16]
    return str(found)


def enabled() -> bool:
    return bool(current_app.config.get("PAGE_CACHE", True))


class PageQuery:
    """The one statement a cached page costs: its stored copy, the user's company's
    timezone (the page's day), the three counters and `values` (scalar SELECTs of what
    else the page shows that no counter follows; they may use bind parameters), built
    once."""

    def __init__(self, name: str, values: Sequence[Select[Any]] = ()) -> None:
        self.name = name
        unit = OrgUnit.id == bindparam("unit_id")
        company = select(OrgUnit.company_id).where(unit).scalar_subquery()
        scopes = [literal("*:") + cast(company, String),
                  bindparam("rep_scope"), bindparam("page_scope")]
        stamp = [select(PlanStamp.n).where(PlanStamp.scope == s).scalar_subquery()
                 for s in scopes]
        tz = (select(Company.timezone).join(OrgUnit, OrgUnit.company_id == Company.id)
              .where(unit).scalar_subquery())
        self.stmt = select(
            select(SummaryCache.data).where(SummaryCache.key == bindparam("row_key"))
            .scalar_subquery(), tz, *stamp, *(v.scalar_subquery() for v in values))


def cached_page(query: PageQuery, user: User,
                render: Callable[[str, str, Sequence[Any]], str], *,
                csrf: Callable[[], str], script_root: str = "", afresh: bool = False,
                params: dict[str, Any] | None = None) -> str:
    """The page's HTML for this request. `render(csrf, tz, values)` renders it with
    `csrf` in place of the CSRF token and the query's `values` (the page shows what its
    key holds); `params`: the bind parameters of the values; `afresh`: render, and
    store nothing (a request with flashed messages)."""
    row = db.session.execute(query.stmt, {
        "row_key": f"page|{query.name}|{user.id}", "unit_id": user.unit_id,
        "rep_scope": f"u:{user.id}", "page_scope": f"p:{user.id}", **(params or {})}).one()
    raw, tz, values = row[0], row[1], tuple(row[5:])
    if not enabled() or afresh:
        return render(csrf(), tz, values)
    day = today_in(tz)
    parts = (code_version(), query.name, user.id, day.isoformat(), str(get_locale()),
             script_root, tz, *(v or 0 for v in row[2:]))
    key = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    if raw is not None and raw.startswith(key + "\n"):
        html = str(raw)[len(key) + 1:]
    else:
        html = render(CSRF_MARK, tz, values)
        store_apart("page", [(_STORE, {"k": f"page|{query.name}|{user.id}",
                                       "d": f"{key}\n{html}", "t": datetime.now(UTC)})])
    return html.replace(CSRF_MARK, csrf())
