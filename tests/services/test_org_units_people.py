"""Units (add, rename, move with the subtree's paths, close), people (add, role, the last
administrator, deactivation with its effects) and invitations (expire, used once), in a
second company of the shared database (the demo company's figures stay as they are)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from org_helpers import second_company
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import (
    AuditLog,
    Invitation,
    OrgUnit,
    PushSubscription,
    Reminder,
    ReminderStatus,
    Role,
    User,
)
from planner.refusal import Refused
from planner.services.org import deactivate_user, invitations, people, units


@pytest.fixture()
def app(org_app: Flask) -> Flask:
    """The demo company and a second one, in a database of their own (conftest)."""
    return org_app


@pytest.fixture()
def ctx(app: Flask) -> Iterator[dict[str, int]]:
    ids = second_company(app)
    with app.app_context():
        yield ids
        db.session.rollback()
        db.session.remove()


def admin() -> User:
    u = db.session.scalar(select(User).where(User.username == "second_admin"))
    assert u is not None
    return u


def demo(username: str) -> User:
    u = db.session.scalar(select(User).where(User.username == username))
    assert u is not None
    return u


def unit(code: str, company: int) -> OrgUnit:
    u = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code,
                                                OrgUnit.company_id == company))
    assert u is not None
    return u


def test_a_second_company_may_use_the_demo_companys_unit_codes(ctx: dict[str, int]) -> None:
    assert {"east", "sh"} <= set(ctx)
    demo_east = unit("east", demo("director").unit.company_id)
    assert demo_east.id != ctx["east"]


def test_unit_codes_are_unique_within_a_company(ctx: dict[str, int]) -> None:
    root = admin().unit
    with pytest.raises(Refused) as exc:
        units.add_unit(admin(), root.id, "region", "EAST", "又一个东区", "")
    assert "code" in exc.value.fields


def test_an_empty_name_and_a_bad_kind_are_refused_next_to_their_fields(
        ctx: dict[str, int]) -> None:
    with pytest.raises(Refused) as exc:
        units.add_unit(admin(), admin().unit_id, "county", "c1", "  ", "")
    assert {"name", "kind"} <= set(exc.value.fields)


def test_moving_a_unit_rewrites_the_whole_subtrees_paths_and_refuses_its_own_subtree(
        ctx: dict[str, int]) -> None:
    me = admin()
    north = units.add_unit(me, me.unit_id, "region", "mv-north", "北区", "North")
    sub = units.add_unit(me, north.id, "region", "mv-sub", "北一区", "")
    team = units.add_unit(me, sub.id, "team", "mv-team", "北一组", "")
    db.session.flush()
    with pytest.raises(Refused) as exc:
        units.move_unit(me, north, sub.id)  # under its own child
    assert "under itself" in exc.value.fields["parent"]
    with pytest.raises(Refused):
        units.move_unit(me, north, north.id)  # under itself
    units.move_unit(me, sub, ctx["east"])
    east = db.session.get(OrgUnit, ctx["east"])
    assert east is not None
    sub, team = db.session.get(OrgUnit, sub.id), db.session.get(OrgUnit, team.id)
    assert sub is not None and team is not None
    assert sub.path == f"{east.path}{sub.id}/"
    assert team.path == f"{east.path}{sub.id}/{team.id}/"
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.entity == "org_unit", AuditLog.entity_id == sub.id,
        AuditLog.action == "move")) == 1
    with pytest.raises(Refused):
        units.move_unit(me, sub, team.id)  # a team has no units


def test_closing_a_unit_with_people_or_units_says_what_to_do_first(
        ctx: dict[str, int]) -> None:
    me = admin()
    sh = db.session.get(OrgUnit, ctx["sh"])
    east = db.session.get(OrgUnit, ctx["east"])
    assert sh is not None and east is not None
    with pytest.raises(Refused) as exc:
        units.close_unit(me, sh)
    assert "move them" in exc.value.message
    with pytest.raises(Refused) as exc:
        units.close_unit(me, east)
    assert "move them" in exc.value.message or "close them first" in exc.value.message
    empty = units.add_unit(me, east.id, "team", "to-close", "空组", "")
    units.close_unit(me, empty)
    assert empty.active is False
    with pytest.raises(Refused):
        people.add_user(me, {"display_name": "X", "username": "into.closed", "role": "rep",
                             "unit": str(empty.id)})


def test_closing_a_unit_with_open_targets_is_refused(app: Flask) -> None:
    with app.app_context():
        director = demo("director")
        team = demo("rep01").unit
        db.session.execute(  # nobody left in it, but its targets remain
            User.__table__.update().where(User.unit_id == team.id).values(active=False))
        try:
            with pytest.raises(Refused) as exc:
                units.close_unit(director, team)
            assert "targets" in exc.value.message
        finally:
            db.session.rollback()


def test_adding_people_checks_every_field(ctx: dict[str, int]) -> None:
    me = admin()
    with pytest.raises(Refused) as exc:
        people.add_user(me, {"display_name": "", "username": "rep01", "phone": "call me",
                             "role": "boss", "unit": "999999", "capability": "101",
                             "manager": "abc"})
    assert set(exc.value.fields) >= {"display_name", "username", "phone", "role", "unit",
                                     "capability", "manager"}
    assert "unique across" in exc.value.fields["username"]  # rep01 is the demo company's


def test_the_last_administrator_cannot_be_demoted_or_deactivated(ctx: dict[str, int]) -> None:
    me = admin()
    with pytest.raises(Refused) as exc:
        people.change_role(me, me, "manager")
    assert "last administrator" in exc.value.fields["role"]
    other = people.add_user(me, {"display_name": "Deputy", "username": "second.deputy",
                                 "role": "admin", "unit": str(me.unit_id)})
    with pytest.raises(Refused) as exc:
        deactivate_user(me, me)
    assert "yourself" in exc.value.message
    deactivate_user(me, other)
    with pytest.raises(Refused) as exc:
        deactivate_user(other, me)  # `other` is no longer active: me is the last one
    assert "last administrator" in exc.value.message


def test_deactivating_ends_sessions_push_and_reminders_at_once(ctx: dict[str, int]) -> None:
    me = admin()
    mgr = people.add_user(me, {"display_name": "Leaving Manager", "username": "second.leaver",
                               "role": "manager", "unit": str(ctx["sh"])})
    db.session.add(PushSubscription(user_id=mgr.id, endpoint="https://push.example/leaver",
                                    p256dh="k", auth="a"))
    db.session.add(Reminder(user_id=mgr.id, kind="morning", dedupe_key="org-test:leaver",
                            due_at=datetime.now(UTC) + timedelta(hours=1)))
    token = invitations.invite(me, mgr)
    db.session.flush()
    before = mgr.session_token
    deactivate_user(me, mgr)
    assert mgr.active is False and mgr.session_token != before
    assert db.session.scalar(select(func.count(PushSubscription.id)).where(
        PushSubscription.user_id == mgr.id)) == 0
    rem = db.session.scalar(select(Reminder).where(Reminder.user_id == mgr.id))
    assert rem is not None and rem.status == ReminderStatus.CANCELLED
    with pytest.raises(invitations.LinkProblem):
        invitations.find(token)
    row = db.session.scalar(select(AuditLog).where(
        AuditLog.entity == "user", AuditLog.entity_id == mgr.id,
        AuditLog.action == "deactivate"))
    assert row is not None and row.user_id == me.id and row.old_value == "True"
    people.reactivate_user(me, mgr)
    assert mgr.active is True


def test_an_invitation_expires_is_used_once_and_a_new_one_replaces_the_old(
        ctx: dict[str, int]) -> None:
    me = admin()
    rep = people.add_user(me, {"display_name": "New Rep", "username": "second.newrep",
                               "role": "rep", "unit": str(ctx["sh"])})
    first = invitations.invite(me, rep)
    second = invitations.invite(me, rep)
    with pytest.raises(invitations.LinkProblem) as exc:
        invitations.find(first)
    assert exc.value.code == "expired"
    stored = db.session.scalars(select(Invitation.token_hash).where(
        Invitation.user_id == rep.id)).all()
    assert first not in stored and second not in stored and len(stored) == 2
    with pytest.raises(Refused) as bad:
        invitations.activate(second, "short", "short")
    assert "password" in bad.value.fields
    with pytest.raises(Refused) as bad:
        invitations.activate(second, "long-enough-1", "long-enough-2")
    assert "password2" in bad.value.fields
    user = invitations.activate(second, "long-enough-1", "long-enough-1")
    assert user.id == rep.id and invitations.has_password(user)
    with pytest.raises(invitations.LinkProblem) as exc:
        invitations.activate(second, "long-enough-1", "long-enough-1")
    assert exc.value.code == "used"
    third = invitations.invite(me, rep)
    inv = db.session.scalar(select(Invitation).where(Invitation.user_id == rep.id,
                                                     Invitation.used_at.is_(None),
                                                     Invitation.expires_at > datetime.now(UTC)))
    assert inv is not None
    inv.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.flush()
    with pytest.raises(invitations.LinkProblem) as exc:
        invitations.find(third)
    assert exc.value.code == "expired"
    with pytest.raises(invitations.LinkProblem) as exc:
        invitations.find("not-a-token")
    assert exc.value.code == "unknown"


def test_a_manager_administers_only_inside_their_own_unit(app: Flask) -> None:
    from planner.services.org import scope

    with app.app_context():
        m1 = demo("manager1")
        own_rep = db.session.scalar(select(User).where(User.unit_id == m1.unit_id,
                                                       User.role == Role.REP))
        assert scope.user_in_reach(m1, own_rep)
        assert not scope.user_in_reach(m1, demo("manager2"))
        assert not scope.user_in_reach(m1, demo("director"))
        assert not scope.user_in_reach(m1, m1)
        assert not scope.unit_in_reach(m1, m1.unit, strict=True)
        assert not scope.unit_in_reach(m1, demo("manager3").unit)
        with pytest.raises(Refused):
            people.add_user(m1, {"display_name": "X", "username": "m1.admin", "role": "admin",
                                 "unit": str(m1.unit_id)})
        with pytest.raises(Refused) as exc:
            people.add_user(m1, {"display_name": "X", "username": "m1.other", "role": "rep",
                                 "unit": str(demo("manager3").unit_id)})
        assert "unit" in exc.value.fields
        db.session.rollback()
