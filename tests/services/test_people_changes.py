"""People change during the year, at the service layer on the demo company (each test
rolls back): a rep leaves (targets to teammates, to a successor, kept unassigned), joins
and moves mid-year; a manager is replaced. After each: every target tree adds up, for
the year and every month, and tracking matches the visits by membership dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from people_helpers import (
    MID_YEAR,
    assert_every_tree_adds_up,
    fiscal_year,
    new_rep,
    other_team,
    second_company,
    targets_snapshot,
    team_of,
    user,
    visits_by_membership,
)
from sqlalchemy import func, select

from planner.extensions import db
from planner.models import (
    AuditLog,
    Customer,
    Metric,
    PushSubscription,
    Reminder,
    ReviewStatus,
    Target,
    Tier,
    UnitMembership,
    WeeklyReview,
)
from planner.refusal import Refused
from planner.services import people_changes as pc
from planner.services.targets import load_tree
from planner.services.tracking import Scope, team_progress, track


@pytest.fixture(autouse=True)
def _in_request(app: Flask) -> Iterator[None]:
    """A request (the refusals are worded in its language); rolled back after."""
    with app.test_request_context("/?lang=en"):
        yield
        db.session.rollback()
        db.session.remove()


def _rep_months(username: str, code: str = "revenue") -> list[int]:
    """The rep's base-tier months of a metric (the sum of their top targets)."""
    u = user(username)
    metric = db.session.scalar(select(Metric).where(Metric.code == code,
                                                    Metric.company_id == u.company.id))
    assert metric is not None
    tree = load_tree(fiscal_year(u.company.id), metric, Tier.BASE)
    out = [0] * 12
    for n in tree.nodes.values():
        if n.user_id == u.id and (n.parent is None or n.parent.user_id != u.id):
            out = [a + b for a, b in zip(out, n.months, strict=True)]
    return out


def _team_months(username: str, code: str = "revenue") -> list[int]:
    u = user(username)
    metric = db.session.scalar(select(Metric).where(Metric.code == code,
                                                    Metric.company_id == u.company.id))
    assert metric is not None
    tree = load_tree(fiscal_year(u.company.id), metric, Tier.BASE)
    team = next(n for n in tree.nodes.values() if n.unit_id == u.unit_id and n.user_id is None
                and n.split_dim == "rep")
    return list(team.months)


def test_a_rep_leaving_spreads_the_months_left_over_the_teammates_and_is_deactivated() -> None:
    director, rep = user("director"), user("rep01")
    company = rep.company.id
    before, team_before = _rep_months("rep01"), _team_months("rep01")
    mates = {u: _rep_months(u) for u in ("rep02", "rep03")}
    customers = db.session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == rep.id))
    preview = pc.preview_leave(director, rep, {"targets_to": "spread",
                                               "customers_to": "manager"}, MID_YEAR)
    assert preview.trees and preview.customers == customers
    assert targets_snapshot(company) == targets_snapshot(company)  # preview wrote nothing
    assert user("rep01").active
    pc.apply_leave(director, rep, {"targets_to": "spread", "customers_to": "manager"},
                   MID_YEAR)
    after = _rep_months("rep01")
    assert after[:5] == before[:5]  # past months stay theirs
    assert after[6:] == [0] * 6  # months not begun: gone to the teammates
    assert after[5] <= before[5]  # June: what they achieved so far stays
    assert _team_months("rep01") == team_before  # the team's totals do not change
    for u, months in mates.items():
        got = _rep_months(u)
        assert got[:5] == months[:5] and sum(got[6:]) >= sum(months[6:])
    assert assert_every_tree_adds_up(company) > 0
    rep = user("rep01")
    assert not rep.active
    assert db.session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == rep.id)) == 0
    assert db.session.scalar(select(func.count(PushSubscription.id)).where(
        PushSubscription.user_id == rep.id)) == 0
    actions = set(db.session.scalars(select(AuditLog.action).where(
        AuditLog.user_id == director.id, AuditLog.action.in_(["leave", "deactivate"]))))
    assert actions == {"leave", "deactivate"}


def test_a_rep_leaving_to_a_successor_hands_them_exactly_the_months_left() -> None:
    director, rep = user("director"), user("rep02")
    succ = new_rep("successor02", rep.unit)
    before, team_before = _rep_months("rep02"), _team_months("rep02")
    form = {"targets_to": "successor", "customers_to": "successor", "successor": str(succ.id)}
    labels = {ch.label for tp in pc.preview_leave(director, rep, form, MID_YEAR).trees
              for ch in tp.rows}
    assert "Successor02" in labels and "?" not in labels
    pc.apply_leave(director, rep, form, MID_YEAR)
    after, got = _rep_months("rep02"), _rep_months("successor02")
    assert after[:5] == before[:5] and after[6:] == [0] * 6
    assert [a + b for a, b in zip(after, got, strict=True)] == before
    assert got[:5] == [0] * 5
    assert _team_months("rep02") == team_before
    assert assert_every_tree_adds_up(rep.company.id) > 0
    assert db.session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == succ.id)) > 0
    # The successor's tracking: their targets for the months to come.
    assert sum(got[6:]) == sum(before[6:])


