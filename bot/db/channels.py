"""Tables and the repository of channels other than Telegram: the inbox, screens, tokens (bot.domain.channels)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.core import dialect, rowcount, run, table
from bot.db.models import Base, BigId
from bot.domain.channels import InboxEvent, Screen, Tokens

PAYLOAD_SEPARATOR = "\n"  # payloads never hold a line break (bot.ui.payloads)


class InboxRow(Base):
    __tablename__ = "channel_inbox"
    __table_args__ = (
        UniqueConstraint("channel", "event_key", name="uq_channel_inbox_key"),
        Index("ix_channel_inbox_pending", "channel", "handled_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class ScreenRow(Base):
    __tablename__ = "channel_screens"
    __table_args__ = (Index("ix_channel_screens_created", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payloads: Mapped[str] = mapped_column(Text)
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    __tablename__ = "channel_tokens"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshing_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_I = table(InboxRow)
_S = table(ScreenRow)
_T = table(TokenRow)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _tokens(row: TokenRow) -> Tokens:
    return Tokens(
        channel=row.channel,
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        access_expires_at=_aware(row.access_expires_at),
        refresh_expires_at=_utc(row.refresh_expires_at),
        refreshing_until=_utc(row.refreshing_until),
        version=row.version,
    )


class ChannelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _insert(self, target: Table) -> Any:
        """The dialect's INSERT (both offer on_conflict_do_nothing and returning alike)."""
        return (pg_insert if dialect(self._session) == "postgresql" else sqlite_insert)(target)

    # ------------------------------------------------------------ the inbox
    async def inbox_add(self, channel: str, key: str, body: str, now: datetime) -> int | None:
        statement = (
            self._insert(_I)
            .values(channel=channel, event_key=key[:200], body=body, received_at=now, attempts=0)
            .on_conflict_do_nothing(index_elements=["channel", "event_key"])
            .returning(_I.c.id)
        )
        return (await run(self._session, statement)).scalar_one_or_none()

    async def inbox_pending(
        self, channel: str, limit: int, stale_before: datetime | None = None, now: datetime | None = None
    ) -> list[InboxEvent]:
        """Events not handled yet; with `stale_before` only those nobody holds: never claimed and received before
        it (the receiving process died before taking it), or claimed with a claim that ended before `now`."""
        query = select(_I).where(_I.c.channel == channel, _I.c.handled_at.is_(None))
        if stale_before is not None:
            ended = now if now is not None else stale_before
            query = query.where(
                or_(
                    and_(_I.c.claimed_until.is_(None), _I.c.received_at < stale_before),
                    _I.c.claimed_until < ended,
                )
            )
        rows = (await run(self._session, query.order_by(_I.c.id).limit(limit))).all()
        return [
            InboxEvent(row.id, row.channel, row.event_key, row.body, _aware(row.received_at), row.attempts)
            for row in rows
        ]

    async def inbox_claim(self, event_id: int, now: datetime, until: datetime, force: bool = False) -> bool:
        """Take an event until `until` unless it is handled or (without `force`) another claim still holds."""
        condition = [_I.c.id == event_id, _I.c.handled_at.is_(None)]
        if not force:
            condition.append(or_(_I.c.claimed_until.is_(None), _I.c.claimed_until < now))
        result = await run(
            self._session,
            update(_I).where(*condition).values(attempts=_I.c.attempts + 1, claimed_until=until),
        )
        return rowcount(result) == 1

    async def inbox_done(self, event_id: int, now: datetime, error: str | None = None) -> None:
        await run(self._session, update(_I).where(_I.c.id == event_id).values(handled_at=now, error=error))

    async def inbox_prune(self, before: datetime) -> int:
        result = await run(self._session, delete(_I).where(_I.c.handled_at.is_not(None), _I.c.received_at < before))
        return rowcount(result)

    # ------------------------------------------------------------ screens
    async def screen_add(self, channel: str, chat_id: str, payloads: Sequence[str], now: datetime) -> int:
        statement = (
            _S.insert()
            .values(
                channel=channel,
                chat_id=chat_id,
                payloads=PAYLOAD_SEPARATOR.join(payloads),
                replaced=False,
                created_at=now,
            )
            .returning(_S.c.id)
        )
        return int((await run(self._session, statement)).scalar_one())

    async def screen_sent(self, screen_id: int, external_id: str) -> None:
        await run(self._session, update(_S).where(_S.c.id == screen_id).values(external_id=external_id[:128]))

    async def screen(self, screen_id: int) -> Screen | None:
        row = (await run(self._session, select(_S).where(_S.c.id == screen_id))).one_or_none()
        if row is None:
            return None
        payloads = tuple(row.payloads.split(PAYLOAD_SEPARATOR)) if row.payloads else ()
        return Screen(row.id, row.channel, row.chat_id, payloads, bool(row.replaced), row.external_id)

    async def screen_replace(self, screen_id: int) -> bool:
        result = await run(
            self._session, update(_S).where(_S.c.id == screen_id, _S.c.replaced.is_(False)).values(replaced=True)
        )
        return rowcount(result) == 1

    async def screens_prune(self, before: datetime) -> int:
        return rowcount(await run(self._session, delete(_S).where(_S.c.created_at < before)))

    # ------------------------------------------------------------ tokens
    async def tokens(self, channel: str) -> Tokens | None:
        row = await self._session.get(TokenRow, channel, populate_existing=True)
        return None if row is None else _tokens(row)

    async def tokens_seed(self, tokens: Tokens) -> bool:
        statement = (
            self._insert(_T)
            .values(
                channel=tokens.channel,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                access_expires_at=tokens.access_expires_at,
                refresh_expires_at=tokens.refresh_expires_at,
                version=0,
            )
            .on_conflict_do_nothing(index_elements=["channel"])
        )
        return rowcount(await run(self._session, statement)) == 1

    async def tokens_lease(self, channel: str, version: int, until: datetime, now: datetime) -> bool:
        statement = (
            update(_T)
            .where(
                _T.c.channel == channel,
                _T.c.version == version,
                or_(_T.c.refreshing_until.is_(None), _T.c.refreshing_until < now),
            )
            .values(refreshing_until=until)
        )
        return rowcount(await run(self._session, statement)) == 1

    async def tokens_store(self, tokens: Tokens, previous_version: int) -> bool:
        statement = (
            update(_T)
            .where(_T.c.channel == tokens.channel, _T.c.version == previous_version)
            .values(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                access_expires_at=tokens.access_expires_at,
                refresh_expires_at=tokens.refresh_expires_at,
                refreshing_until=None,
                version=previous_version + 1,
                updated_at=func.now(),
            )
        )
        return rowcount(await run(self._session, statement)) == 1

    async def tokens_release(self, channel: str) -> None:
        await run(self._session, update(_T).where(_T.c.channel == channel).values(refreshing_until=None))
