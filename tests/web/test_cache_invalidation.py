"""What a write clears, by the declared map (services/cache/tables.py): a password
rehash or a new session token clears nobody's page or plan, a user's name only that
user's page, and one company's writes never another company's cache."""

from __future__ import annotations

from collections.abc import Callable

from conftest import login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from planner.extensions import db
from planner.models import Company, Metric, MetricUnit, PlanCache, SummaryCache, User
from planner.services import cache
from planner.services.cache.changes import company_scope

MARK = "<p>doctored</p>"


def _uid(app: Flask, username: str) -> int:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        db.session.remove()
    assert uid is not None
    return int(uid)


def _stored(app: Flask, client: FlaskClient, uid: int) -> None:
    """Today served (and stored), then its stored copy doctored under its key."""
    assert client.get("/today").status_code == 200
    assert client.get(f"/api/v1/today?user={uid}").status_code == 200  # the plan stored
    key = f"page|today|{uid}"
    with app.app_context():
        raw = db.session.scalar(select(SummaryCache.data).where(SummaryCache.key == key))
        assert raw is not None
        db.session.execute(update(SummaryCache).where(SummaryCache.key == key).values(
            data=raw.replace("</main>", MARK + "</main>")))
        db.session.commit()
        db.session.remove()


def _page_kept(client: FlaskClient) -> bool:
    return MARK in client.get("/today").get_data(as_text=True)


def _plan_kept(app: Flask, uid: int) -> bool:
    with app.app_context():
        user = db.session.get(User, uid)
        assert user is not None
        row = db.session.get(PlanCache, uid)
        kept = row is not None and row.key == cache.plan.cache_key(
            user, cache.plan.local_today(user.company))
        db.session.remove()
    return kept


def _write(app: Flask, change: Callable[[], None]) -> None:
    with app.app_context():
        change()
        db.session.commit()
        db.session.remove()


def _set_user(uid: int, **values: object) -> Callable[[], None]:
    def change() -> None:
        user = db.session.get(User, uid)
        assert user is not None
        for k, v in values.items():
            setattr(user, k, v)
    return change


def test_a_password_rehash_or_new_session_token_clears_no_other_users_cache(
        app: Flask) -> None:
    rep = app.test_client()
    assert login(rep, "rep03").status_code == 302
    uid, other = _uid(app, "rep03"), _uid(app, "rep04")
    _stored(app, rep, uid)
    with app.app_context():
        user = db.session.get(User, other)
        assert user is not None
        old_hash, old_token = user.password_hash, user.session_token
        db.session.remove()
    _write(app, _set_user(other, password_hash=old_hash + "x"))
    _write(app, _set_user(other, session_token="rotated-" + str(old_token)[:20]))
    assert _plan_kept(app, uid) and _page_kept(rep)
    _write(app, _set_user(other, password_hash=old_hash, session_token=old_token))
    assert _plan_kept(app, uid) and _page_kept(rep)


def test_a_users_name_clears_that_users_page_and_a_unit_move_the_companys(
        app: Flask) -> None:
    rep = app.test_client()
    assert login(rep, "rep03").status_code == 302
    uid, other = _uid(app, "rep03"), _uid(app, "rep04")
    _stored(app, rep, uid)
    with app.app_context():
        user, mine = db.session.get(User, other), db.session.get(User, uid)
        assert user is not None and mine is not None
        name, unit_id, my_name = user.display_name, user.unit_id, mine.display_name
        db.session.remove()
    _write(app, _set_user(other, display_name=name + " Jr"))
    assert _plan_kept(app, uid) and _page_kept(rep)
    _write(app, _set_user(uid, display_name=my_name + " Jr"))  # the top bar shows it
    assert _plan_kept(app, uid) and not _page_kept(rep)
    _write(app, _set_user(uid, display_name=my_name))
    _stored(app, rep, uid)
    _write(app, _set_user(other, unit_id=unit_id))  # no change: nothing moves
    assert _page_kept(rep)
    _write(app, _set_user(other, active=False))  # the team's sums: the whole company
    assert not _plan_kept(app, uid) and not _page_kept(rep)
    _write(app, _set_user(other, active=True, display_name=name))


def test_one_companys_writes_leave_another_companys_cache(app: Flask) -> None:
    rep = app.test_client()
    assert login(rep, "rep03").status_code == 302
    uid = _uid(app, "rep03")
    with app.app_context():
        user = db.session.get(User, uid)
        assert user is not None
        ours = company_scope(user.unit.company_id)
        db.session.remove()
    _stored(app, rep, uid)

    def other_company() -> None:
        company = Company(name="Other Co")
        db.session.add(company)
        db.session.flush()
        db.session.add(Metric(company_id=company.id, code="x", name="X", unit=MetricUnit.COUNT,
                              additive=True, source="visits"))

    with app.app_context():
        before = cache.counters([ours])
        other_company()
        db.session.commit()
        other = db.session.scalar(select(Company.id).where(Company.name == "Other Co"))
        theirs = company_scope(other)
        moved = cache.counters([theirs])[0]
        # A Core statement whose writer names its company moves that company's counter.
        cache.company_writes(db.session.connection(), other)
        db.session.execute(update(Metric).where(Metric.company_id == other)
                           .values(name="Y"))
        db.session.commit()
        assert cache.counters([theirs])[0] == moved + 1
        assert cache.counters([ours]) == before
        db.session.remove()
    assert _plan_kept(app, uid) and _page_kept(rep)

    def drop() -> None:
        company = db.session.get(Company, other)
        for metric in db.session.scalars(select(Metric).where(Metric.company_id == other)):
            db.session.delete(metric)
        db.session.flush()
        db.session.delete(company)

    _write(app, drop)
    assert _plan_kept(app, uid) and _page_kept(rep)
    # A Core statement naming no company: every company's cache goes (conservative).
    _write(app, lambda: db.session.execute(update(Metric).where(Metric.id == -1)
                                           .values(name="Z")))
    assert not _plan_kept(app, uid) and not _page_kept(rep)


def test_the_base_template_gets_todays_badges_as_values(app: Flask) -> None:
    """The context processors hand values (services/cache/badges.py), counted once per
    request, not callables that query the database from the template."""
    from flask import template_rendered

    seen: list[dict[str, object]] = []

    def record(_app: Flask, template: object, context: dict[str, object], **_k: object) -> None:
        seen.append(context)

    manager = app.test_client()
    with app.app_context():
        name = db.session.scalar(select(User.username).where(User.role == "manager")
                                 .order_by(User.id))
        db.session.remove()
    assert name is not None and login(manager, name).status_code == 302
    template_rendered.connect(record, app)
    try:
        assert manager.get("/customers").status_code == 200
    finally:
        template_rendered.disconnect(record, app)
    ctx = seen[-1]
    assert isinstance(ctx["bell_unread"], int) and isinstance(ctx["reviews_waiting"], int)
    assert isinstance(ctx["offline_day"], dict) and isinstance(ctx["push_public_key"], str)
    assert isinstance(ctx["nav_items"], list) and ctx["nav_items"]
