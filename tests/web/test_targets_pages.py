"""Every page URL renders as a full page when loaded directly, and the
small things of item 21 that a server test can see: counts said with ngettext, the
calendar's weekday header, "still to go" not red once met, the warning badge's contrast."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from planner.extensions import db
from planner.models import (
    Company,
    Customer,
    FiscalYear,
    Metric,
    Reminder,
    Target,
    Tier,
    User,
    Visit,
    WeeklyReview,
)
from planner.services import notify, reminders
from planner.services import reviews as rv
from planner.services.company import local_today

ROOT = Path(__file__).resolve().parents[2]
HX = {"HX-Request": "true"}
# Not pages: the JSON API, files, the service worker, the manifest.
NOT_PAGES = ("/api/", "/static/", "/vendor/", "/sw.js", "/manifest.webmanifest")


def _ids(app: Flask) -> dict[str, list[str]]:
    """Real values for the path parameters of the page routes (one per kind of record,
    for each role's reach: the company target, a team's, a rep's)."""
    with app.app_context():
        fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
        metric = db.session.scalar(select(Metric).where(Metric.code == "visits"))
        assert fy is not None and metric is not None
        targets = db.session.scalars(select(Target).where(
            Target.fiscal_year_id == fy.id, Target.metric_id == metric.id,
            Target.tier == Tier.BASE).order_by(Target.depth, Target.id)).all()
        by_depth: dict[int, int] = {}
        for t in targets:
            if t.children:
                by_depth.setdefault(t.depth, t.id)
        rep01 = db.session.scalar(select(User.id).where(User.username == "rep01"))
        customer = db.session.scalar(select(Customer.id).where(Customer.owner_id == rep01))
        visit = db.session.scalar(select(Visit.id).where(Visit.user_id == rep01))
        return {"node_id": [str(v) for v in by_depth.values()],
                "customer_id": [str(customer)], "visit_id": [str(visit)],
                "user_id": [str(rep01)]}  # /changes: a person's leave, join, move


@contextmanager
def _walk_records(app: Flask, username: str) -> Iterator[dict[str, list[str]]]:
    """Values for the reminders', reviews' and tracking files' path parameters, with the
    records they need: a reminder of the viewer (and one of someone else's, a 404) and a
    submitted weekly review of rep01 (its own, its manager's and the director's to see).
    The records are removed afterwards: the app and its database serve the whole session."""
    with app.test_request_context():
        viewer = db.session.scalar(select(User).where(User.username == username))
        rep01 = db.session.scalar(select(User).where(User.username == "rep01"))
        other = db.session.scalar(select(User).where(
            User.username == ("rep02" if username != "rep02" else "rep03")))
        company = db.session.scalars(select(Company)).first()
        assert viewer is not None and rep01 is not None and other is not None
        assert company is not None
        before = db.session.scalar(select(func.max(Reminder.id))) or 0
        now = datetime.now(UTC) - timedelta(minutes=1)
        for user in (viewer, other):
            notify.enqueue(user.id, reminders.MORNING_PLAN, "page-walk", now,
                           title="Today's plan", body="A reminder for the page walk.",
                           url="/today")
        reminder_ids = [str(i) for i in db.session.scalars(
            select(Reminder.id).where(Reminder.dedupe_key.in_(
                [notify.dedupe_key(u.id, reminders.MORNING_PLAN, "page-walk")
                 for u in (viewer, other)])).order_by(Reminder.user_id != viewer.id))]
        this_week = rv.week_start(local_today(company))
        monday = next(this_week - timedelta(weeks=k) for k in range(1, 40)
                      if rv.find(rep01.id, this_week - timedelta(weeks=k)) is None)
        review = rv.submit(rep01, monday, {"completed": "Every page walked."}, 0)
        db.session.commit()
        review_id = review.id
        db.session.remove()
    try:
        yield {"reminder_id": reminder_ids, "review_id": [str(review_id)],
               "week": [this_week.isoformat(), monday.isoformat()],
               "fmt": ["xlsx", "csv"], "kind": ["targets", "customers", "history"]}
    finally:
        with app.app_context():
            db.session.execute(delete(Reminder).where(Reminder.id > before))
            gone = db.session.get(WeeklyReview, review_id)
            if gone is not None:
                db.session.delete(gone)
            db.session.commit()
            db.session.remove()


def _page_urls(app: Flask, more: dict[str, list[str]] | None = None) -> list[str]:
    ids = _ids(app) | (more or {})
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(NOT_PAGES):
            continue
        args = sorted(rule.arguments)
        if not args:
            urls.append(rule.rule)
            continue
        assert all(a in ids for a in args), f"add ids for {rule.rule}"
        for values in itertools.product(*(ids[a] for a in args)):
            url = rule.rule
            for name, value in zip(args, values, strict=True):
                url = re.sub(rf"<(?:[^:>]+:)?{name}>", value, url)
            urls.append(url)
    # The query strings that make these routes answer something else.
    extra = [u + q for u in urls if "/children" in u for q in ("?open=0", "?open=1")]
    extra += [u + "?month=" + m for u in urls if u.endswith("/time") for m in ("2026-03",)]
    extra += ["/visits/customers?q=a", "/customers?q=a", "/customers?q=zzzz",
              "/plans/month?month=2026-03", "/calendar?year=2027"]
    return urls + extra


@pytest.mark.parametrize("username", ["director", "manager1", "rep01"])
def test_every_page_url_renders_as_a_full_page_without_hx_request(
    app: Flask, username: str
) -> None:
    client = app.test_client()
    assert login(client, username).status_code == 302
    with _walk_records(app, username) as more:
        _walk(client, _page_urls(app, more))


def _walk(client: FlaskClient, urls: list[str]) -> None:
    failures: list[tuple[object, ...]] = []
    assert any("/children" in u for u in urls)
    assert any(u.startswith("/notifications/") and u.endswith("/open") for u in urls)
    for url in urls:
        resp = client.get(url)
        status = resp.status_code
        if status >= 500 or status not in (200, 302, 404):
            failures.append((url, status))
            continue
        if status == 200 and resp.mimetype == "text/html":
            body = resp.get_data(as_text=True)
            if "<html" not in body or 'class="topbar"' not in body:
                failures.append((url, "a fragment on a direct load"))
        # The same URL as an htmx request answers too (a fragment or the page).
        hx = client.get(url, headers=HX)
        if hx.status_code >= 500:
            failures.append((url, "HX", hx.status_code))
        fragment = (hx.status_code == 200 and hx.mimetype == "text/html"  # not a file
                    and "<html" not in hx.get_data(as_text=True))
        if status == 200 and fragment and "HX-Request" not in resp.vary:
            failures.append((url, "a fragment for htmx without Vary: HX-Request"))
    assert failures == []


def test_the_children_of_a_target_open_as_a_page_of_their_own(app: Flask) -> None:
    client = app.test_client()
    assert login(client, "director").status_code == 302
    node_id = _ids(app)["node_id"][0]
    resp = client.get(f"/targets/node/{node_id}/children?lang=en")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:500]
    assert "<html" in body and 'class="tnode"' in body and "Targets" in body


