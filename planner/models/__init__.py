"""SQLAlchemy 2 typed models, one module per area."""

from .cache import PlanCache, PlanStamp, SummaryCache
from .catalog import Channel, CustomerType, Metric, MetricUnit, ProductLine, Stage
from .crm import Customer, Visit, VisitKind, VisitProduct, new_uuid
from .membership import UnitMembership
from .notify import PushSubscription, Reminder, ReminderPreference, ReminderStatus
from .ops import OpsStatus
from .org import Company, Invitation, LoginFailure, OrgUnit, Role, UnitKind, User
from .plans import (
    ActionPlan,
    DailyPlan,
    DailyPlanItem,
    ReviewStatus,
    WeeklyReview,
    WeeklyReviewComment,
    WeeklyReviewEvent,
)
from .targets import (
    AuditLog,
    CalendarOverride,
    DayKind,
    FiscalYear,
    MonthlyActual,
    Target,
    TargetCell,
    Tier,
)
from .tracking import StageMove

__all__ = [
    "ActionPlan",
    "AuditLog",
    "CalendarOverride",
    "Channel",
    "Company",
    "Customer",
    "CustomerType",
    "DailyPlan",
    "DailyPlanItem",
    "DayKind",
    "FiscalYear",
    "Invitation",
    "LoginFailure",
    "Metric",
    "MetricUnit",
    "MonthlyActual",
    "OpsStatus",
    "OrgUnit",
    "PlanCache",
    "PlanStamp",
    "ProductLine",
    "PushSubscription",
    "Reminder",
    "ReminderPreference",
    "ReminderStatus",
    "ReviewStatus",
    "Role",
    "Stage",
    "StageMove",
    "SummaryCache",
    "Target",
    "TargetCell",
    "Tier",
    "UnitKind",
    "UnitMembership",
    "User",
    "Visit",
    "VisitKind",
    "VisitProduct",
    "WeeklyReview",
    "WeeklyReviewComment",
    "WeeklyReviewEvent",
    "new_uuid",
]
