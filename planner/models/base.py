"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.orm import mapped_column

# Money is an integer number of fen; counts are integers; percentages are hundredths
# of a percent (85.5% -> 8550). All of them fit in BIGINT.
Amount = BigInteger


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at():  # type: ignore[no-untyped-def]
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
