"""Reminder kinds: created on working days at the user's times with the real numbers, in
the user's language, at most once; preferences, quiet hours and the calendar respected;
managers get a digest of their team."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from conftest import login
from push_helpers import fake_push, no_quiet, push_ctx, subscribe, user  # noqa: F401
from sqlalchemy import delete, select

from planner.engine import WorkCalendar
from planner.extensions import db
from planner.models import (
    CalendarOverride,
    Company,
    DayKind,
    Reminder,
    ReminderPreference,
    ReminderStatus,
)
from planner.services import reminders
from planner.services.company import local_today
from planner.services.reminders import channels as webpush

TZ = ZoneInfo("Asia/Shanghai")


def _company() -> Company:
    c = db.session.scalar(select(Company))
    assert c is not None
    return c


@pytest.fixture()
def working_today(push_ctx):
    """Today (company time) made a working day if the calendar says it is not."""
    company = _company()
    today = local_today(company)
    added = None
    if not WorkCalendar(country="CN").is_working_day(today):
        added = CalendarOverride(company_id=company.id, day=today, kind=DayKind.WORKDAY)
        db.session.add(added)
        db.session.commit()
    yield today
    reminders._checked.clear()
    if added is not None:
        db.session.execute(delete(CalendarOverride).where(CalendarOverride.id == added.id))
        db.session.commit()


def _at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=TZ).astimezone(UTC)


def _rows(user_id: int, kind: str | None = None) -> list[Reminder]:
    q = select(Reminder).where(Reminder.user_id == user_id)
    if kind:
        q = q.where(Reminder.kind == kind)
    return list(db.session.scalars(q.order_by(Reminder.id)))


def _sender(app):
    return webpush.Sender(webpush.app_key(app), "mailto:ops@example.com")


def test_morning_plan_pushed_with_the_numbers_on_today_page(push_ctx, fake_push, working_today,
                                                           client):
    rep = user("rep01")
    no_quiet(rep.id)
    subscribe(push_ctx, fake_push, rep.id)
    now = _at(working_today, "08:31")
    created = reminders.generate(now, only=[rep.id])
    assert created.get("morning_plan") == 1
    res = reminders.dispatch_all(_sender(push_ctx), now=now)
    assert res.sent >= 1 and fake_push.errors == []
    [msg] = [r.payload for r in fake_push.delivered() if r.payload["kind"] == "morning_plan"]
    # the Today page of the same rep, in the same (default) language
    assert login(client, "rep01").status_code == 302
    html = client.get("/today").get_data(as_text=True)
    cards = re.findall(r'<h2>([^<]+)</h2>.*?class="today-target"[^>]*>([^<]+)</dd>', html,
                       re.S)
    assert cards, "the Today page shows today's targets"
    for name, value in cards:
        assert f"{name} {value}" in msg["body"], (name, value, msg["body"])
    assert msg["url"] == "/today" and msg["title"] == "今日计划"
    # once only, however many passes
    assert reminders.generate(now, only=[rep.id]) == {}
    assert len(_rows(rep.id, "morning_plan")) == 1


def test_english_user_gets_english_text(push_ctx, working_today):
    rep = user("rep02")
    no_quiet(rep.id)
    rep.locale = "en"
    db.session.commit()
    try:
        reminders.generate(_at(working_today, "08:31"), only=[rep.id])
        [r] = _rows(rep.id, "morning_plan")
        assert r.payload["title"] == "Today's plan"
        assert "Today's targets:" in r.payload["body"] and "¥" in r.payload["body"]
    finally:
        rep.locale = None
        db.session.commit()


def test_morning_time_and_kinds_follow_preferences(push_ctx, working_today):
    rep = user("rep03")
    db.session.merge(ReminderPreference(user_id=rep.id, kinds_off=["follow_up"],
                                        morning_time="09:15", evening_time="17:30",
                                        quiet_start=None, quiet_end=None))
    db.session.commit()
    assert reminders.generate(_at(working_today, "08:31"), only=[rep.id]) == {}
    reminders.generate(_at(working_today, "09:16"), only=[rep.id])
    reminders.generate(_at(working_today, "10:20"), only=[rep.id])
    kinds = [r.kind for r in _rows(rep.id)]
    assert kinds == ["morning_plan"]  # follow-ups turned off
    [r] = _rows(rep.id)
    assert reminders._aware(r.due_at) == _at(working_today, "09:15")


def test_too_late_is_not_sent(push_ctx, working_today):
    rep = user("rep04")
    no_quiet(rep.id)
    assert reminders.generate(_at(working_today, "15:00"), only=[rep.id]).get(
        "morning_plan") is None


def test_follow_ups_and_end_of_day(push_ctx, working_today):
    rep = user("rep05")
    no_quiet(rep.id)
    reminders.generate(_at(working_today, "09:31"), only=[rep.id])
    from planner.services.planned_visits import follow_ups_due

    due = follow_ups_due(rep.id, working_today)
    fu = _rows(rep.id, "follow_up")
    if due:
        [r] = fu
        overdue = sum(1 for c in due if c.next_follow_up < working_today)
        assert f"{overdue}" in r.payload["body"] and due[0].name in r.payload["body"]
    else:
        assert fu == []
    # no visit logged today (the demo's visits end yesterday): the evening nudge
    reminders.generate(_at(working_today, "17:31"), only=[rep.id])
    [eod] = _rows(rep.id, "end_of_day")
    assert eod.payload["title"] == "今日收尾" and eod.payload["url"] == "/today"


def test_no_reminders_on_a_company_holiday(push_ctx):
    company = _company()
    day = date(2026, 12, 9)  # a Wednesday, made a holiday here
    db.session.add(CalendarOverride(company_id=company.id, day=day, kind=DayKind.HOLIDAY))
    db.session.commit()
    try:
        rep = user("rep06")
        no_quiet(rep.id)
        assert reminders.generate(_at(day, "08:31"), only=[rep.id]) == {}
        assert reminders.generate(_at(date(2026, 12, 12), "08:31"), only=[rep.id]) == {}  # Sat
        assert reminders.generate(_at(date(2026, 12, 10), "08:31"), only=[rep.id]) != {}
    finally:
        db.session.execute(delete(CalendarOverride).where(CalendarOverride.day == day))
        db.session.commit()
        reminders._checked.clear()


def test_weekly_review_due_friday_1700(push_ctx):
    rep = user("rep07")
    no_quiet(rep.id)
    friday = date(2026, 12, 11)
    assert "weekly_review" not in reminders.generate(_at(friday, "16:59"), only=[rep.id])
    assert "weekly_review" not in reminders.generate(
        _at(date(2026, 12, 10), "17:01"), only=[rep.id])  # Thursday
    assert reminders.generate(_at(friday, "17:01"), only=[rep.id]).get("weekly_review") == 1
    [r] = _rows(rep.id, "weekly_review")
    assert r.dedupe_key == f"{rep.id}:weekly_review:2026-W50"
    assert "2026-12-07" in r.payload["body"]
    reminders._checked.clear()


def test_quiet_hours_hold_a_push_until_they_end(push_ctx, fake_push):
    rep = user("rep08")
    db.session.merge(ReminderPreference(user_id=rep.id, kinds_off=[], morning_time="08:30",
                                        evening_time="17:30", quiet_start="22:00",
                                        quiet_end="07:00"))
    db.session.commit()
    subscribe(push_ctx, fake_push, rep.id)
    day = date(2026, 12, 9)
    from planner.services.reminders.bell import enqueue

    enqueue(rep.id, "review_returned", "r1", _at(day, "21:00"), title="t", body="b", url="/")
    db.session.commit()
    res = reminders.dispatch_once(_sender(push_ctx), now=_at(day, "23:10"))
    assert res.deferred == 1 and fake_push.received == []
    [r] = _rows(rep.id)
    assert r.status == ReminderStatus.PENDING and r.attempts == 0
    assert reminders._aware(r.next_attempt_at) == _at(day + timedelta(days=1), "07:00")
    assert reminders.dispatch_once(_sender(push_ctx),
                                   now=_at(day + timedelta(days=1), "06:59")).claimed == 0
    res = reminders.dispatch_once(_sender(push_ctx), now=_at(day + timedelta(days=1), "07:01"))
    assert res.sent == 1 and len(fake_push.delivered()) == 1


def test_kind_turned_off_is_not_pushed_nor_listed(push_ctx, fake_push):
    rep = user("rep09")
    db.session.merge(ReminderPreference(user_id=rep.id, kinds_off=["review"],
                                        morning_time="08:30", evening_time="17:30",
                                        quiet_start=None, quiet_end=None))
    db.session.commit()
    subscribe(push_ctx, fake_push, rep.id)
    from planner.services.reminders.bell import enqueue

    enqueue(rep.id, "review_approved", "r1", datetime.now(UTC), title="t", body="b", url="/")
    db.session.commit()
    assert reminders.dispatch_once(_sender(push_ctx)).cancelled == 1
    assert fake_push.received == []
    assert reminders.inbox(rep.id) == []


def test_manager_gets_a_team_digest_not_the_reps_alerts(push_ctx, working_today):
    mgr = user("manager1")
    no_quiet(mgr.id)
    created = reminders.generate(_at(working_today, "08:31"), only=[mgr.id])
    assert created == {"team_digest": 1}
    [r] = _rows(mgr.id)
    assert r.payload["url"] == "/team" and r.payload["title"] == "团队日报"
    assert re.search(r"\d+ 名代表", r.payload["body"]), r.payload["body"]


def _metric(target, achieved, achieved_today, days_left, start=date(2026, 12, 1)):
    run = SimpleNamespace(working_days_left=days_left, today_target=0)
    return SimpleNamespace(run=run, target=target, achieved=achieved,
                           achieved_today=achieved_today,
                           period=SimpleNamespace(start=start))


def test_behind_target_rule():
    cal = WorkCalendar(country="CN")
    day = date(2026, 12, 10)  # Thursday: 7 working days gone (1-9 Dec), 16 left with today
    # pace 10/day; needed (300-70)/16 = 14.4 < 15: on pace
    assert reminders.behind(_metric(300, 70, 0, 16), cal, day) is None
    # pace 5/day; needed (300-35)/16 = 16.6 > 7.5: behind
    assert reminders.behind(_metric(300, 35, 0, 16), cal, day) is not None
    # too early in the month to say
    assert reminders.behind(_metric(300, 0, 0, 20), cal, date(2026, 12, 2)) is None
    # nothing left to do
    assert reminders.behind(_metric(300, 300, 0, 16), cal, day) is None
