"""Broadcast tables and their repository: the broadcast, its versions per language, and audiences as SQL.

An audience is one WHERE clause over `users`, so counting it and queueing a slice of it run in the database:
    a unit and every unit under it   a recursive CTE over units.parent_code (the citizen's own unit, else the
                                     unit they gave when they registered for the contest)
    a language                       the citizen's language, the default one when they never chose
    contest entrants                 an attempt in that contest
    registered, not yet attempted    a complete registration and no attempt in that contest
    opened a guide, did not finish   guide progress that is not done
Blocked citizens and those who muted announcements are never in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from bot.db.core import dialect, rowcount, run, table
from bot.db.guides import GuideProgressRow
from bot.db.models import Base, BigId, Unit, User
from bot.db.outbox import NOTICE_FIRST, PENDING, AnnouncementMuteRow, DeliveryRow, utc
from bot.db.quiz import QuizAttempt, QuizParticipant
from bot.delivery.records import Kind
from bot.domain.broadcasts.ports import AudienceScope, BroadcastChanges
from bot.domain.broadcasts.records import TOPIC, Audience, Broadcast, BroadcastState, ContentKind, QuizFilter, Version


class BroadcastRow(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_state_scheduled", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    creator_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", name="fk_broadcasts_creator", ondelete="SET NULL")
    )
    audience: Mapped[str] = mapped_column(Text, default="{}")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total: Mapped[int | None] = mapped_column(Integer)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    last_user_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    progress_note: Mapped[str | None] = mapped_column(Text)


class BroadcastVersionRow(Base):
    __tablename__ = "broadcast_versions"
    __table_args__ = (UniqueConstraint("broadcast_id", "language", name="uq_broadcast_versions_language"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    broadcast_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("broadcasts.id", name="fk_broadcast_versions_broadcast", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(16))  # "" for the default version
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    mime_type: Mapped[str | None] = mapped_column(String(100))


_B = table(BroadcastRow)
_V = table(BroadcastVersionRow)
_D = table(DeliveryRow)
_USERS = table(User)
_UNITS = table(Unit)
_MUTES = table(AnnouncementMuteRow)
_ATTEMPTS = table(QuizAttempt)
_PARTICIPANTS = table(QuizParticipant)
_PROGRESS = table(GuideProgressRow)


def citizen_unit() -> Any:
    """The citizen's unit: kept in one place, users.unit_code (registration, Help and QR codes all set it)."""
    return _USERS.c.unit_code


def unit_tree(codes: Iterable[str]) -> Any:
    """The units given and every unit under them (a recursive CTE over units.parent_code)."""
    tree = select(_UNITS.c.code).where(_UNITS.c.code.in_(list(codes))).cte("unit_tree", recursive=True)
    child = _UNITS.alias("child_unit")
    tree = tree.union_all(select(child.c.code).where(child.c.parent_code == tree.c.code))
    return select(tree.c.code)


def audience_filter(audience: Audience, scope: AudienceScope, units: Iterable[str] = ()) -> list[ColumnElement[bool]]:
    """The WHERE clause over `users` that selects the audience; `units`: its units with every unit under them
    (see unit_tree; read first, because SQLite counts no rows for an INSERT that starts with a WITH clause)."""
    conditions: list[ColumnElement[bool]] = [
        _USERS.c.status != "blocked",
        _USERS.c.platform.in_(scope["channels"]),
        ~exists().where(_MUTES.c.user_id == _USERS.c.id),
    ]
    if audience.units:
        conditions.append(citizen_unit().in_(list(units)))
    if audience.languages:
        conditions.append(func.coalesce(_USERS.c.language, scope["default_locale"]).in_(audience.languages))
    if audience.quiz is not None:
        attempted = exists().where(
            _ATTEMPTS.c.user_id == _USERS.c.id,
            _ATTEMPTS.c.contest_id == (audience.contest_id or ""),
            _ATTEMPTS.c.mode == "contest",
        )
        if audience.quiz is QuizFilter.entrants:
            conditions.append(attempted)
        else:
            registered = exists().where(
                _PARTICIPANTS.c.user_id == _USERS.c.id,
                _PARTICIPANTS.c.consent_at.is_not(None),
                _PARTICIPANTS.c.erased_at.is_(None),
                _PARTICIPANTS.c.full_name.is_not(None),
                _PARTICIPANTS.c.phone.is_not(None),
                _PARTICIPANTS.c.birth_year.is_not(None),
                _PARTICIPANTS.c.group_id.is_not(None),
            )
            conditions.extend([registered, ~attempted])
    if audience.guide_id:
        conditions.append(
            exists().where(
                _PROGRESS.c.user_id == _USERS.c.id,
                _PROGRESS.c.guide_id == audience.guide_id,
                _PROGRESS.c.status != "done",
            )
        )
    return conditions


