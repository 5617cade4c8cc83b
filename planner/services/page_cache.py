"""A rendered page kept in the database until something it shows changes (Today).

`cached_page(name, user, day, render)` answers the HTML stored for the user when the
stored key equals the current key, else renders it (once per change) and stores it.
The key is everything the page shows:

- the code: a hash of the templates, static files, the package (code, translations)
  and CODE_VERSION;
- the user, the company's day (and timezone), the locale and the script root;
- the change counters of plan_cache: "*" (targets, calendar, metrics, company...),
  "u:<id>" (the rep's visits and customers), "p:<id>" (any other row naming the user:
  their daily plans and items, their own row...) and "p*" (any other table: units,
  stages, product lines...; see plan_cache.PAGE_IGNORE for the tables no page shows);
- values that change without a write, or that other users' writes move: the unread
  reminders (they fall due with time) and the reviews waiting for the viewer.

What differs per request is left out of the stored copy: the CSRF token is rendered as a
mark and replaced on the way out, and a request with flashed messages renders afresh
(and stores nothing). Reads never wait: a miss is stored in a short transaction of its
own, and only while serving a GET that has written nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Company, OrgUnit, PlanStamp, SummaryCache, User
from . import plan_cache, webpush
from .company import today_in

log = logging.getLogger(__name__)

CODE_VERSION = 1
# Rendered in place of the CSRF token in a stored page; replaced by the request's token.
CSRF_MARK = "planner-csrf-mark-7b1d2e"
_VERSION = "planner_page_version"


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
        h.update(webpush.public_key(webpush.app_key(app)).encode())  # the bell's data-key
        found = app.extensions[_VERSION] = h.hexdigest()[:16]
    return str(found)


def enabled() -> bool:
    return bool(current_app.config.get("PAGE_CACHE", True))


class PageQuery:
    """The one statement a cached page costs: its stored copy, the four counters, the
    user's company's timezone (the page's day) and `values` (scalar SELECTs of what else
    the page shows that no counter follows; they may use bind parameters), built once."""

    def __init__(self, name: str, values: Sequence[Select[Any]] = ()) -> None:
        self.name = name
        stamp = [select(PlanStamp.n).where(PlanStamp.scope == bindparam(f"scope{i}"))
                 .scalar_subquery() for i in range(4)]
        tz = (select(Company.timezone).join(OrgUnit, OrgUnit.company_id == Company.id)
              .where(OrgUnit.id == bindparam("unit_id")).scalar_subquery())
        self.stmt = select(
            select(SummaryCache.data).where(SummaryCache.key == bindparam("row_key"))
            .scalar_subquery(), tz, *stamp, *(v.scalar_subquery() for v in values))


def cached_page(query: PageQuery, user: User, render: Callable[[str], str],
                params: dict[str, Any] | None = None) -> str:
    """The page's HTML for this request. `render(csrf)` renders it with `csrf` in place
    of the CSRF token; `params`: the bind parameters of the query's values."""
    if not enabled() or session.get("_flashes"):
        return render(generate_csrf())
    row_key = f"page|{query.name}|{user.id}"
    scopes = [plan_cache.GLOBAL, f"u:{user.id}", f"p:{user.id}", plan_cache.PAGE]
    row = db.session.execute(query.stmt, {
        "row_key": row_key, "unit_id": user.unit_id,
        **{f"scope{i}": s for i, s in enumerate(scopes)}, **(params or {})}).one()
    raw, tz = row[0], row[1]
    day = today_in(tz)
    parts = (code_version(), query.name, user.id, day.isoformat(), str(get_locale()),
             request.script_root, tz, *(v or 0 for v in row[2:]))
    key = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    if raw is not None and raw.startswith(key + "\n"):
        html = str(raw)[len(key) + 1:]
    else:
        html = render(CSRF_MARK)
        _store(row_key, f"{key}\n{html}")
    return html.replace(CSRF_MARK, generate_csrf())


def _store(row_key: str, data: str) -> None:
    from ..db import write_intent

    if write_intent.get() or plan_cache._session_wrote():
        return
    token = write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            plan_cache._short_locks(conn)
            conn.execute(text(
                "INSERT INTO summary_cache (key, data, computed_at) VALUES (:k, :d, :t) "
                "ON CONFLICT (key) DO UPDATE SET data = excluded.data, "
                "computed_at = excluded.computed_at"),
                {"k": row_key, "d": data, "t": datetime.now(UTC)})
    except SQLAlchemyError as exc:  # pragma: no cover - the next request renders again
        log.warning("page cache store failed: %s", exc)
    finally:
        write_intent.reset(token)
