"""Reminders: the passes that create them (morning plan, follow-ups, end of day, weekly
review, behind target, the manager's daily digest), the dispatcher that pushes due rows of
`reminder` exactly once by Web Push, and the in-app inbox (the bell).

The package's door (this module) is what the pages, the API, the CLI, devtools and the
other services use; its insides: `preferences` (kinds, a user's choices, quiet hours),
`texts` (what each reminder says), `schedule` (creating the due ones), `dispatch` (the
leased queue: claim, send, record), `worker` (the worker's pass and loop), `bell` (queueing
a reminder, the inbox), `channels` (Web Push: VAPID keys and sending).
"""

from __future__ import annotations

from .bell import dedupe_key, enqueue, inbox, mark_read, unread_count, unread_query
from .channels import (
    KEY_FILE,
    Outcome,
    Sender,
    app_key,
    encode_payload,
    load_or_create_key,
    public_key,
    rotate_key,
)
from .dispatch import (
    Claimed,
    PassResult,
    app_sender,
    backoff_s,
    claim,
    dispatch_all,
    dispatch_once,
    push_data,
    worker_name,
)

# Private names of the module this package replaced, which its tests still reach.
from .dispatch import _Decision as _Decision
from .dispatch import _record as _record
from .endpoints import PROBLEMS as ENDPOINT_PROBLEMS
from .endpoints import EndpointPolicy, endpoint_problem
from .preferences import (
    BEHIND_TARGET,
    DELIVERY,
    END_OF_DAY,
    FOLLOW_UP,
    MANAGER_KINDS,
    MAX_ATTEMPTS,
    MAX_LATE,
    MORNING_PLAN,
    QUIET,
    REP_KINDS,
    REVIEW_GROUP,
    TEAM_DIGEST,
    WEEKLY_REVIEW,
    Prefs,
    kind_group,
    load_prefs,
    parse_hhmm,
    prefs_of,
    quiet_until,
    utcnow,
)
from .preferences import _aware as _aware
from .schedule import BUILDERS, generate, locale_of, review_day, schedule, week_key
from .schedule import _checked as _checked
from .texts import Text, behind, previous_working_day
from .texts import _path as _path
from .worker import run_pass, worker_loop

__all__ = [
    "MAX_LATE",
    "_path",
    "ENDPOINT_PROBLEMS",
    "EndpointPolicy",
    "endpoint_problem",
    "BEHIND_TARGET",
    "BUILDERS",
    "Claimed",
    "DELIVERY",
    "END_OF_DAY",
    "FOLLOW_UP",
    "KEY_FILE",
    "MANAGER_KINDS",
    "MAX_ATTEMPTS",
    "MORNING_PLAN",
    "Outcome",
    "PassResult",
    "Prefs",
    "QUIET",
    "REP_KINDS",
    "REVIEW_GROUP",
    "Sender",
    "TEAM_DIGEST",
    "Text",
    "WEEKLY_REVIEW",
    "app_key",
    "app_sender",
    "backoff_s",
    "behind",
    "claim",
    "dedupe_key",
    "dispatch_all",
    "dispatch_once",
    "encode_payload",
    "enqueue",
    "generate",
    "inbox",
    "kind_group",
    "load_or_create_key",
    "load_prefs",
    "locale_of",
    "mark_read",
    "parse_hhmm",
    "prefs_of",
    "previous_working_day",
    "public_key",
    "push_data",
    "quiet_until",
    "review_day",
    "rotate_key",
    "run_pass",
    "schedule",
    "unread_count",
    "unread_query",
    "utcnow",
    "week_key",
    "worker_loop",
    "worker_name",
]