def _broadcast(row: Any, languages: Iterable[str]) -> Broadcast:
    return Broadcast(
        id=row.id,
        state=BroadcastState(row.state),
        created_by=row.created_by,
        creator_user_id=row.creator_user_id,
        audience=Audience.from_json(row.audience),
        urgent=bool(row.urgent),
        created_at=utc(row.created_at),
        scheduled_at=utc(row.scheduled_at) if row.scheduled_at else None,
        started_at=utc(row.started_at) if row.started_at else None,
        finished_at=utc(row.finished_at) if row.finished_at else None,
        total=row.total,
        cursor=row.cursor or 0,
        last_user_id=row.last_user_id,
        progress_message_id=row.progress_message_id,
        progress_note=row.progress_note,
        languages=tuple(sorted(languages)),
    )


def _values(changes: BroadcastChanges) -> dict[str, Any]:
    values: dict[str, Any] = dict(changes)
    if "state" in changes:
        values["state"] = changes["state"].value
    if "audience" in changes:
        values["audience"] = changes["audience"].to_json()
    return values


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, created_by: str, creator_user_id: int | None, now: datetime) -> Broadcast:
        result = await run(
            self._session,
            _B.insert()
            .values(
                state=BroadcastState.draft.value,
                created_by=created_by,
                creator_user_id=creator_user_id,
                audience="{}",
                urgent=False,
                created_at=now,
                updated_at=now,
                cursor=0,
            )
            .returning(*_B.columns),
        )
        return _broadcast(result.one(), ())

    async def _languages(self, ids: list[int]) -> dict[int, list[str]]:
        if not ids:
            return {}
        rows = await self._session.execute(select(_V.c.broadcast_id, _V.c.language).where(_V.c.broadcast_id.in_(ids)))
        languages: dict[int, list[str]] = {broadcast_id: [] for broadcast_id in ids}
        for broadcast_id, language in rows:
            languages[broadcast_id].append(language)
        return languages

    async def _many(self, query: Any) -> list[Broadcast]:
        rows = list(await run(self._session, query))
        languages = await self._languages([row.id for row in rows])
        return [_broadcast(row, languages[row.id]) for row in rows]

    async def get(self, broadcast_id: int, lock: bool = False) -> Broadcast | None:
        query = select(*_B.columns).where(_B.c.id == broadcast_id)
        if lock and dialect(self._session) == "postgresql":
            query = query.with_for_update()
        found = await self._many(query)
        return found[0] if found else None

    async def update(self, broadcast_id: int, now: datetime, **changes: Unpack[BroadcastChanges]) -> None:
        await run(self._session, update(_B).where(_B.c.id == broadcast_id).values(updated_at=now, **_values(changes)))

    async def transition(
        self,
        broadcast_id: int,
        from_states: Iterable[BroadcastState],
        now: datetime,
        **changes: Unpack[BroadcastChanges],
    ) -> bool:
        statement = (
            update(_B)
            .where(_B.c.id == broadcast_id, _B.c.state.in_([state.value for state in from_states]))
            .values(updated_at=now, **_values(changes))
        )
        return bool(rowcount(await run(self._session, statement)))

    async def set_version(self, broadcast_id: int, version: Version) -> None:
        values = {
            "broadcast_id": broadcast_id,
            "language": version.language,
            "kind": version.kind.value,
            "text": version.text,
            "file_name": version.file_name,
            "file_data": version.file_data,
            "mime_type": version.mime_type,
        }
        insert = (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_V).values(**values)
        changed = {key: value for key, value in values.items() if key not in ("broadcast_id", "language")}
        await run(
            self._session,
            insert.on_conflict_do_update(index_elements=["broadcast_id", "language"], set_=changed),
        )

    async def versions(self, broadcast_id: int, with_files: bool = True) -> list[Version]:
        columns = [column for column in _V.columns if with_files or column.name != "file_data"]
        rows = await run(self._session, select(*columns).where(_V.c.broadcast_id == broadcast_id))
        return [
            Version(
                language=row.language,
                kind=ContentKind(row.kind),
                text=row.text,
                file_name=row.file_name,
                file_data=row.file_data if with_files else None,
                mime_type=row.mime_type,
            )
            for row in rows
        ]

    async def recent(self, limit: int, states: Iterable[BroadcastState] | None = None) -> list[Broadcast]:
        query = select(*_B.columns).order_by(_B.c.id.desc()).limit(limit)
        if states is not None:
            query = query.where(_B.c.state.in_([state.value for state in states]))
        return await self._many(query)

    async def in_states(self, states: Iterable[BroadcastState]) -> list[Broadcast]:
        return await self._many(
            select(*_B.columns).where(_B.c.state.in_([state.value for state in states])).order_by(_B.c.id)
        )

    async def due(self, now: datetime) -> list[int]:
        rows = await run(
            self._session,
            select(_B.c.id)
            .where(_B.c.state == BroadcastState.scheduled.value, _B.c.scheduled_at <= now)
            .order_by(_B.c.scheduled_at),
        )
        return [int(value) for value in rows.scalars()]

    async def last_user_id(self) -> int:
        return int(await self._session.scalar(select(func.max(_USERS.c.id))) or 0)

    async def _units_under(self, audience: Audience) -> list[str]:
        if not audience.units:
            return []
        return list((await self._session.execute(unit_tree(audience.units))).scalars())

    async def count_audience(self, audience: Audience, scope: AudienceScope, up_to_user_id: int | None) -> int:
        units = await self._units_under(audience)
        query = select(func.count()).select_from(_USERS).where(*audience_filter(audience, scope, units))
        if up_to_user_id is not None:
            query = query.where(_USERS.c.id <= up_to_user_id)
        return int(await self._session.scalar(query) or 0)

    async def queue_slice(
        self, broadcast: Broadcast, scope: AudienceScope, size: int, now: datetime
    ) -> tuple[int, int]:
        last = broadcast.last_user_id or 0
        boundary = await self._session.scalar(
            select(_USERS.c.id)
            .where(_USERS.c.id > broadcast.cursor, _USERS.c.id <= last)
            .order_by(_USERS.c.id)
            .offset(size - 1)
            .limit(1)
        )
        upper = int(boundary) if boundary is not None else last
        chosen = select(
            _USERS.c.platform,
            literal(Kind.broadcast.value),
            literal(TOPIC),
            literal(broadcast.id, BigInteger),
            _USERS.c.id,
            citizen_unit(),
            literal(broadcast.urgent, Boolean),
            literal(NOTICE_FIRST[Kind.broadcast.value], Integer),
            literal(PENDING),
            literal(0, Integer),
            literal(0, Integer),
            literal(now, DateTime(timezone=True)),
        ).where(
            _USERS.c.id > broadcast.cursor,
            _USERS.c.id <= upper,
            *audience_filter(broadcast.audience, scope, await self._units_under(broadcast.audience)),
        )
        columns = [
            "channel",
            "kind",
            "topic",
            "ref_id",
            "user_id",
            "unit_code",
            "urgent",
            "priority",
            "state",
            "attempts",
            "parts_sent",
            "created_at",
        ]
        insert = (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(_D)
        statement = insert.from_select(columns, chosen).on_conflict_do_nothing(
            index_elements=["topic", "ref_id", "user_id"]
        )
        queued = rowcount(await run(self._session, statement))
        return queued, upper

    async def unit_names(self, codes: Iterable[str]) -> dict[str, str]:
        wanted = list(codes)
        if not wanted:
            return {}
        rows = await self._session.execute(select(_UNITS.c.code, _UNITS.c.name).where(_UNITS.c.code.in_(wanted)))
        return {code: name for code, name in rows}  # noqa: C416 -- rows are Row objects, typed per column