def test_a_rep_leaving_with_targets_kept_on_the_team_leaves_an_unassigned_slot() -> None:
    director, rep = user("director"), user("rep03")
    before, team_before = _rep_months("rep03"), _team_months("rep03")
    plan = pc.preview_leave(director, rep, {"targets_to": "unassigned",
                                             "customers_to": "manager"}, MID_YEAR)
    labels = {ch.label for tp in plan.trees for ch in tp.rows}
    assert any(lb.startswith("Unassigned") for lb in labels)
    pc.apply_leave(director, rep, {"targets_to": "unassigned", "customers_to": "manager"},
                   MID_YEAR)
    assert _rep_months("rep03")[6:] == [0] * 6
    assert _team_months("rep03") == team_before
    slot = db.session.scalar(select(func.sum(Target.value)).where(
        Target.user_id.is_(None), Target.unit_id == rep.unit_id, Target.tier == Tier.BASE,
        Target.parent_id.in_(select(Target.id).where(Target.unit_id == rep.unit_id))))
    assert slot is not None and slot > 0
    assert sum(before) > 0
    assert assert_every_tree_adds_up(rep.company.id) > 0
    # A newcomer's share comes out of the unassigned slot first.
    mate = _rep_months("rep04")
    joiner = new_rep("newcomer03", rep.unit)
    revenue = db.session.scalar(select(Metric).where(Metric.code == "revenue",
                                                     Metric.company_id == rep.company.id))
    assert revenue is not None
    pc.apply_join(director, joiner, {"mode": "typed", f"share_{revenue.id}": "1000"},
                  MID_YEAR)
    assert sum(_rep_months("newcomer03")) == 100_000 and _rep_months("rep04") == mate
    assert assert_every_tree_adds_up(rep.company.id) > 0


def test_a_rep_joining_mid_year_takes_a_share_of_the_months_not_begun() -> None:
    director, mate = user("director"), user("rep04")
    joiner = new_rep("newcomer04", mate.unit, capability=80)
    team_before, mate_before = _team_months("rep04"), _rep_months("rep04")
    plan = pc.preview_join(director, joiner, {"mode": "capability"}, MID_YEAR)
    assert plan.trees
    pc.apply_join(director, joiner, {"mode": "capability"}, MID_YEAR)
    got = _rep_months("newcomer04")
    assert got[:6] == [0] * 6 and all(x > 0 for x in got[6:])
    assert _team_months("rep04") == team_before
    assert _rep_months("rep04")[:6] == mate_before[:6]  # teammates' past months unchanged
    assert assert_every_tree_adds_up(mate.company.id) > 0


def test_a_typed_share_is_exact_and_one_larger_than_what_remains_is_refused() -> None:
    director, mate = user("director"), user("rep05")
    joiner = new_rep("newcomer05", mate.unit)
    revenue = db.session.scalar(select(Metric).where(Metric.code == "revenue",
                                                     Metric.company_id == mate.company.id))
    assert revenue is not None
    field = f"share_{revenue.id}"
    snap = targets_snapshot(mate.company.id)
    for bad, words in (("abc", "not a number"), ("-5", "negative"),
                       ("999999999999", "More than the team has left")):
        with pytest.raises(Refused) as err:
            pc.preview_join(director, joiner, {"mode": "typed", field: bad}, MID_YEAR)
        assert words in err.value.fields[field]
    assert targets_snapshot(mate.company.id) == snap
    pc.apply_join(director, joiner, {"mode": "typed", field: "120000"}, MID_YEAR)
    assert sum(_rep_months("newcomer05")) == 12_000_000  # fen, to the fen
    assert assert_every_tree_adds_up(mate.company.id) > 0


def _team_figures(unit_id: int, on: date) -> tuple[int, int]:
    from planner.models import OrgUnit

    unit = db.session.get(OrgUnit, unit_id)
    assert unit is not None
    tr = track(user("director"), Scope("team", unit=unit), "year", on=on,
               today=date(2026, 12, 31))
    return tr.total.figs["visits"].achieved, tr.total.figs["revenue"].achieved


