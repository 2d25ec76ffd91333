"""Dataclasses that repositories return: detached from the database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UnitRecord:
    code: str
    name: str
    kind: str
    parent_code: str | None = None
    headcount: int | None = None
    help_name: str | None = None
    help_phone: str | None = None
    help_hours: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    platform: str
    platform_user_id: str
    chat_id: str
    language: str | None
    unit_code: str | None
    status: str
    first_seen: datetime
    last_seen: datetime
    source: str | None
    consent_at: datetime | None = None
