"""Organisation and people: the first set-up, company details, units, people,
invitations, the people import, the set-up checklist and the audit log. The door for the
pages, the CLI and other services (people changes call `deactivate_user`)."""

from __future__ import annotations

from . import audit, checklist, company, invitations, people, scope, units
from .invitations import LinkProblem
from .people import deactivate_user
from .scope import NotYours

__all__ = ["LinkProblem", "NotYours", "audit", "checklist", "company", "deactivate_user",
           "invitations", "people", "scope", "units"]
