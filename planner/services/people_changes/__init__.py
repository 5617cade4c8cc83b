"""People change during the year (issue 18 §5): the services' one door.

- a rep **leaves** (``preview_leave`` / ``apply_leave``): remaining targets to the
  teammates, a successor or kept on the team unassigned; customers and open follow-ups
  to a successor or the manager; then deactivated;
- a rep **joins** mid-year (``preview_join`` / ``apply_join``): a share of the team's
  remaining target, by capability or typed;
- a rep **moves** team (``preview_move`` / ``apply_move``): a membership history row;
  their remaining targets move with them or stay with the old team;
- a **manager** leaves or changes (``preview_manager_change`` /
  ``apply_manager_change``): a successor gets the unit, waiting reviews and the digest;
- **tracking by membership dates**: ``members(company_id, path)`` gives the conditions
  "the rep was in this unit on that day" (visits, first wins) and "the rep's target made
  in this unit"; ``unit_on(user_id, day)`` the unit of one rep on one day.

Every preview is computed, never written; every apply writes the same plan with audit
rows (action leave / join / move / manager_change / deactivate) and leaves every target
tree adding up, for the year and every month. The rules of splitting and rebalancing
are the engine's (``planner.engine.handover``); the rule of "remaining" is in ``trees``.
Services add and flush; the caller commits. Bad input raises ``Refused``; an actor who
may not act on the person gets ``LookupError`` (the page answers 404).
"""

from ..membership import Members, members, record_move, unit_on, unit_on_date
from .join import JoinPlan, apply_join, join_metrics, preview_join
from .leave import LeavePlan, apply_leave, manager_of, preview_leave
from .managers import ManagerPlan, apply_manager_change, preview_manager_change
from .move import MovePlan, apply_move, preview_move
from .trees import TreePlan, check_actor

__all__ = [
    "JoinPlan", "LeavePlan", "ManagerPlan", "Members", "MovePlan", "TreePlan",
    "apply_join", "apply_leave", "apply_manager_change", "apply_move", "check_actor",
    "join_metrics", "manager_of", "members", "preview_join", "preview_leave",
    "preview_manager_change", "preview_move", "record_move", "unit_on", "unit_on_date",
]
