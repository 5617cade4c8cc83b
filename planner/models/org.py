"""The company, its org-unit tree (company > region > team), its users and failed logins."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, created_at


class Role(enum.StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class UnitKind(enum.StrEnum):
    COMPANY = "company"
    REGION = "region"
    TEAM = "team"


class Company(db.Model):
    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    country: Mapped[str] = mapped_column(String(2), default="CN")
    fiscal_first_month: Mapped[int] = mapped_column(Integer, default=1)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # When a week's review is due: minutes after the week's end (Sunday 24:00, company
    # time); 720 = Monday 12:00. The one rule: services.company.review_due.
    review_due_minutes: Mapped[int] = mapped_column(Integer, default=720,
                                                    server_default="720")
    # The administrator put the set-up checklist away before every step was done.
    setup_dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at()


class OrgUnit(db.Model):
    """A node of the org tree. `path` is the materialized path of ids, e.g. '/1/3/7/',
    so a unit's subtree is one indexed prefix query."""

    __tablename__ = "org_unit"
    # Codes are unique within a company (a second company may use the same codes).
    __table_args__ = (UniqueConstraint("company_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=16))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    # A closed unit keeps its history (targets, tracking) but takes no new people.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    company: Mapped[Company] = relationship()
    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.sort")

    def set_path(self) -> None:
        base = self.parent.path if self.parent is not None else "/"
        self.path = f"{base}{self.id}/"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    locale: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated at logout and password change: every older session stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    # Capability / experience / resources score used to weight splits to reps (0-100).
    capability: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = created_at()

    unit: Mapped[OrgUnit] = relationship()

    @property
    def company(self) -> Company:
        """The user's company (through the unit; no query once the unit is loaded)."""
        return self.unit.company

    def get_id(self) -> str:  # Flask-Login: id plus the session token
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def rotate_session(self) -> None:
        self.session_token = secrets.token_hex(16)


class LoginFailure(db.Model):
    """A failed login, for throttling by username and address."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = created_at()
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Invitation(db.Model):
    """A one-time activation link for a user: only the sha256 of its token is kept.
    Used once (`used_at`), and only until `expires_at`."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