# ---------------------------------------------------------------- item 21: counts

# A count placeholder followed by an English plural noun: "1 more targets" in English.
COUNTED = re.compile(r"%\((\w+)\)[ds] (?:more |working |of your )?([a-z]+s)\b")
SINGLE = re.compile(r"""(?<![\w.])(?:_|gettext|lazy_gettext|_l)\(\s*(["'])((?:(?!\1).)*)\1""",
                    re.S)


def _msgids(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    # Python's implicit concatenation of adjacent literals inside a call.
    text = re.sub(r"\"\s*\n\s*\"", "", text)
    return [m.group(2) for m in SINGLE.finditer(text)]


def test_counts_are_said_with_ngettext_everywhere() -> None:
    found = []
    files = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "planner").rglob("*.py"))
    for path in files:
        for msgid in _msgids(path):
            if "at most" in msgid.lower():  # a limit, never one
                continue
            for _name, noun in COUNTED.findall(msgid):
                if noun not in ("is", "was", "has", "this", "as"):
                    found.append((path.name, msgid))
    assert found == []


# ---------------------------------------------------------------- item 21: still to go


def test_still_to_go_is_not_red_once_todays_target_is_met(app: Flask) -> None:
    client = app.test_client()
    assert login(client, "rep20").status_code == 302
    token = csrf_token(client, "/today")
    with app.app_context():
        rep = db.session.scalar(select(User.id).where(User.username == "rep20"))
        customer = db.session.scalar(select(Customer.id).where(Customer.owner_id == rep)
                                     .order_by(Customer.id))
    resp = client.post("/visits/new", data={
        "csrf_token": token, "context": "page", "customer_id": str(customer),
        "kind": "existing", "purpose": "签约", "amount_signed": "900000"})
    assert resp.status_code in (200, 303), resp.get_data(as_text=True)[:500]
    body = client.get("/today?lang=en").get_data(as_text=True)
    cells = re.findall(r'<dd class="remaining-today([^"]*)" data-value="(-?\d+)"', body)
    assert cells
    assert all(("met" in cls) == (int(v) <= 0) for cls, v in cells), cells
    revenue = re.search(r'id="m-revenue".*?<dd class="remaining-today([^"]*)" '
                        r'data-value="(-?\d+)"', body, re.S)
    assert revenue is not None and revenue.group(2) == "0" and "met" in revenue.group(1)
    css = (ROOT / "static/css/rep.css").read_text(encoding="utf-8")
    assert re.search(r"dd\.remaining-today\.met\s*\{\s*color:\s*var\(--ok\)", css)


