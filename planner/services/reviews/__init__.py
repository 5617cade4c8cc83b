"""The weekly self-review (周总结/自检) and the manager's approval (审批).

A rep reviews a week (Monday..Sunday) against the plan: the figures are filled in from the
data (each metric's week target from the engine's daily split of the month targets, against
what was achieved, day by day; visits by kind; new customers; signings; collections;
follow-ups done and missed; the week's planned visits beside what happened; the numbers the
rep set for this week in last week's review). The rep writes the seed's parts and submits;
a manager of the rep's unit (or the director) approves it or returns it with a comment; a
returned review is edited and submitted again.

States: draft -> submitted -> approved | returned -> submitted -> ... Every rule is
enforced here (the pages, the API and the offline sync all come through these functions):

- only the author writes and submits (draft or returned);
- only a manager whose unit holds the author's unit, or an admin of the company, approves
  or returns, and never their own review; only a submitted review;
- a return needs a comment; an approved review is read-only (no edit, no comment);
- every change names the version it was made on (`WeeklyReview.version`); a review
  changed meanwhile is a conflict (ReviewError 409), never a silent overwrite;
- every transition is one `weekly_review_event` row (who, when, from, to, comment).

Refusals raise ReviewError(status, message) with nothing changed; the caller rolls back.
The caller commits.

The package's door (this module) is what the pages, the API and the CLI use; its
insides: `weeks` (the week to review, when it is due), `figures` (the week's figures),
`inputs` (parsing, refusals), `workflow` (the states), `lists` (a manager's week, the
history), `notify` (notifications), `serialise` (JSON).
"""

from __future__ import annotations

from ..company import review_due
from .figures import (
    KIND_LABELS,
    MAX_WEEKS_BACK,
    MONEY_ROWS,
    NEXT_KEYS,
    ROW_LABELS,
    ROWS,
    TEXTS,
    compute_figures,
    figures_of,
    row,
)
from .inputs import (
    ReviewError,
    ReviewFieldErrors,
    ReviewInput,
    check_week,
    parse_input,
    payload_digest,
)
from .lists import history, team_users, team_week, waiting_count, waiting_query
from .notify import _notify_submitted as _notify_submitted
from .notify import approvers, remind_overdue
from .serialise import comment_json, event_json, review_json
from .settings import due_setting, set_due
from .weeks import default_week, is_late, week_start
from .workflow import (
    STATUS_LABELS,
    add_comment,
    approve,
    can_decide,
    find,
    get_visible,
    return_,
    save_draft,
    submit,
)

__all__ = [
    "MAX_WEEKS_BACK",
    "_notify_submitted",
    "due_setting",
    "set_due",
    "KIND_LABELS",
    "MONEY_ROWS",
    "NEXT_KEYS",
    "ROWS",
    "ROW_LABELS",
    "ReviewError",
    "ReviewFieldErrors",
    "ReviewInput",
    "STATUS_LABELS",
    "TEXTS",
    "add_comment",
    "approve",
    "approvers",
    "can_decide",
    "check_week",
    "comment_json",
    "compute_figures",
    "is_late",
    "review_due",
    "default_week",
    "event_json",
    "figures_of",
    "find",
    "get_visible",
    "history",
    "parse_input",
    "payload_digest",
    "remind_overdue",
    "return_",
    "review_json",
    "row",
    "save_draft",
    "submit",
    "team_users",
    "team_week",
    "waiting_count",
    "waiting_query",
    "week_start",
]
