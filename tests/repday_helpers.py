"""Helpers shared by the rep's-day tests."""

from __future__ import annotations

from typing import Any

from conftest import csrf_token, login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import ActionPlan, Customer, DailyPlan, DailyPlanItem, Stage, User, Visit


def client_for(app: Flask, username: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c, csrf_token(c, "/today")


def user(username: str) -> User:
    u = db.session.scalar(select(User).where(User.username == username))
    assert u is not None
    return u


def a_customer_of(username: str, offset: int = 0) -> Customer:
    c = db.session.scalars(select(Customer).join(Stage).where(
        Customer.owner_id == user(username).id, Stage.is_lost.is_(False))
        .order_by(Customer.id).offset(offset).limit(1)).first()
    assert c is not None
    return c


def snapshot(app: Flask) -> dict[str, Any]:
    """What a rejected request must leave unchanged."""
    with app.app_context():
        return {
            "visits": db.session.scalar(select(func.count(Visit.id))),
            "customers": db.session.scalar(select(func.count(Customer.id))),
            "customer_rows": db.session.execute(select(
                Customer.id, Customer.stage_id, Customer.next_follow_up, Customer.name)
                .order_by(Customer.id)).all(),
            "plans": db.session.scalar(select(func.count(DailyPlan.id))),
            "plan_items": db.session.scalar(select(func.count(DailyPlanItem.id))),
            "action_plans": db.session.execute(select(
                ActionPlan.id, ActionPlan.key_actions).order_by(ActionPlan.id)).all(),
            "stages": db.session.execute(select(
                Stage.id, Stage.name, Stage.sort, Stage.active).order_by(Stage.id)).all(),
        }
