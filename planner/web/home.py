"""The pages' modules: each role's home and what it links to.

Today (the rep's home) lives in today.py, Team (the manager's home) in team.py, Targets
(the admin's home) in targets.py, the company calendar in calendar.py.
"""

from __future__ import annotations

from . import calendar, targets, team  # noqa: F401
