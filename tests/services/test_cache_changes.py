"""The change counters follow Core statements even after a flush that had nothing to do
(services/cache/changes.py)."""

from __future__ import annotations

import warnings

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import SADeprecationWarning

from planner.extensions import db
from planner.models import Metric, User
from planner.services import cache


def test_a_core_statement_after_a_flush_with_nothing_to_do_still_moves_the_counter(
        app: Flask) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep01"))
        metric = db.session.scalar(select(Metric).order_by(Metric.id))
        assert user is not None and metric is not None
        g0, _u = cache.stamps(user)
        phone = user.phone
        user.phone = (phone or "") + "1"  # dirty, but not in the flush below
        with warnings.catch_warnings():  # flush(objects) is deprecated, yet it exists
            warnings.simplefilter("ignore", SADeprecationWarning)
            db.session.flush([metric])  # before_flush runs, the flush does nothing
        # On the connection, as the bulk writers do (no autoflush before it).
        db.session.connection().execute(update(Metric).where(Metric.id == -1)
                                        .values(name="x"))
        user.phone = phone
        db.session.commit()
        g1, _u = cache.stamps(user)
        assert g1 == g0 + 1
        db.session.remove()


def test_a_customer_handed_to_another_rep_moves_both_reps_counters(app: Flask) -> None:
    from planner.models import Customer

    with app.app_context():
        a, b = (db.session.scalar(select(User.id).where(User.username == n))
                for n in ("rep05", "rep06"))
        customer = db.session.scalar(select(Customer).where(Customer.owner_id == a)
                                     .order_by(Customer.id))
        assert customer is not None
        scopes = [f"u:{a}", f"u:{b}"]
        before = cache.counters(scopes)
        customer.owner_id = b
        db.session.commit()
        moved = cache.counters(scopes)
        assert moved == [before[0] + 1, before[1] + 1]
        # Set while expired (after the commit): the old owner is not known, so the
        # company's counter moves (every rep of it), conservatively.
        user = db.session.get(User, a)
        assert user is not None
        company = cache.stamps(user)[0]
        customer.owner_id = a
        db.session.commit()
        assert cache.stamps(user)[0] == company + 1
        db.session.remove()


def test_a_rep_moved_by_setting_the_unit_object_moves_the_companys_counter(
        app: Flask) -> None:
    from planner.models import OrgUnit

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep07"))
        assert user is not None
        unit = db.session.get(OrgUnit, user.unit_id)
        g0 = cache.stamps(user)[0]
        user.unit = unit  # the same unit, set as an object: nothing changed
        db.session.commit()
        assert cache.stamps(user)[0] == g0
        user = db.session.get(User, user.id)
        assert user is not None
        other = db.session.scalar(select(OrgUnit).where(
            OrgUnit.id != user.unit_id, OrgUnit.company_id == unit.company_id,
            OrgUnit.kind == unit.kind).order_by(OrgUnit.id))
        assert other is not None
        user.unit = other
        db.session.commit()
        assert cache.stamps(user)[0] == g0 + 1
        user.unit = db.session.get(OrgUnit, unit.id)
        db.session.commit()
        db.session.remove()
