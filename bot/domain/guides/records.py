"""What the guides repository returns: plain values detached from the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ProgressStatus(StrEnum):
    active = "active"
    done = "done"
    abandoned = "abandoned"


class EventKind(StrEnum):
    opened = "opened"
    step = "step"  # a step was shown (reached)
    stuck = "stuck"
    done = "done"
    abandoned = "abandoned"
    feedback = "feedback"  # detail: "up" or "down"
    reason = "reason"  # detail: the citizen's one line on a 👎


@dataclass(frozen=True, slots=True)
class GuideProgress:
    user_id: int
    guide_id: str
    step: int
    ticked: frozenset[int]
    version: str
    status: ProgressStatus
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AbandonedRow:
    user_id: int
    guide_id: str
    step: int
