"""The outbox: one row per delivery, holds of paused broadcasts, and who muted announcements.

Claims are two statements in one transaction: the due ids (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
workers never pick the same row; SQLite's BEGIN IMMEDIATE serialises the one process it serves), then their
new state. The due rows are found through a partial index on pending rows, so finished deliveries cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.core import dialect, rowcount, run, table
from bot.db.models import Base, BigId, User
from bot.delivery.ports import Result
from bot.delivery.records import DONE, Claimed, Kind, NewDelivery, State
from bot.domain.platforms import TELEGRAM

PENDING = State.pending.value
SENDING = State.sending.value
NOTICE_FIRST = {Kind.notice.value: 0, Kind.broadcast.value: 10}


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("topic", "ref_id", "user_id", name="uq_deliveries_topic_ref_user"),
        Index(
            "ix_deliveries_due",
            "priority",
            "id",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_deliveries_claimed",
            "claimed_at",
            sqlite_where=text("state = 'sending'"),
            postgresql_where=text("state = 'sending'"),
        ),
        Index("ix_deliveries_topic_ref_state", "topic", "ref_id", "state"),
        Index("ix_deliveries_user_done", "user_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", name="fk_deliveries_user", ondelete="CASCADE"))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(40))  # the worker that holds it, or tried it last
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    target_message_id: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryHoldRow(Base):
    """(topic, ref_id) whose deliveries are not claimed: a paused broadcast, or (final) a cancelled one."""

    __tablename__ = "delivery_holds"

    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnnouncementMuteRow(Base):
    __tablename__ = "announcement_mutes"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", name="fk_announcement_mutes_user", ondelete="CASCADE"), primary_key=True
    )
    muted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_D = table(DeliveryRow)
_HOLDS = table(DeliveryHoldRow)
_MUTES = table(AnnouncementMuteRow)
_USERS = table(User)

_not_held = ~exists().where(_HOLDS.c.topic == _D.c.topic, _HOLDS.c.ref_id == _D.c.ref_id)
_DUE = (
    select(_D.c.id)
    .where(
        _D.c.state == PENDING,
        or_(_D.c.not_before.is_(None), _D.c.not_before <= bindparam("now")),
        or_(_D.c.kind == Kind.notice.value, _D.c.urgent.is_(True), bindparam("loud", type_=Boolean)),
        _not_held,
    )
    .order_by(_D.c.priority, _D.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=_D)
_TAKE = (
    update(_D)
    .where(_D.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=SENDING, claimed_by=bindparam("worker"), claimed_at=bindparam("now"))
)
_CLAIMED_COLUMNS = (
    "id",
    "channel",
    "kind",
    "topic",
    "ref_id",
    "user_id",
    "urgent",
    "attempts",
    "parts_sent",
    "target_message_id",
    "priority",
)
# PostgreSQL claims in one round trip with one statement text (prepared once): the due rows, locked and skipped
# by other workers, taken, and joined to their citizens.
_picked = _DUE_LOCKED.cte("picked")
_taken = (
    update(_D)
    .where(_D.c.id.in_(select(_picked.c.id)))
    .values(state=SENDING, claimed_by=bindparam("worker"), claimed_at=bindparam("now"))
    .returning(*(_D.c[name] for name in _CLAIMED_COLUMNS))
    .cte("taken")
)
# Where a delivery goes: the citizen's own private chat. On Telegram its id is the citizen's own id, whatever chat
# an older version may have stored from a group (bot/transport/reply.py: Reply.to_citizen says the same).
_PRIVATE_CHAT = case((_USERS.c.platform == TELEGRAM, _USERS.c.platform_user_id), else_=_USERS.c.chat_id).label(
    "chat_id"
)
_CLAIM_PG = (
    select(
        _taken.c.id,
        _taken.c.channel,
        _taken.c.kind,
        _taken.c.topic,
        _taken.c.ref_id,
        _taken.c.user_id,
        _PRIVATE_CHAT,
        _USERS.c.language,
        _USERS.c.status,
        _USERS.c.last_seen,
        _MUTES.c.user_id.is_not(None).label("muted"),
        _taken.c.urgent,
        _taken.c.attempts,
        _taken.c.parts_sent,
        _taken.c.target_message_id,
    )
    .join(_USERS, _USERS.c.id == _taken.c.user_id)
    .outerjoin(_MUTES, _MUTES.c.user_id == _taken.c.user_id)
    .order_by(_taken.c.priority, _taken.c.id)
)
_CLAIMED = (
    select(
        _D.c.id,
        _D.c.channel,
        _D.c.kind,
        _D.c.topic,
        _D.c.ref_id,
        _D.c.user_id,
        _PRIVATE_CHAT,
        _USERS.c.language,
        _USERS.c.status,
        _USERS.c.last_seen,
        _MUTES.c.user_id.is_not(None).label("muted"),
        _D.c.urgent,
        _D.c.attempts,
        _D.c.parts_sent,
        _D.c.target_message_id,
    )
    .join(_USERS, _USERS.c.id == _D.c.user_id)
    .outerjoin(_MUTES, _MUTES.c.user_id == _D.c.user_id)
    .where(_D.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_D.c.priority, _D.c.id)
)
# A try that ends as "pending" (to be tried again) after its broadcast was cancelled is cancelled instead.
_cancelled_meanwhile = exists().where(
    _HOLDS.c.topic == _D.c.topic, _HOLDS.c.ref_id == _D.c.ref_id, _HOLDS.c.final.is_(True)
)
_RECORD = (
    update(_D)
    .where(_D.c.id == bindparam("key_id"))
    .values(
        state=case(
            (and_(bindparam("key_state", type_=String) == PENDING, _cancelled_meanwhile), State.cancelled.value),
            else_=bindparam("key_state", type_=String),
        ),
        attempts=bindparam("key_attempts"),
        parts_sent=bindparam("key_parts"),
        not_before=bindparam("key_not_before"),
        reason=bindparam("key_reason"),
        message_id=func.coalesce(bindparam("key_message_id", type_=String), _D.c.message_id),
        done_at=bindparam("key_done_at"),
        claimed_at=None,  # claimed_by stays: which process tried it last
    )
)


def utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _claimed(row: Any) -> Claimed:
    return Claimed(
        id=row.id,
        channel=row.channel,
        kind=Kind(row.kind),
        topic=row.topic,
        ref_id=row.ref_id,
        user_id=row.user_id,
        chat_id=row.chat_id,
        language=row.language,
        user_status=row.status,
        muted=bool(row.muted),
        urgent=bool(row.urgent),
        attempts=row.attempts,
        parts_sent=row.parts_sent,
        target_message_id=row.target_message_id,
        last_seen=utc(row.last_seen) if row.last_seen is not None else None,
    )


def delivery_values(delivery: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "channel": delivery.channel,
        "kind": delivery.kind.value,
        "topic": delivery.topic,
        "ref_id": delivery.ref_id,
        "user_id": delivery.user_id,
        "unit_code": delivery.unit_code,
        "urgent": delivery.urgent,
        "priority": NOTICE_FIRST[delivery.kind.value],
        "state": PENDING,
        "attempts": 0,
        "parts_sent": 0,
        "not_before": delivery.not_before,
        "target_message_id": delivery.target_message_id,
        "created_at": now,
    }


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self) -> Any:
        return (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_D)

    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> int:
        statement = self._insert().on_conflict_do_nothing(index_elements=["topic", "ref_id", "user_id"])
        added = 0
        for delivery in deliveries:  # few at a time: a broadcast's audience is queued by INSERT … SELECT
            added += rowcount(await run(self._session, statement.values(**delivery_values(delivery, now))))
        return added

    async def claim(self, worker: str, limit: int, now: datetime, loud: bool) -> list[Claimed]:
        keys = {"now": now, "loud": loud, "limit": limit, "worker": worker}
        if dialect(self._session) == "postgresql":
            return [_claimed(row) for row in await run(self._session, _CLAIM_PG, keys)]
        # SQLite: BEGIN IMMEDIATE already holds the only write lock; no other process claims meanwhile.
        ids = list((await run(self._session, _DUE, {"now": now, "loud": loud, "limit": limit})).scalars())
        if not ids:
            return []
        await run(self._session, _TAKE, {"ids": ids, "worker": worker, "now": now})
        return [_claimed(row) for row in await run(self._session, _CLAIMED, {"ids": ids})]

    async def record(self, results: Sequence[Result], now: datetime) -> None:
        if not results:
            return
        rows = [
            {
                "key_id": result.id,
                "key_state": result.state.value,
                "key_attempts": result.attempts,
                "key_parts": result.parts_sent,
                "key_not_before": result.not_before,
                "key_reason": result.reason[:1000] if result.reason else None,
                "key_message_id": result.message_id,
                "key_done_at": now if result.state in DONE else None,
            }
            for result in results
        ]
        connection = await self._session.connection()
        await connection.execute(_RECORD, rows)

    async def renew(self, worker: str, now: datetime) -> int:
        statement = update(_D).where(_D.c.state == SENDING, _D.c.claimed_by == worker).values(claimed_at=now)
        return rowcount(await run(self._session, statement))

    async def recover(self, stale_before: datetime | None) -> int:
        statement = update(_D).where(_D.c.state == SENDING)
        if stale_before is not None:
            statement = statement.where(_D.c.claimed_at < stale_before)
        statement = statement.values(state=PENDING, claimed_by=None, claimed_at=None)
        return rowcount(await run(self._session, statement))

    async def release(self, worker: str, ids: Sequence[int]) -> int:
        statement = (
            update(_D)
            .where(_D.c.id.in_(list(ids)), _D.c.state == SENDING, _D.c.claimed_by == worker)
            .values(state=PENDING, claimed_by=None, claimed_at=None)
        )
        return rowcount(await run(self._session, statement))

    async def hold(self, topic: str, ref_id: int, now: datetime) -> None:
        statement = (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_HOLDS)
        await run(
            self._session,
            statement.values(topic=topic, ref_id=ref_id, final=False, since=now).on_conflict_do_nothing(),
        )

    async def unhold(self, topic: str, ref_id: int) -> None:
        await run(
            self._session,
            delete(_HOLDS).where(_HOLDS.c.topic == topic, _HOLDS.c.ref_id == ref_id, _HOLDS.c.final.is_(False)),
        )

    async def holds(self) -> set[tuple[str, int]]:
        rows = await self._session.execute(select(_HOLDS.c.topic, _HOLDS.c.ref_id))
        return {(topic, int(ref_id)) for topic, ref_id in rows}

    async def cancel(self, topic: str, ref_id: int, reason: str, now: datetime) -> int:
        insert = (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_HOLDS)
        await run(
            self._session,
            insert.values(topic=topic, ref_id=ref_id, final=True, since=now).on_conflict_do_update(
                index_elements=["topic", "ref_id"], set_={"final": True}
            ),
        )
        statement = (
            update(_D)
            .where(_D.c.topic == topic, _D.c.ref_id == ref_id, _D.c.state == PENDING)
            .values(state=State.cancelled.value, reason=reason, done_at=now)
        )
        return rowcount(await run(self._session, statement))

    async def counts(self, topic: str, ref_id: int) -> dict[State, int]:
        rows = await self._session.execute(
            select(_D.c.state, func.count()).where(_D.c.topic == topic, _D.c.ref_id == ref_id).group_by(_D.c.state)
        )
        return {State(state): int(count) for state, count in rows}

    async def reasons(self, topic: str, ref_id: int, state: State) -> dict[str, int]:
        rows = await self._session.execute(
            select(_D.c.reason, func.count())
            .where(_D.c.topic == topic, _D.c.ref_id == ref_id, _D.c.state == state.value)
            .group_by(_D.c.reason)
        )
        return {str(reason or ""): int(count) for reason, count in rows}

    async def counts_by_unit(self, topic: str, ref_id: int) -> dict[str | None, dict[State, int]]:
        rows = await self._session.execute(
            select(_D.c.unit_code, _D.c.state, func.count())
            .where(_D.c.topic == topic, _D.c.ref_id == ref_id)
            .group_by(_D.c.unit_code, _D.c.state)
        )
        units: dict[str | None, dict[State, int]] = {}
        for unit, state, count in rows:
            units.setdefault(unit, {})[State(state)] = int(count)
        return units

    async def count_by_state(self) -> dict[State, int]:
        rows = await self._session.execute(select(_D.c.state, func.count()).group_by(_D.c.state))
        return {State(state): int(count) for state, count in rows}

    async def rearm(self, delivery: NewDelivery, now: datetime) -> bool:
        values = delivery_values(delivery, now)
        statement = self._insert().values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["topic", "ref_id", "user_id"],
            set_={
                "state": PENDING,
                "attempts": 0,
                "parts_sent": 0,
                "reason": None,
                "not_before": statement.excluded.not_before,
                "target_message_id": statement.excluded.target_message_id,
                "done_at": None,
            },
            where=_D.c.state.in_([state.value for state in DONE]),
        )
        return bool(rowcount(await run(self._session, statement)))

    async def last_done_at(self, topic: str, ref_id: int, user_id: int) -> datetime | None:
        value = await self._session.scalar(
            select(_D.c.done_at).where(_D.c.topic == topic, _D.c.ref_id == ref_id, _D.c.user_id == user_id)
        )
        return utc(value) if value is not None else None

    async def latest(self, user_id: int, topic: str, limit: int) -> list[tuple[int, datetime]]:
        rows = await self._session.execute(
            select(_D.c.ref_id, _D.c.done_at)
            .where(_D.c.user_id == user_id, _D.c.topic == topic, _D.c.state == State.sent.value)
            .order_by(_D.c.done_at.desc(), _D.c.id.desc())
            .limit(limit)
        )
        return [(int(ref_id), utc(done_at)) for ref_id, done_at in rows]

    async def mute(self, user_id: int, now: datetime) -> bool:
        statement = (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_MUTES)
        result = await run(self._session, statement.values(user_id=user_id, muted_at=now).on_conflict_do_nothing())
        return bool(rowcount(result))

    async def unmute(self, user_id: int) -> bool:
        return bool(rowcount(await run(self._session, delete(_MUTES).where(_MUTES.c.user_id == user_id))))

    async def is_muted(self, user_id: int) -> bool:
        return bool(await self._session.scalar(select(_MUTES.c.user_id).where(_MUTES.c.user_id == user_id)))
