"""Tables and repository for guide progress and guide funnel events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.core import rowcount, run, table
from bot.db.models import Base, BigId, User
from bot.domain.guides.records import AbandonedRow, EventKind, GuideProgress, ProgressStatus


class GuideProgressRow(Base):
    __tablename__ = "guide_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "guide_id", name="uq_guide_progress_user_guide"),
        Index("ix_guide_progress_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", name="fk_guide_progress_user", ondelete="CASCADE")
    )
    guide_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Ticked checklist items as comma-separated indexes: tiny, and portable across databases.
    ticked: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuideEventRow(Base):
    __tablename__ = "guide_events"
    __table_args__ = (
        Index("ix_guide_events_guide_kind", "guide_id", "kind"),
        Index("ix_guide_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", name="fk_guide_events_user", ondelete="CASCADE"))
    unit_code: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16))
    guide_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


def _ticked_text(ticked: frozenset[int]) -> str:
    return ",".join(str(index) for index in sorted(ticked))


# Hot paths run statements built once, on the tables rather than the mapped classes: no ORM layer, and
# SQLAlchemy finds their compiled form by a cache key it computes only once per statement.
_PROGRESS = table(GuideProgressRow)
_EVENTS = table(GuideEventRow)
_PROGRESS_COLUMNS = (
    _PROGRESS.c.user_id,
    _PROGRESS.c.guide_id,
    _PROGRESS.c.step,
    _PROGRESS.c.ticked,
    _PROGRESS.c.version,
    _PROGRESS.c.status,
    _PROGRESS.c.updated_at,
)
_SELECT_PROGRESS = select(*_PROGRESS_COLUMNS).where(
    _PROGRESS.c.user_id == bindparam("key_user"), _PROGRESS.c.guide_id == bindparam("key_guide")
)
_LATEST_UNFINISHED = (
    select(*_PROGRESS_COLUMNS)
    .where(_PROGRESS.c.user_id == bindparam("key_user"), _PROGRESS.c.status != ProgressStatus.done.value)
    .order_by(_PROGRESS.c.updated_at.desc(), _PROGRESS.c.id.desc())
    .limit(1)
)
# The SET clause comes from the parameters given: step, ticked, version, status, updated_at.
_UPDATE_PROGRESS = update(_PROGRESS).where(
    _PROGRESS.c.user_id == bindparam("key_user"), _PROGRESS.c.guide_id == bindparam("key_guide")
)
_INSERT_PROGRESS = insert(_PROGRESS)
_INSERT_EVENT = insert(_EVENTS)


def _progress(row) -> GuideProgress:  # type: ignore[no-untyped-def]
    ticked = frozenset(int(part) for part in row.ticked.split(",") if part)
    return GuideProgress(
        user_id=row.user_id,
        guide_id=row.guide_id,
        step=row.step,
        ticked=ticked,
        version=row.version,
        status=ProgressStatus(row.status),
        updated_at=row.updated_at,
    )


class GuideRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def progress(self, user_id: int, guide_id: str) -> GuideProgress | None:
        result = await run(self._session, _SELECT_PROGRESS, {"key_user": user_id, "key_guide": guide_id})
        row = result.first()
        return _progress(row) if row else None

    async def latest_unfinished(self, user_id: int) -> GuideProgress | None:
        """The guide the citizen touched last and did not finish (active or abandoned)."""
        row = (await run(self._session, _LATEST_UNFINISHED, {"key_user": user_id})).first()
        return _progress(row) if row else None

    async def save(self, progress: GuideProgress, now: datetime) -> None:
        values = {
            "step": progress.step,
            "ticked": _ticked_text(progress.ticked),
            "version": progress.version,
            "status": progress.status.value,
            "updated_at": now,
        }
        result = await run(
            self._session, _UPDATE_PROGRESS, {"key_user": progress.user_id, "key_guide": progress.guide_id, **values}
        )
        if not rowcount(result):
            await run(
                self._session,
                _INSERT_PROGRESS,
                {"user_id": progress.user_id, "guide_id": progress.guide_id, "started_at": now, **values},
            )

    async def record(
        self,
        user_id: int,
        unit_code: str | None,
        language: str | None,
        guide_id: str,
        kind: EventKind,
        now: datetime,
        step: int | None = None,
        detail: str | None = None,
    ) -> None:
        await run(
            self._session,
            _INSERT_EVENT,
            {
                "at": now,
                "user_id": user_id,
                "unit_code": unit_code,
                "language": language,
                "guide_id": guide_id,
                "kind": kind.value,
                "step": step,
                "detail": detail,
            },
        )

    async def mark_abandoned(self, cutoff: datetime, now: datetime) -> list[AbandonedRow]:
        """One UPDATE claims the stale rows: a row already claimed by another process no longer matches."""
        result = await self._session.execute(
            update(GuideProgressRow)
            .where(GuideProgressRow.status == ProgressStatus.active.value, GuideProgressRow.updated_at < cutoff)
            .values(status=ProgressStatus.abandoned.value, updated_at=now)
            .returning(GuideProgressRow.user_id, GuideProgressRow.guide_id, GuideProgressRow.step)
        )
        return [AbandonedRow(user_id=user_id, guide_id=guide_id, step=step) for user_id, guide_id, step in result]

    async def users_context(self, user_ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
        """unit code and language of each user, for events recorded outside a conversation."""
        if not user_ids:
            return {}
        rows = await self._session.execute(select(User.id, User.unit_code, User.language).where(User.id.in_(user_ids)))
        return {user_id: (unit_code, language) for user_id, unit_code, language in rows}

    async def event_counts(self) -> list[tuple[str, str, int | None, str | None, int]]:
        """(guide id, kind, step, detail, distinct citizens); free-text reasons are not grouped."""
        rows = await self._session.execute(
            select(
                GuideEventRow.guide_id,
                GuideEventRow.kind,
                GuideEventRow.step,
                GuideEventRow.detail,
                func.count(func.distinct(GuideEventRow.user_id)),
            )
            .where(GuideEventRow.kind != EventKind.reason.value)
            .group_by(GuideEventRow.guide_id, GuideEventRow.kind, GuideEventRow.step, GuideEventRow.detail)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]

    async def has_event_since(self, user_id: int, guide_id: str, kind: EventKind, since: datetime) -> bool:
        found = await self._session.scalar(
            select(GuideEventRow.id)
            .where(
                GuideEventRow.user_id == user_id,
                GuideEventRow.guide_id == guide_id,
                GuideEventRow.kind == kind.value,
                GuideEventRow.at >= since,
            )
            .limit(1)
        )
        return found is not None
