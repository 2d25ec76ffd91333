"""The reports' read models (bot.reports.ports.ReportsStore): the ranking, its people, and the campaign's counts.

Kept apart from the quiz's repository, whose statements run on every answer. The export reads a million
entrants without holding them: each person's counted attempt is picked in SQL (a window function, the same
order as bot.domain.quiz.ranking.counted_attempts), ordered like the ranking, and streamed in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, case, desc, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.core import table
from bot.db.guides import GuideEventRow
from bot.db.models import Unit, User
from bot.db.outbox import DeliveryRow
from bot.db.quiz import IN_PROGRESS, QuizAnswer, QuizAttempt, QuizParticipant, utc
from bot.domain.guides.records import EventKind
from bot.domain.ports import found
from bot.domain.quiz.ranking import Entry
from bot.domain.quiz.records import AttemptMode
from bot.domain.records import UnitRecord
from bot.reports.ports import AnswerCount, DeliveryCount, Entrant

_ATTEMPTS = table(QuizAttempt)
_CONTEST = AttemptMode.contest.value


def _closed(contest_id: str) -> Any:
    return (_ATTEMPTS.c.contest_id == contest_id) & (_ATTEMPTS.c.mode == _CONTEST) & (_ATTEMPTS.c.status != IN_PROGRESS)


def _counted(contest_id: str) -> Any:
    """Closed contest attempts, each with its place among the person's own (1 = the one that counts) and
    how many the person made: most correct, then shortest, then earliest, then the first stored."""
    duration = func.coalesce(_ATTEMPTS.c.duration_ms, 0)
    person = _ATTEMPTS.c.user_id
    return (
        select(
            _ATTEMPTS.c.id,
            _ATTEMPTS.c.user_id,
            _ATTEMPTS.c.correct,
            _ATTEMPTS.c.answered,
            duration.label("duration_ms"),
            _ATTEMPTS.c.finished_at,
            _ATTEMPTS.c.prediction,
            func.row_number()
            .over(
                partition_by=person,
                order_by=(desc(_ATTEMPTS.c.correct), duration, _ATTEMPTS.c.finished_at, _ATTEMPTS.c.id),
            )
            .label("pick"),
            func.count().over(partition_by=person).label("used"),
        )
        .where(_closed(contest_id))
        .subquery("counted")
    )


def _ranked_statement(contest_id: str, entrants: int) -> Select[Any]:
    counted = _counted(contest_id)
    no_prediction = case((counted.c.prediction.is_(None), 1), else_=0)
    distance = func.abs(counted.c.prediction - literal(entrants))
    return (
        select(
            counted.c.user_id,
            counted.c.id,
            counted.c.correct,
            counted.c.answered,
            counted.c.duration_ms,
            counted.c.finished_at,
            counted.c.prediction,
            counted.c.used,
            QuizParticipant.full_name,
            QuizParticipant.phone,
            QuizParticipant.birth_year,
            QuizParticipant.group_id,
            QuizParticipant.erased_at,
            User.unit_code,
        )
        .join(User, User.id == counted.c.user_id)
        .outerjoin(QuizParticipant, QuizParticipant.user_id == counted.c.user_id)
        .where(counted.c.pick == 1)
        # bot.domain.quiz.ranking.rank_order: score, prediction (none last), distance, duration, time, person
        .order_by(
            desc(counted.c.correct),
            no_prediction,
            func.coalesce(distance, 0),
            counted.c.duration_ms,
            counted.c.finished_at,
            counted.c.user_id,
        )
    )


class ReportsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # ---- the ranking

    async def entries(self, contest_id: str) -> list[Entry]:
        rows = await self._session.execute(
            select(
                QuizAttempt.user_id,
                QuizAttempt.id,
                QuizAttempt.correct,
                QuizAttempt.duration_ms,
                QuizAttempt.finished_at,
                QuizAttempt.prediction,
                QuizParticipant.full_name,
                User.unit_code,
            )
            .join(User, User.id == QuizAttempt.user_id)
            .outerjoin(QuizParticipant, QuizParticipant.user_id == QuizAttempt.user_id)
            .where(
                QuizAttempt.contest_id == contest_id,
                QuizAttempt.mode == _CONTEST,
                QuizAttempt.status != IN_PROGRESS,
            )
        )
        return [
            Entry(
                user_id=user_id,
                attempt_id=attempt_id,
                score=correct,
                duration_ms=duration or 0,
                submitted_at=found(utc(finished_at), f"finish time of attempt {attempt_id}"),
                prediction=prediction,
                name=name,
                unit_code=unit,
            )
            for user_id, attempt_id, correct, duration, finished_at, prediction, name, unit in rows
        ]

    async def unit_directory(self) -> dict[str, tuple[str, int | None]]:
        rows = await self._session.execute(select(Unit.code, Unit.name, Unit.headcount))
        return {code: (name, headcount) for code, name, headcount in rows}

    # ---- the export

    async def units(self) -> list[UnitRecord]:
        rows = await self._session.scalars(select(Unit).order_by(Unit.code))
        return [
            UnitRecord(
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent_code=row.parent_code,
                headcount=row.headcount,
            )
            for row in rows
        ]

    async def entrant_count(self, contest_id: str) -> int:
        return int(
            await self._session.scalar(
                select(func.count(func.distinct(_ATTEMPTS.c.user_id))).where(_closed(contest_id))
            )
            or 0
        )

    async def _stream(self, statement: Any, batch: int) -> AsyncIterator[Any]:
        result = await self._session.stream(statement.execution_options(yield_per=batch))
        async for partition in result.partitions(batch):
            yield partition

    async def ranked_entrants(self, contest_id: str, entrants: int, batch: int = 2000) -> AsyncIterator[Entrant]:
        async for rows in self._stream(_ranked_statement(contest_id, entrants), batch):
            for row in rows:
                (user_id, attempt_id, correct, answered, duration, finished_at, prediction, used) = row[:8]
                (name, phone, birth_year, group_id, erased_at, unit_code) = row[8:]
                entry = Entry(
                    user_id=user_id,
                    attempt_id=attempt_id,
                    score=correct,
                    duration_ms=duration,
                    submitted_at=found(utc(finished_at), f"finish time of attempt {attempt_id}"),
                    prediction=prediction,
                    name=name,
                    unit_code=unit_code,
                )
                yield Entrant(
                    entry, int(used), answered, name, phone, birth_year, group_id, erased=erased_at is not None
                )

    async def answer_counts(self, contest_id: str) -> list[AnswerCount]:
        correct = func.sum(case((QuizAnswer.is_correct, 1), else_=0))
        rows = await self._session.execute(
            select(QuizAnswer.question_id, QuizAnswer.chosen, func.count(), correct)
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .where(_closed(contest_id))
            .group_by(QuizAnswer.question_id, QuizAnswer.chosen)
        )
        return [AnswerCount(question, chosen, int(count), int(right or 0)) for question, chosen, count, right in rows]

    async def drawn_questions(self, contest_id: str, batch: int = 2000) -> AsyncIterator[list[str]]:
        async for rows in self._stream(select(_ATTEMPTS.c["items"]).where(_closed(contest_id)), batch):
            for (items,) in rows:
                yield [question_id for question_id, _ in orjson.loads(items)]

    async def answer_rows(self, contest_id: str, batch: int = 5000) -> AsyncIterator[tuple[object, ...]]:
        statement = (
            select(
                QuizAnswer.attempt_id,
                QuizAnswer.position,
                QuizAnswer.question_id,
                QuizAnswer.chosen,
                QuizAnswer.is_correct,
                QuizAnswer.answered_at,
            )
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .where(_closed(contest_id))
            .order_by(QuizAnswer.attempt_id, QuizAnswer.position)
        )
        async for rows in self._stream(statement, batch):
            for attempt_id, position, question_id, chosen, is_correct, answered_at in rows:
                yield (attempt_id, position, question_id, chosen, bool(is_correct), utc(answered_at))

    # ---- statistics

    async def registrations(self, batch: int = 5000) -> AsyncIterator[tuple[str | None, datetime]]:
        async for rows in self._stream(select(User.unit_code, User.first_seen), batch):
            for unit_code, first_seen in rows:
                yield unit_code, utc(first_seen)

    async def first_entries(self, contest_id: str) -> AsyncIterator[tuple[str | None, datetime]]:
        first = (
            select(_ATTEMPTS.c.user_id, func.min(_ATTEMPTS.c.finished_at).label("at"))
            .where(_closed(contest_id))
            .group_by(_ATTEMPTS.c.user_id)
            .subquery("first")
        )
        statement = select(User.unit_code, first.c.at).join(User, User.id == first.c.user_id)
        async for rows in self._stream(statement, 5000):
            for unit_code, at in rows:
                yield unit_code, found(utc(at), "finish time")

    async def delivery_counts(self, topic: str) -> list[DeliveryCount]:
        rows = await self._session.execute(
            select(DeliveryRow.ref_id, DeliveryRow.unit_code, DeliveryRow.state, func.count())
            .where(DeliveryRow.topic == topic)
            .group_by(DeliveryRow.ref_id, DeliveryRow.unit_code, DeliveryRow.state)
            .order_by(DeliveryRow.ref_id)
        )
        return [DeliveryCount(int(ref), unit, state, int(count)) for ref, unit, state, count in rows]

    async def reasons(self) -> list[tuple[str, str, int]]:
        count = func.count(func.distinct(GuideEventRow.user_id))
        rows = await self._session.execute(
            select(GuideEventRow.guide_id, GuideEventRow.detail, count)
            .where(GuideEventRow.kind == EventKind.reason.value, GuideEventRow.detail.is_not(None))
            .group_by(GuideEventRow.guide_id, GuideEventRow.detail)
            .order_by(desc(count), GuideEventRow.detail)
        )
        return [(guide, detail or "", int(n)) for guide, detail, n in rows]
