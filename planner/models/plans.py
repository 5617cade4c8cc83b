"""Daily plans, action plans (行动计划) and weekly self-reviews (周总结)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, utcnow


class DailyPlan(db.Model):
    """A rep's plan for one day, usually written the evening before (今日事今日毕)."""

    __tablename__ = "daily_plan"
    __table_args__ = (UniqueConstraint("user_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    day: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at()

    items: Mapped[list[DailyPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="DailyPlanItem.id"
    )


class DailyPlanItem(db.Model):
    """A customer to see on the plan's day (a planned visit)."""

    __tablename__ = "daily_plan_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed: a plan's items are read on every Today (a year of plans is ~1.5 M items).
    plan_id: Mapped[int] = mapped_column(ForeignKey("daily_plan.id", ondelete="CASCADE"),
                                         index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    purpose: Mapped[str] = mapped_column(String(300), default="")
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visit.id"))  # set when done

    plan: Mapped[DailyPlan] = relationship(back_populates="items")
    customer = relationship("Customer")


class ActionPlan(db.Model):
    """The seed's five-part action plan for a rep's monthly or quarterly target."""

    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("user_id", "period_kind", "period_start", "metric_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    metric_id: Mapped[int | None] = mapped_column(ForeignKey("metric.id"))
    period_kind: Mapped[str] = mapped_column(String(8))  # month | quarter
    period_start: Mapped[date] = mapped_column(Date)
    key_actions: Mapped[str] = mapped_column(Text, default="")  # 要做好什么事
    rewards_penalties: Mapped[str] = mapped_column(Text, default="")  # 奖励与惩罚
    obstacles: Mapped[str] = mapped_column(Text, default="")  # 障碍与所需知识技巧
    support_needed: Mapped[str] = mapped_column(Text, default="")  # 需要的支持与配合
    # [{"stage": "...", "due": "YYYY-MM-DD"}]: 各阶段达成时间
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class WeeklyReview(db.Model):
    """A rep's weekly self-review (周总结/自检), approved or returned by the manager."""

    __tablename__ = "weekly_review"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    week_start: Mapped[date] = mapped_column(Date)  # the Monday
    completed: Mapped[str] = mapped_column(Text, default="")
    missed_reasons: Mapped[str] = mapped_column(Text, default="")
    successes: Mapped[str] = mapped_column(Text, default="")
    improvements: Mapped[str] = mapped_column(Text, default="")
    help_needed: Mapped[str] = mapped_column(Text, default="")
    # Figures of the week against plan, frozen at submission.
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ReviewStatus] = mapped_column(
        Enum(ReviewStatus, native_enum=False, length=16), default=ReviewStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at()
    # The support needed comes from a department; next week's focus and numbers
    # ({row key: value}, money in fen) become next week's plan.
    support_department: Mapped[str] = mapped_column(String(120), default="")
    next_focus: Mapped[str] = mapped_column(Text, default="")
    next_numbers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Optimistic concurrency: every UPDATE says WHERE version = <the version read>, so two
    # writers cannot both win (the loser gets StaleDataError; services.reviews reports it).
    __mapper_args__ = {"version_id_col": version}

    author = relationship("User", foreign_keys=[user_id])
    events: Mapped[list[WeeklyReviewEvent]] = relationship(
        back_populates="review", cascade="all, delete-orphan",
        order_by="WeeklyReviewEvent.id")
    comments: Mapped[list[WeeklyReviewComment]] = relationship(
        back_populates="review", cascade="all, delete-orphan",
        order_by="WeeklyReviewComment.id")


class WeeklyReviewEvent(db.Model):
    """One transition of a weekly review (who, when, from, to, with the comment).
    `op_id` is the id of the outbox item that made it (a sync applies it at most once)."""

    __tablename__ = "weekly_review_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("weekly_review.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = created_at()
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    op_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    op_hash: Mapped[str | None] = mapped_column(String(64))

    review: Mapped[WeeklyReview] = relationship(back_populates="events")
    actor = relationship("User")


class WeeklyReviewComment(db.Model):
    """The comment thread of a weekly review."""

    __tablename__ = "weekly_review_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("weekly_review.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    review: Mapped[WeeklyReview] = relationship(back_populates="comments")
    author = relationship("User")
