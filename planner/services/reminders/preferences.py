"""The reminder kinds, what each user chose (kinds off, times, quiet hours), and the
times of day the product uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import (
    ReminderPreference,
)

# ------------------------------------------------------------------ kinds
MORNING_PLAN = "morning_plan"
FOLLOW_UP = "follow_up"
END_OF_DAY = "end_of_day"
WEEKLY_REVIEW = "weekly_review"
BEHIND_TARGET = "behind_target"
TEAM_DIGEST = "team_digest"
REVIEW_GROUP = "review"  # review_submitted, review_returned ... in one switch

# What a user can switch off, in the order the settings list them.
REP_KINDS = (MORNING_PLAN, FOLLOW_UP, END_OF_DAY, WEEKLY_REVIEW, BEHIND_TARGET, REVIEW_GROUP)
MANAGER_KINDS = (TEAM_DIGEST, REVIEW_GROUP)

# TTL (how long a push service keeps the message for a phone that is off) and Urgency.
DELIVERY: dict[str, tuple[int, str]] = {
    MORNING_PLAN: (4 * 3600, "normal"),
    FOLLOW_UP: (8 * 3600, "normal"),
    END_OF_DAY: (4 * 3600, "normal"),
    WEEKLY_REVIEW: (24 * 3600, "normal"),
    BEHIND_TARGET: (12 * 3600, "normal"),
    TEAM_DIGEST: (12 * 3600, "low"),
}
DEFAULT_DELIVERY = (24 * 3600, "normal")

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
LEASE_S = 120
MAX_LATE = timedelta(hours=3)  # a morning plan is not worth sending in the afternoon
FOLLOW_UP_DELAY = timedelta(hours=1)  # after the morning plan
BEHIND_AT = time(12, 0)
WEEKLY_REVIEW_AT = time(17, 0)
BEHIND_FACTOR = 1.5  # needed run rate > 1.5 x the pace so far
BEHIND_MIN_DAYS = 3  # working days gone before the pace says anything


def kind_group(kind: str) -> str:
    return REVIEW_GROUP if kind.startswith("review") and kind != REVIEW_GROUP else kind


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands DateTime(timezone=True) back naive: it was stored as UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt



# ------------------------------------------------------------------ preferences
@dataclass
class Prefs:
    kinds_off: frozenset[str] = frozenset()
    morning: time = time(8, 30)
    evening: time = time(17, 30)
    quiet_start: time | None = time(22, 0)  # QUIET
    quiet_end: time | None = time(7, 0)
    locale: str | None = None

    def wants(self, kind: str) -> bool:
        return kind_group(kind) not in self.kinds_off


def parse_hhmm(value: str | None) -> time | None:
    if not value:
        return None
    try:
        h, m = value.split(":")
        return time(int(h), int(m))
    except ValueError:
        return None


# The quiet hours of a user who chose none yet (Prefs' defaults say the same).
QUIET = ("22:00", "07:00")


def prefs_of(row: ReminderPreference | None) -> Prefs:
    if row is None:
        return Prefs()
    return Prefs(
        kinds_off=frozenset(row.kinds_off or ()),
        morning=parse_hhmm(row.morning_time) or time(8, 30),
        evening=parse_hhmm(row.evening_time) or time(17, 30),
        quiet_start=parse_hhmm(row.quiet_start),
        quiet_end=parse_hhmm(row.quiet_end),
        locale=row.locale,
    )


def load_prefs(user_ids: Iterable[int]) -> dict[int, Prefs]:
    ids = list(set(user_ids))
    out = {uid: Prefs() for uid in ids}
    for i in range(0, len(ids), 500):
        for row in db.session.scalars(select(ReminderPreference).where(
                ReminderPreference.user_id.in_(ids[i:i + 500]))):
            out[row.user_id] = prefs_of(row)
    return out


def quiet_until(prefs: Prefs, local: datetime) -> datetime | None:
    """The local end of the quiet hours `local` falls in, or None when it is not quiet."""
    qs, qe = prefs.quiet_start, prefs.quiet_end
    if qs is None or qe is None or qs == qe:
        return None
    t = local.time()
    if qs < qe:  # e.g. 12:00-14:00
        inside = qs <= t < qe
        end_day = local.date()
    else:  # over midnight, e.g. 22:00-07:00
        inside = t >= qs or t < qe
        end_day = local.date() + timedelta(days=1) if t >= qs else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, qe, tzinfo=local.tzinfo)


