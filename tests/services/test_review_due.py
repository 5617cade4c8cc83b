"""When a week's review is due: one company rule (Monday 12:00 by default) that the
review pages (which week they offer, the due line), the late mark and its counters, and
the reminders all follow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from conftest import login
from flask import Flask
from sqlalchemy import delete, select

from planner.extensions import db
from planner.models import Company, Reminder, ReviewStatus, User, WeeklyReview
from planner.services import reminders
from planner.services import reviews as svc
from planner.services.company import review_due

WEEK = date(2026, 11, 9)  # a Monday; its review is due Monday 2026-11-16 12:00 (Shanghai)
MON_0900 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
MON_1159 = datetime(2026, 11, 16, 3, 59, tzinfo=UTC)
MON_1201 = datetime(2026, 11, 16, 4, 1, tzinfo=UTC)


def _user(name: str) -> User:
    u = db.session.scalar(select(User).where(User.username == name))
    assert u is not None
    return u


@pytest.fixture()
def week(app: Flask) -> Iterator[tuple[Company, User, User, User]]:
    """manager1's team; rep01 wrote last week's review on Monday 09:00, rep02 none."""
    with app.test_request_context():
        manager = _user("manager1")
        team = [u for u in svc.team_users(manager) if u.role.value == "rep"]
        writer, idle = team[0], team[1]
        db.session.add(WeeklyReview(user_id=writer.id, week_start=WEEK,
                                    status=ReviewStatus.SUBMITTED, completed="done",
                                    submitted_at=MON_0900))
        db.session.commit()
        company = manager.company
        try:
            yield company, manager, writer, idle
        finally:
            db.session.rollback()
            company.review_due_minutes = 720
            db.session.execute(delete(WeeklyReview).where(WeeklyReview.week_start == WEEK))
            db.session.execute(delete(Reminder).where(
                Reminder.dedupe_key.like(f"%:{WEEK.isoformat()}")))
            db.session.commit()
            db.session.remove()


def test_the_default_rule_is_monday_noon_after_the_week(week):
    company, *_ = week
    assert review_due(company, WEEK) == datetime(2026, 11, 16, 4, 0, tzinfo=UTC)


def test_written_monday_morning_is_not_late_and_at_1201_a_missing_one_is(week):
    company, manager, writer, idle = week
    before = svc.team_week(manager, WEEK, now=MON_1159)
    assert before["counts"].get("late", 0) == 0
    after = svc.team_week(manager, WEEK, now=MON_1201)
    late = {r["user"].id for r in after["rows"] if r["late"]}
    assert writer.id not in late and idle.id in late
    assert after["counts"]["late"] == len(late)  # the counters agree with the marks
    # the reminders: nothing "overdue" before the due time, then exactly the late reps
    assert svc.remind_overdue(company, MON_0900) == 0
    assert svc.remind_overdue(company, MON_1159) == 0
    assert svc.remind_overdue(company, MON_1201) > 0
    reminded = set(db.session.scalars(select(Reminder.user_id).where(
        Reminder.kind == "review_overdue",
        Reminder.dedupe_key.like(f"%:{WEEK.isoformat()}"))))
    team = {r["user"].id for r in after["rows"] if r["user"].role.value == "rep"}
    assert reminded & team == late


def test_the_page_offers_last_week_until_this_week_opens_and_not_before_it_is_due(week):
    company, *_ = week
    this = date(2026, 11, 16)
    assert svc.default_week(company, MON_0900) == WEEK
    assert svc.default_week(company, MON_1201) == WEEK  # late, still offered
    friday = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # Friday 00:00 in Shanghai
    assert svc.default_week(company, friday) == this
    company.review_due_minutes = 5 * 24 * 60 + 18 * 60  # due Saturday 18:00
    assert svc.default_week(company, friday) == WEEK
    assert svc.default_week(company, datetime(2026, 11, 21, 10, 1, tzinfo=UTC)) == this


def test_a_company_that_sets_tuesday_1800_moves_the_late_mark_and_the_reminders(week):
    company, manager, _writer, idle = week
    company.review_due_minutes = 24 * 60 + 18 * 60
    db.session.flush()
    tue_1759 = datetime(2026, 11, 17, 9, 59, tzinfo=UTC)
    tue_1801 = datetime(2026, 11, 17, 10, 1, tzinfo=UTC)
    assert svc.team_week(manager, WEEK, now=MON_1201)["counts"].get("late", 0) == 0
    assert svc.remind_overdue(company, tue_1759) == 0
    assert idle.id in {r["user"].id for r in svc.team_week(manager, WEEK, now=tue_1801)
                       ["rows"] if r["late"]}
    assert svc.remind_overdue(company, tue_1801) > 0


def test_the_weekly_review_reminder_names_the_companys_due_time(week):
    company, _manager, _writer, idle = week
    from flask_babel import force_locale

    with force_locale("en"):  # as the scheduler builds each text in its reader's language
        text = reminders.BUILDERS[reminders.WEEKLY_REVIEW](idle, date(2026, 11, 13), "en")
    assert text is not None
    assert "due by 11-16 12:00" in text.body and "17:00" not in text.body


def _seed(app: Flask) -> tuple[str, str]:
    with app.app_context():
        team = [u for u in svc.team_users(_user("manager1")) if u.role.value == "rep"]
        db.session.add(WeeklyReview(user_id=team[0].id, week_start=WEEK,
                                    status=ReviewStatus.SUBMITTED, completed="done",
                                    submitted_at=MON_0900))
        db.session.commit()
        names = (team[0].username, team[1].username)
        db.session.remove()
    return names


def _page(app: Flask, username: str, url: str) -> str:
    c = app.test_client()
    c.get("/login?lang=en")
    assert login(c, username).status_code == 302
    return c.get(url).get_data(as_text=True)


def test_the_pages_say_when_reviews_are_due_and_mark_the_late_ones(app: Flask) -> None:
    writer, idle = _seed(app)
    try:
        html = _page(app, "manager1", f"/reviews/team?week={WEEK.isoformat()}&lang=en")
        assert "Due by 2026-11-16 12:00; late after that." in html
        page = _page(app, writer, f"/reviews/week/{WEEK.isoformat()}?lang=en")
        assert "Due by 2026-11-16 12:00" in page and "data-review-late" not in page
        assert "data-review-late" in _page(app, idle, f"/reviews/week/{WEEK.isoformat()}")
    finally:
        with app.app_context():
            db.session.execute(delete(WeeklyReview).where(WeeklyReview.week_start == WEEK))
            db.session.commit()
            db.session.remove()


def test_the_director_sets_the_rule_and_bad_input_changes_nothing(app: Flask) -> None:
    from conftest import csrf_token

    d = app.test_client()
    d.get("/login?lang=en")
    assert login(d, "director").status_code == 302
    token = csrf_token(d, "/reviews/team")
    page = d.get("/reviews/team?lang=en").get_data(as_text=True)
    assert 'name="due_time" value="12:00"' in page
    try:
        for bad in ({"due_day": "9", "due_time": "12:00"}, {"due_day": "1", "due_time": "25:00"},
                    {"due_day": "x", "due_time": ""}):
            resp = d.post("/reviews/due", data={"csrf_token": token, **bad})
            assert resp.status_code == 422, bad
            assert "field-error" in resp.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalars(select(Company)).first().review_due_minutes == 720
            db.session.remove()
        resp = d.post("/reviews/due", data={"csrf_token": token, "due_day": "2",
                                            "due_time": "18:00"})
        assert resp.status_code == 303
        with app.app_context():
            company = db.session.scalars(select(Company)).first()
            assert company.review_due_minutes == 24 * 60 + 18 * 60
            assert review_due(company, WEEK) == datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
            db.session.remove()
        m = app.test_client()
        m.get("/login?lang=en")
        assert login(m, "manager1").status_code == 302
        assert "due_time" not in m.get("/reviews/team").get_data(as_text=True)
        resp = m.post("/reviews/due", data={"csrf_token": csrf_token(m, "/reviews/team"),
                                            "due_day": "1", "due_time": "09:00"})
        assert resp.status_code in (403, 404)
    finally:
        with app.app_context():
            for c in db.session.scalars(select(Company)):
                c.review_due_minutes = 720
            db.session.commit()
            db.session.remove()
