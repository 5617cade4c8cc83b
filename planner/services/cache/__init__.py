"""The page and plan caches: what is kept, and what a write clears (declared once).

- tables.py: the map of every table to what a write to it clears;
- changes.py: the change counters, moved in the writing transaction (ORM history, Core);
- plan.py: the rep's plan and the company's summaries; page.py: rendered pages;
- badges.py: Today's badge values (context processors and the page's key);
- store.py: storing a copy in a short transaction of its own.
"""

from __future__ import annotations

from . import badges
from .changes import company_writes, init_app
from .page import CSRF_MARK, PageQuery, cached_page, code_version, enabled
from .plan import cached_rep_plan, counters, stamps, summary

__all__ = ["CSRF_MARK", "badges", "PageQuery", "cached_page", "cached_rep_plan", "code_version",
           "company_writes", "counters", "enabled", "init_app", "stamps", "summary"]
