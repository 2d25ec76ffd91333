"""Quiz tables and their repository: participants, attempts, answers.

Integrity lives in the database: one answer per (attempt, position), at most one attempt in progress per
person and contest (a partial unique index), attempt numbers unique per person and contest; counters move
with `SET x = x + 1`, never read-modify-write.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Unpack, overload

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.core import database_name, dialect, rowcount, run, table
from bot.db.models import Base, BigId
from bot.domain.quiz.ports import ParticipantChanges
from bot.domain.quiz.records import AnswerRow, Attempt, AttemptMode, AttemptStatus, Participant
from bot.domain.quiz.sampling import Drawn

IN_PROGRESS = AttemptStatus.in_progress.value


class QuizParticipant(Base):
    __tablename__ = "quiz_participants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", name="fk_quiz_participants_user", ondelete="CASCADE"), unique=True
    )
    full_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    group_id: Mapped[str | None] = mapped_column(String(48))
    # The citizen's unit is theirs, not the registration's: users.unit_code (one place; migration 0004).
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_version: Mapped[str | None] = mapped_column(String(16))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "contest_id", "number", name="uq_quiz_attempts_number"),
        Index(
            "uq_quiz_attempts_one_open",
            "user_id",
            "contest_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
        Index("ix_quiz_attempts_contest_status", "contest_id", "status"),
        Index("ix_quiz_attempts_open_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contest_id: Mapped[str] = mapped_column(String(48))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", name="fk_quiz_attempts_user", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    items: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    correct: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    prediction: Mapped[int | None] = mapped_column(Integer)


class QuizAnswer(Base):
    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_quiz_answers_attempt_position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", name="fk_quiz_answers_attempt", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(48))
    chosen: Mapped[int] = mapped_column(Integer)
    is_correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _participant(row: QuizParticipant) -> Participant:
    return Participant(
        user_id=row.user_id,
        full_name=row.full_name,
        phone=row.phone,
        birth_year=row.birth_year,
        group_id=row.group_id,
        consent_at=utc(row.consent_at),
        consent_version=row.consent_version,
        erased_at=utc(row.erased_at),
    )


def pack_items(items: list[Drawn]) -> str:
    return json.dumps([[item.question_id, list(item.order)] for item in items], separators=(",", ":"))


# Statements that run on every answer are built once (see bot.db.guides for why).
_ATTEMPTS = table(QuizAttempt)
_ANSWERS = table(QuizAnswer)
_ATTEMPT_BY_ID = select(*_ATTEMPTS.columns).where(_ATTEMPTS.c.id == bindparam("key_attempt"))
_COUNT_ANSWER = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("key_attempt"))
    .values(answered=_ATTEMPTS.c.answered + 1, correct=_ATTEMPTS.c.correct + bindparam("key_correct"))
    .returning(_ATTEMPTS.c.answered, _ATTEMPTS.c.correct)
)
_INSERT_ANSWER: dict[str, Any] = {}  # per dialect: INSERT … ON CONFLICT (attempt_id, position) DO NOTHING RETURNING id

# One answer counted only while everything still holds: the citizen's own attempt, open, before its deadline,
# at this very position. The row lock of the UPDATE orders concurrent presses; the loser matches nothing.
_COUNTED_COLUMNS = [column for column in _ATTEMPTS.columns if column.name != "items"]
_COUNT_IF_CURRENT = (
    update(_ATTEMPTS)
    .where(
        _ATTEMPTS.c.id == bindparam("key_attempt"),
        _ATTEMPTS.c.user_id == bindparam("key_user"),
        _ATTEMPTS.c.status == IN_PROGRESS,
        _ATTEMPTS.c.deadline_at > bindparam("key_now"),
        _ATTEMPTS.c.answered == bindparam("key_position"),
    )
    .values(answered=_ATTEMPTS.c.answered + 1, correct=_ATTEMPTS.c.correct + bindparam("key_correct"))
    .returning(*_COUNTED_COLUMNS)
)
_STORE_ANSWER = _ANSWERS.insert()
# PostgreSQL does both in one round trip: the answer row is inserted only if the count above matched.
_counted = _COUNT_IF_CURRENT.cte("counted")
_COUNT_AND_STORE_PG = select(_counted).add_cte(
    pg_insert(_ANSWERS)
    .from_select(
        ["attempt_id", "position", "question_id", "chosen", "is_correct", "answered_at"],
        select(
            _counted.c.id,
            bindparam("position", type_=Integer),
            bindparam("question_id", type_=String),
            bindparam("chosen", type_=Integer),
            bindparam("is_correct", type_=Boolean),
            bindparam("answered_at", type_=DateTime(timezone=True)),
        ),
    )
    .cte("stored")
)


def _insert_answer(dialect: str) -> Any:
    statement = _INSERT_ANSWER.get(dialect)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = _INSERT_ANSWER[dialect] = (
            insert(_ANSWERS).on_conflict_do_nothing(index_elements=["attempt_id", "position"]).returning(_ANSWERS.c.id)
        )
    return statement


class _DrawnCache:
    """The questions drawn for an attempt never change once stored; knowing them in this process lets an
    answer be checked and counted without reading the attempt first. Bounded; keyed by database too."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], tuple[Drawn, ...]] = OrderedDict()

    def get(self, database: str, attempt_id: int) -> tuple[Drawn, ...] | None:
        return self._items.get((database, attempt_id))

    def clear(self) -> None:
        self._items.clear()

    def discard(self, database: str, attempt_id: int) -> None:
        self._items.pop((database, attempt_id), None)

    def put(self, database: str, attempt: Attempt) -> None:
        self._items[(database, attempt.id)] = attempt.items
        while len(self._items) > self._size:
            self._items.popitem(last=False)


