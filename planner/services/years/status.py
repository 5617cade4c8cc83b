"""Which fiscal years a person sees, drafts and publishing, past years read-only, and
what to say when a day has no published targets (Today, the morning push, the landing
pages of a company with no fiscal year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import AuditLog, FiscalYear, OrgUnit, Role, User
from ...refusal import Refused

DRAFT = "draft"
PUBLISHED = "published"


def company_years(company_id: int) -> list[FiscalYear]:
    return list(db.session.scalars(select(FiscalYear).where(
        FiscalYear.company_id == company_id).order_by(FiscalYear.year)))


def sees_drafts(user: User) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN)


def visible_years(user: User) -> list[FiscalYear]:
    """The company's years this person may open: drafts only for managers and the
    director (admins); reps see a year once it is published."""
    years = company_years(user.unit.company_id)
    return years if sees_drafts(user) else [y for y in years if y.status == PUBLISHED]


def pick_year(user: User, want: int | None, today: date) -> FiscalYear | None:
    """The year asked for (if this person may see it), else the published year holding
    today, else the latest one they see."""
    years = visible_years(user)
    got = next((y for y in years if y.year == want), None) if want is not None else None
    if got is None:
        got = next((y for y in years if y.start <= today <= y.end and y.status == PUBLISHED),
                   None) or next((y for y in years if y.start <= today <= y.end), None)
    return got or (years[-1] if years else None)


def can_plan(years: list[FiscalYear], today: date) -> bool:
    """Whether the next year is there to plan: no draft waits, and the latest year has
    begun (a year published ahead is planned already)."""
    return not any(y.status == DRAFT for y in years) and (
        not years or years[-1].start <= today)


def is_past(fy: FiscalYear, today: date) -> bool:
    return fy.end < today


def check_writable(fy: FiscalYear, today: date) -> None:
    """A past year keeps its figures: nothing in it changes."""
    if is_past(fy, today):
        raise Refused(_("%(year)s is over: its targets are kept as they were and cannot "
                        "be changed.", year=fy.year))


def publish(fy: FiscalYear, user: User) -> None:
    """The director publishes a draft year: reps see it from its first day."""
    if user.role != Role.ADMIN or fy.company_id != user.unit.company_id:
        raise Refused(_("Only the director (an administrator) publishes a year."))
    if fy.status == PUBLISHED:
        raise Refused(_("%(year)s is already published.", year=fy.year))
    fy.status = PUBLISHED
    db.session.add(AuditLog(user_id=user.id, action="publish", entity="fiscal_year",
                            entity_id=fy.id, field="status", old_value=DRAFT,
                            new_value=PUBLISHED, details={"year": fy.year}))
    db.session.flush()


def admins(company_id: int) -> list[str]:
    """The display names of the company's active administrators (who can fix a year)."""
    return list(db.session.scalars(
        select(User.display_name).join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(OrgUnit.company_id == company_id, User.role == Role.ADMIN,
               User.active.is_(True)).order_by(User.display_name)))


@dataclass
class Notice:
    """Why a day has no targets, and who can change that."""

    kind: str  # no_year (no fiscal year holds the day) | draft (not published yet)
    day: date
    year: int | None
    fixers: list[str]
    viewer_fixes: bool  # the viewer is one of those who can

    @property
    def text(self) -> str:
        names = name_list(self.fixers)
        if self.kind == "draft":
            if self.viewer_fixes:
                return str(_("The targets of %(year)s are not published yet, so nobody has "
                         "targets today. Publish them on Targets.", year=self.year))
            return str(_("The targets of %(year)s are not published yet, so you have no "
                     "targets today. The director publishes them (administrators: "
                     "%(names)s).", year=self.year, names=names))
        if self.viewer_fixes:
            return str(_("No fiscal year holds %(day)s, so nobody has targets today. Create "
                     "the year on Targets.", day=self.day.isoformat()))
        return str(_("No fiscal year holds %(day)s yet, so you have no targets today. The "
                 "director creates the year and its targets (administrators: %(names)s).",
                 day=self.day.isoformat(), names=names))


def name_list(names: list[str]) -> str:
    """Names joined as the page's language writes a list (张伟、李娜 / Zhang, Li)."""
    if not names:
        return str(_("none yet"))
    sep = "、" if str(get_locale() or "zh").startswith("zh") else ", "
    return sep.join(names)


def year_notice(user: User, day: date) -> Notice | None:
    """The notice for a day with no published year, or None when one holds it."""
    company_id = user.unit.company_id
    holding = [y for y in company_years(company_id) if y.start <= day <= y.end]
    if any(y.status == PUBLISHED for y in holding):
        return None
    draft = holding[0] if holding else None
    return Notice("draft" if draft is not None else "no_year", day,
                  draft.year if draft is not None else None, admins(company_id),
                  user.role == Role.ADMIN)
