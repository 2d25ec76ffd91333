"""What the quiz repository returns: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.quiz.sampling import Drawn


class AttemptMode(StrEnum):
    contest = "contest"  # counted for the ranking and prizes
    practice = "practice"  # any time, never counted


class AttemptStatus(StrEnum):
    in_progress = "in_progress"
    finished = "finished"  # every question answered (and the prediction given)
    expired = "expired"  # closed at the deadline with what was answered


@dataclass(frozen=True, slots=True)
class Participant:
    user_id: int
    full_name: str | None
    phone: str | None
    birth_year: int | None
    group_id: str | None
    consent_at: datetime | None
    consent_version: str | None
    erased_at: datetime | None

    @property
    def complete(self) -> bool:
        # The unit is asked for only where units are imported, so it is not required here.
        return None not in (self.full_name, self.phone, self.birth_year, self.group_id)


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    contest_id: str
    user_id: int
    number: int
    mode: AttemptMode
    items: tuple[Drawn, ...]
    started_at: datetime
    deadline_at: datetime
    finished_at: datetime | None
    status: AttemptStatus
    correct: int
    answered: int
    duration_ms: int | None
    prediction: int | None

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def all_answered(self) -> bool:
        return self.answered >= self.total


@dataclass(frozen=True, slots=True)
class AnswerRow:
    position: int
    question_id: str
    chosen: int
    is_correct: bool
