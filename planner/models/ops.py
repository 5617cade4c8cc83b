"""What the running deployment reports about itself, for `flask planner doctor`: when each
reminder worker last ran a pass, and how the last backup went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class OpsStatus(db.Model):
    """One fact per key: `worker:<name>` (a reminder worker's last pass), `backup:ok`
    (the last backup that succeeded: its file), `backup:error` (the last failure)."""

    __tablename__ = "ops_status"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[str] = mapped_column(Text, default="")