# ---------------------------------------------------------------- item 21: contrast


def _hex(text: str) -> tuple[float, float, float]:
    h = text.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _contrast(fg: str, bg: str) -> float:
    def lum(c: str) -> float:
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
                   for x in _hex(c))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_badges_and_banners_have_at_least_4_5_to_1_contrast() -> None:
    css = (ROOT / "static/css/app.css").read_text(encoding="utf-8")
    names = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    checked = []
    for sel, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6}|var\(--([\w-]+)\))", body)
        bg = re.search(r"background:\s*(#[0-9a-fA-F]{3,6}|var\(--([\w-]+)\))", body)
        if not (fg and bg) or not re.search(r"\.(badge|banner|flash|error)", sel):
            continue
        colors = [names[m.group(2)] if m.group(2) else m.group(1) for m in (fg, bg)]
        checked.append((sel.strip(), round(_contrast(*colors), 2)))
    assert any(".badge.warn" in s for s, _r in checked)
    assert [(s, r) for s, r in checked if r < 4.5] == []


def test_previews_and_applies_posted_without_htmx_answer_full_pages(app: Flask) -> None:
    """A form posted without JavaScript (or reloaded) gets a page, never a fragment."""
    client = app.test_client()
    assert login(client, "director").status_code == 302
    token = csrf_token(client, "/targets")
    with app.app_context():
        from planner.services import decompose as dc

        fy = db.session.scalar(select(FiscalYear).order_by(FiscalYear.year.desc()))
        metric = db.session.scalar(select(Metric).where(Metric.code == "return_visits"))
        assert fy is not None and metric is not None
        root = dc.load_tree(fy, metric, Tier.BASE).roots[0]
        rep = next(n for n in root.walk() if n.user_id is not None)
        root_id, rep_id, rep_value = root.id, rep.id, rep.value
    posts = [
        (rep_id, "edit", {"value": str(rep_value)}),
        (rep_id, "lock", {"locked": "0"}),
        (root_id, "decompose", {"dim1": "region", "dim2": "team", "dim3": "rep",
                                "method": "capability"}),
        (root_id, "time", {"time_method": "working_days"}),
        (root_id, "time", {"time_method": "growth", "numbers": "1"}),  # refused: 422
    ]
    for node_id, action, data in posts:
        for step in ("preview", "apply"):
            resp = client.post(f"/targets/node/{node_id}/{action}/{step}?lang=en",
                               data={"csrf_token": token, **data})
            body = resp.get_data(as_text=True)
            assert resp.status_code in (200, 422), (action, step, body[:300])
            assert "<html" in body and 'class="topbar"' in body, (action, step)