DRAWN = _DrawnCache()


def _attempt(row: Any) -> Attempt:
    items = tuple(Drawn(question_id, tuple(order)) for question_id, order in json.loads(row.items))
    return Attempt(
        id=row.id,
        contest_id=row.contest_id,
        user_id=row.user_id,
        number=row.number,
        mode=AttemptMode(row.mode),
        items=items,
        started_at=utc(row.started_at),
        deadline_at=utc(row.deadline_at),
        finished_at=utc(row.finished_at),
        status=AttemptStatus(row.status),
        correct=row.correct,
        answered=row.answered,
        duration_ms=row.duration_ms,
        prediction=row.prediction,
    )


class QuizRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self, model: type[Base]) -> Any:
        """INSERT for this database (both dialects know ON CONFLICT DO NOTHING)."""
        return (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(model)

    # ---- participants

    async def participant(self, user_id: int) -> Participant | None:
        row = await self._session.scalar(select(QuizParticipant).where(QuizParticipant.user_id == user_id))
        return _participant(row) if row else None

    async def ensure_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None:
        statement = self._insert(QuizParticipant).values(user_id=user_id, updated_at=now, **values)
        await self._session.execute(statement.on_conflict_do_nothing(index_elements=["user_id"]))

    async def update_participant(self, user_id: int, now: datetime, **values: Unpack[ParticipantChanges]) -> None:
        await self._session.execute(
            update(QuizParticipant).where(QuizParticipant.user_id == user_id).values(updated_at=now, **values)
        )

    # ---- attempts

    @cached_property
    def _database(self) -> str:
        return database_name(self._session)

    async def attempt(self, attempt_id: int) -> Attempt | None:
        # Plain rows rather than ORM objects: this runs on every answer.
        row = (await run(self._session, _ATTEMPT_BY_ID, {"key_attempt": attempt_id})).first()
        if row is None:
            return None
        attempt = _attempt(row)
        DRAWN.put(self._database, attempt)
        return attempt

    def known_items(self, attempt_id: int) -> tuple[Drawn, ...] | None:
        """The attempt's drawn questions if this process has seen them (see _DrawnCache)."""
        return DRAWN.get(self._database, attempt_id)

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
        items = self.known_items(attempt_id)
        if items is None:
            return None
        keys = {
            "key_attempt": attempt_id,
            "key_user": user_id,
            "key_now": now,
            "key_position": position,
            "key_correct": 1 if is_correct else 0,
        }
        answer = {
            "attempt_id": attempt_id,
            "position": position,
            "question_id": question_id,
            "chosen": chosen,
            "is_correct": is_correct,
            "answered_at": now,
        }
        if dialect(self._session) == "postgresql":
            row = (await run(self._session, _COUNT_AND_STORE_PG, {**keys, **answer})).first()
        else:
            row = (await run(self._session, _COUNT_IF_CURRENT, keys)).first()
            if row is not None:
                await run(self._session, _STORE_ANSWER, answer)
        if row is None:
            return None
        return Attempt(
            id=row.id,
            contest_id=row.contest_id,
            user_id=row.user_id,
            number=row.number,
            mode=AttemptMode(row.mode),
            items=items,
            started_at=utc(row.started_at),
            deadline_at=utc(row.deadline_at),
            finished_at=utc(row.finished_at),
            status=AttemptStatus(row.status),
            correct=row.correct,
            answered=row.answered,
            duration_ms=row.duration_ms,
            prediction=row.prediction,
        )

    async def open_attempt(self, user_id: int, contest_id: str) -> Attempt | None:
        row = await self._session.scalar(
            select(QuizAttempt).where(
                QuizAttempt.user_id == user_id, QuizAttempt.contest_id == contest_id, QuizAttempt.status == IN_PROGRESS
            )
        )
        return _attempt(row) if row else None

    async def open_attempts_of(self, user_id: int) -> list[Attempt]:
        rows = await self._session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.status == IN_PROGRESS)
            .order_by(QuizAttempt.id)
        )
        return [_attempt(row) for row in rows]

    async def last_attempt(self, user_id: int, contest_id: str) -> Attempt | None:
        row = await self._session.scalar(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.contest_id == contest_id)
            .order_by(QuizAttempt.number.desc())
            .limit(1)
        )
        return _attempt(row) if row else None

    async def attempts_made(self, user_id: int, contest_id: str) -> int:
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(QuizAttempt)
                .where(QuizAttempt.user_id == user_id, QuizAttempt.contest_id == contest_id)
            )
            or 0
        )

    async def has_contest_attempt(self, user_id: int) -> bool:
        return bool(
            await self._session.scalar(
                select(QuizAttempt.id)
                .where(QuizAttempt.user_id == user_id, QuizAttempt.mode == AttemptMode.contest.value)
                .limit(1)
            )
        )

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
        """None when a concurrent start won (one open attempt, unique numbers): the savepoint keeps the rest."""
        row = QuizAttempt(
            contest_id=contest_id,
            user_id=user_id,
            number=number,
            mode=mode,
            items=pack_items(items),
            started_at=started_at,
            deadline_at=deadline_at,
            status=IN_PROGRESS,
            correct=0,
            answered=0,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return None
        attempt = _attempt(row)
        DRAWN.put(self._database, attempt)
        return attempt

    async def record_answer(
        self, attempt_id: int, position: int, question_id: str, chosen: int, is_correct: bool, now: datetime
    ) -> tuple[int, int] | None:
        """Insert one answer and return the attempt's new (answered, correct); None when that position was
        already answered (the unique key decides)."""
        inserted = (
            await run(
                self._session,
                _insert_answer(dialect(self._session)),
                {
                    "attempt_id": attempt_id,
                    "position": position,
                    "question_id": question_id,
                    "chosen": chosen,
                    "is_correct": is_correct,
                    "answered_at": now,
                },
            )
        ).scalar_one_or_none()
        if inserted is None:
            return None
        counters = await run(
            self._session, _COUNT_ANSWER, {"key_attempt": attempt_id, "key_correct": 1 if is_correct else 0}
        )
        answered, correct = tuple(counters.one())
        return int(answered), int(correct)

    async def restart_clock(self, attempt_id: int, started_at: datetime, deadline_at: datetime) -> bool:
        """Move the clock of an attempt in progress with no answer yet (its first question just arrived)."""
        result = await self._session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id, QuizAttempt.status == IN_PROGRESS, QuizAttempt.answered == 0)
            .values(started_at=started_at, deadline_at=deadline_at)
        )
        return bool(rowcount(result))

    async def withdraw_attempt(self, attempt_id: int) -> bool:
        """Delete an attempt in progress with no answer yet (its first question never arrived). SQLite may give
        its id to the next attempt, so this process forgets the questions it drew."""
        result = await self._session.execute(
            delete(QuizAttempt).where(
                QuizAttempt.id == attempt_id, QuizAttempt.status == IN_PROGRESS, QuizAttempt.answered == 0
            )
        )
        DRAWN.discard(self._database, attempt_id)
        return bool(rowcount(result))

    async def finish(
        self,
        attempt_id: int,
        finished_at: datetime,
        duration_ms: int,
        status: AttemptStatus,
        prediction: int | None = None,
    ) -> bool:
        """Close an attempt once; False if someone (another update, the sweeper) closed it first."""
        result = await self._session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id, QuizAttempt.status == IN_PROGRESS)
            .values(status=status, finished_at=finished_at, duration_ms=duration_ms, prediction=prediction)
        )
        return bool(rowcount(result))

    async def overdue(self, now: datetime, limit: int = 500) -> list[Attempt]:
        rows = await self._session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.status == IN_PROGRESS, QuizAttempt.deadline_at < now)
            .order_by(QuizAttempt.id)
            .limit(limit)
        )
        return [_attempt(row) for row in rows]

    async def answers(self, attempt_id: int) -> list[AnswerRow]:
        rows = await self._session.execute(
            select(QuizAnswer.position, QuizAnswer.question_id, QuizAnswer.chosen, QuizAnswer.is_correct)
            .where(QuizAnswer.attempt_id == attempt_id)
            .order_by(QuizAnswer.position)
        )
        return [AnswerRow(*row) for row in rows]
