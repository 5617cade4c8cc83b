"""A review, its events and its comments as JSON (the API's shapes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...models import (
    User,
    WeeklyReview,
    WeeklyReviewComment,
    WeeklyReviewEvent,
)
from .figures import TEXTS, figures_of
from .weeks import _aware

# ------------------------------------------------------------------ JSON


def review_json(review: WeeklyReview | None, user: User, monday: date,
                figures: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": review.id if review else None,
        "user_id": user.id,
        "week_start": monday.isoformat(),
        "status": review.status.value if review else "none",
        "version": review.version if review else 0,
    }
    for k in TEXTS:
        out[k] = getattr(review, k) if review else ""
    out["support_department"] = review.support_department if review else ""
    out["next_numbers"] = (review.next_numbers or {}) if review else {}
    out["submitted_at"] = (_aware(review.submitted_at).isoformat()
                           if review and review.submitted_at else None)
    out["reviewer_id"] = review.reviewer_id if review else None
    out["reviewed_at"] = _aware(review.reviewed_at).isoformat() if review and review.reviewed_at \
        else None
    out["review_comment"] = review.review_comment if review else ""
    out["history"] = [event_json(e) for e in review.events] if review else []
    if figures:
        out["figures"] = figures_of(review, user, monday)
    return out


def event_json(e: WeeklyReviewEvent) -> dict[str, Any]:
    return {"actor_id": e.actor_id, "actor": e.actor.display_name if e.actor else "",
            "at": _aware(e.at).isoformat(), "from": e.from_status, "to": e.to_status,
            "comment": e.comment}


def comment_json(c: WeeklyReviewComment) -> dict[str, Any]:
    return {"id": c.id, "author_id": c.author_id,
            "author": c.author.display_name if c.author else "",
            "body": c.body, "created_at": _aware(c.created_at).isoformat()}


