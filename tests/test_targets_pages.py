"""Every page URL renders as a full page when loaded directly (issue 8 item 10), and the
small things of item 21 that a server test can see: counts said with ngettext, the
calendar's weekday header, "still to go" not red once met, the warning badge's contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import login
from flask import Flask
from sqlalchemy import select

from planner.extensions import db
from planner.models import Customer, FiscalYear, Metric, Target, Tier, User, Visit

ROOT = Path(__file__).resolve().parent.parent
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
                "customer_id": [str(customer)], "visit_id": [str(visit)]}


def _page_urls(app: Flask) -> list[str]:
    ids = _ids(app)
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(NOT_PAGES):
            continue
        args = sorted(rule.arguments)
        if not args:
            urls.append(rule.rule)
            continue
        assert len(args) == 1 and args[0] in ids, f"add ids for {rule.rule}"
        for value in ids[args[0]]:
            urls.append(re.sub(r"<[^>]+>", value, rule.rule))
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
    failures = []
    urls = _page_urls(app)
    assert any("/children" in u for u in urls)
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
        fragment = hx.status_code == 200 and "<html" not in hx.get_data(as_text=True)
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
