"""What the quiz needs from storage (implemented by bot.db.quiz.QuizRepository and by the tests' fake)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypedDict, Unpack

from bot.domain.ports import StoreKey
from bot.domain.quiz.records import AnswerRow, Attempt, AttemptMode, AttemptStatus, Participant
from bot.domain.quiz.sampling import Drawn


class ParticipantChanges(TypedDict, total=False):
    full_name: str | None
    phone: str | None
    birth_year: int | None
    group_id: str | None
    consent_at: datetime | None
    consent_version: str | None
    erased_at: datetime | None


class QuizStore(Protocol):
    # participants
    async def participant(self, user_id: int) -> Participant | None: ...
    async def ensure_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None:
        """Create the participant with these values unless it exists (then nothing changes)."""

    async def update_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None: ...

    # attempts
    async def attempt(self, attempt_id: int) -> Attempt | None: ...
    def known_items(self, attempt_id: int) -> tuple[Drawn, ...] | None:
        """The attempt's drawn questions if already seen (they never change), without a query."""

    async def count_answer_if_current(
        self,
        attempt_id: int,
        user_id: int,
        position: int,
        question_id: str,
        chosen: int,
        is_correct: bool,
        now: datetime,
    ) -> Attempt | None:
        """Store and count one answer if the attempt is `user_id`'s, in progress, before its deadline and
        waiting for exactly this position; the attempt as it now stands. None: nothing was changed."""

    async def record_answer(
        self, attempt_id: int, position: int, question_id: str, chosen: int, is_correct: bool, now: datetime
    ) -> tuple[int, int] | None:
        """Insert one answer; the attempt's new (answered, correct), or None if the position was answered."""

    async def open_attempt(self, user_id: int, contest_id: str) -> Attempt | None: ...
    async def open_attempts_of(self, user_id: int) -> list[Attempt]: ...
    async def last_attempt(self, user_id: int, contest_id: str) -> Attempt | None: ...
    async def attempts_made(self, user_id: int, contest_id: str) -> int: ...
    async def has_contest_attempt(self, user_id: int) -> bool: ...
    async def add_attempt(
        self,
        contest_id: str,
        user_id: int,
        number: int,
        mode: AttemptMode,
        items: list[Drawn],
        started_at: datetime,
        deadline_at: datetime,
    ) -> Attempt | None:
        """None when a concurrent start won (one open attempt per person and contest; unique numbers)."""

    async def restart_clock(self, attempt_id: int, started_at: datetime, deadline_at: datetime) -> bool:
        """Move the clock of an attempt in progress with no answer yet; False when there is none such."""

    async def withdraw_attempt(self, attempt_id: int) -> bool:
        """Delete an attempt in progress with no answer yet; False when there is none such."""

    async def finish(
        self,
        attempt_id: int,
        finished_at: datetime,
        duration_ms: int,
        status: AttemptStatus,
        prediction: int | None = None,
    ) -> bool:
        """Close an attempt still in progress; False when it was already closed (by someone else)."""

    async def overdue(self, now: datetime, limit: int = 500) -> list[Attempt]: ...
    async def answers(self, attempt_id: int) -> list[AnswerRow]: ...


QUIZ: StoreKey[QuizStore] = StoreKey("quiz")