def test_a_rep_moving_team_counts_before_the_move_for_the_old_team_after_for_the_new() -> None:
    director, rep = user("director"), user("rep06")
    old, new = team_of("rep06"), other_team(rep.unit)
    old_id, new_id = old.id, new.id
    before, old_team, new_team = (_rep_months("rep06"), _team_months("rep06"),
                                  _team_months(_first_rep_of(new_id)))
    pc.apply_move(director, rep, {"unit": str(new_id), "targets": "move"}, MID_YEAR)
    rows = db.session.scalars(select(UnitMembership).where(
        UnitMembership.user_id == rep.id).order_by(UnitMembership.id)).all()
    assert [(r.unit_id, r.start, r.end) for r in rows] == [
        (old_id, None, date(2026, 6, 14)), (new_id, MID_YEAR, None)]
    assert user("rep06").unit_id == new_id
    assert _rep_months("rep06") == before  # their targets: past with the old, rest new
    moved = [a - b for a, b in zip(old_team, _team_months(_first_rep_of(old_id)),
                                   strict=True)]
    assert moved[:5] == [0] * 5 and sum(moved) > 0
    assert [b - a for a, b in zip(new_team, _team_months(_first_rep_of(new_id)),
                                  strict=True)] == moved
    assert assert_every_tree_adds_up(rep.company.id) > 0
    for unit_id in (old_id, new_id):
        from planner.models import OrgUnit

        unit = db.session.get(OrgUnit, unit_id)
        assert unit is not None
        want = visits_by_membership(unit, date(2026, 1, 1), date(2026, 12, 31))
        assert _team_figures(unit_id, MID_YEAR) == want
        assert want[0] > 0
        # The team page (month to date) counts the same way.
        month = visits_by_membership(unit, date(2026, 6, 1), MID_YEAR)
        row = team_progress(director, MID_YEAR, unit_id=unit_id).units[-1]
        assert (row.cells["visits"].achieved, row.cells["revenue"].achieved) == month


def _first_rep_of(unit_id: int) -> str:
    from planner.models import Role, User

    name = db.session.scalar(select(User.username).where(
        User.unit_id == unit_id, User.role == Role.REP, User.active.is_(True))
        .order_by(User.username))
    assert name is not None
    return name


def test_bad_input_is_refused_with_a_message_and_changes_nothing() -> None:
    director, rep = user("director"), user("rep07")
    _c, _root, stranger = second_company()
    company = rep.company.id
    snap = targets_snapshot(company)
    cases = [
        (pc.preview_leave, {"targets_to": "successor", "customers_to": "manager",
                            "successor": str(stranger.id)}, "successor"),
        (pc.preview_leave, {"targets_to": "successor", "customers_to": "manager",
                            "successor": "abc"}, "successor"),
        (pc.preview_leave, {"targets_to": "successor", "customers_to": "manager",
                            "successor": str(rep.id)},
         "successor"),
        (pc.preview_leave, {"targets_to": "elsewhere"}, "targets_to"),
        (pc.preview_move, {"unit": str(rep.unit_id)}, "unit"),
        (pc.preview_move, {"unit": "x"}, "unit"),
        (pc.preview_move, {"unit": str(_root.id)}, "unit"),
    ]
    for fn, form, field in cases:
        with pytest.raises(Refused) as err:
            fn(director, rep, form, MID_YEAR)
        assert field in err.value.fields and err.value.fields[field], (form, err.value)
    with pytest.raises(Refused):
        pc.apply_leave(director, rep, {"targets_to": "successor", "customers_to": "manager",
                                       "successor": str(stranger.id)}, MID_YEAR)
    assert targets_snapshot(company) == snap and user("rep07").active


def test_a_manager_acts_only_inside_their_unit() -> None:
    m1, rep = user("manager1"), user("rep01")
    other = db.session.scalar(select(user("rep01").__class__).where(
        user("rep01").__class__.unit_id == other_team(rep.unit).id))
    assert other is not None
    pc.preview_leave(m1, rep, {"targets_to": "spread", "customers_to": "manager"},
                         MID_YEAR)
    with pytest.raises(LookupError):
        pc.preview_leave(m1, other, {"targets_to": "spread", "customers_to": "manager"},
                         MID_YEAR)
    with pytest.raises(LookupError):
        pc.preview_leave(user("rep02"), rep, {}, MID_YEAR)
    _c, _root, stranger = second_company()
    with pytest.raises(LookupError):
        pc.preview_leave(user("director"), stranger, {}, MID_YEAR)


def test_a_new_manager_gets_the_waiting_reviews_and_the_team() -> None:
    from planner.services.reviews import approvers

    director, old = user("director"), user("manager1")
    rep = user("rep01")
    review = WeeklyReview(user_id=rep.id, week_start=date(2026, 6, 8),
                          status=ReviewStatus.SUBMITTED, completed="done")
    db.session.add(review)
    db.session.flush()
    succ = new_rep("newboss", other_team(old.unit))
    plan = pc.preview_manager_change(director, old, {"successor": str(succ.id),
                                                       "old": "leave"}, MID_YEAR)
    assert review in plan.waiting
    pc.apply_manager_change(director, old, {"successor": str(succ.id), "old": "leave"},
                            MID_YEAR)
    assert not user("manager1").active
    succ = user("newboss")
    assert succ.unit_id == old.unit_id and succ.role.value == "manager"
    assert [u.id for u in approvers(rep)] == [succ.id]
    assert db.session.scalar(select(func.count(Reminder.id)).where(
        Reminder.user_id == succ.id, Reminder.kind == "review_submitted")) >= 1
    assert user("rep01").manager_id in (None, succ.id)
