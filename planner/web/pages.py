"""Every page module, in one list: importing one registers its routes on `bp`, which
create_app registers (the modules import `bp` from the package; the package imports
none of them, so the import graph has no cycle)."""

from __future__ import annotations

from . import (  # noqa: F401
    bp,
    calendar,  # the company calendar (admins)
    customers,  # the rep's customers and a customer's page
    notifications,  # the bell and reminder preferences
    people_changes,  # /changes: a rep leaves, joins, moves; a manager is replaced
    plans,  # week and month plans, action plans
    reviews,  # the weekly review and the manager's approval
    targets,  # Targets: the decomposition tree (the admin's home)
    team,  # Team: the manager's home
    today,  # Today: the rep's home
    tracking,  # Tracking (a package): the page, Excel in and out, the funnel, adjusting
    visits,  # logging a visit
    years,  # planning the next fiscal year, drafts and publishing
)

__all__ = ["bp"]

# The administration pages are a blueprint of their own (web/admin/), registered with this one.
from .admin import bp as admin_bp  # noqa: E402

bp.record_once(lambda state: state.app.register_blueprint(admin_bp))
