"""The web chat's log and files, in the bot's database.

Telegram keeps a chat's history on its servers; a web chat has to keep its own. Every message the bot sends to a
web citizen (a reply, an announcement, a result at a deadline), every edit, every toast and every text the citizen
typed is one row of `web_events`, numbered by the database; the page asks for the rows after the last one it has
(long polling), so a citizen who comes back later, or from another process behind the same address, sees what
was sent meanwhile. A message's id is the number of the row that first sent it; an edit is a new row naming it.
Files (certificates, exports, photos) are rows of `web_files`, served only through short-lived signed links.

Rows older than the configured history are deleted by the channel's housekeeping; a citizen's rows go with their
user row (ON DELETE CASCADE), and the citizen can clear them from the page.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.core import run, table
from bot.db.models import Base, BigId
from bot.domain.clock import utcnow

JsonDict = dict[str, Any]


class WebEventRow(Base):
    __tablename__ = "web_events"
    # Pages read "rows after id N", so an id is never handed out again: on SQLite, where a rowid can be reused once
    # the newest rows are deleted (/forget, "End chat", the history's expiry), AUTOINCREMENT says so.
    __table_args__ = (
        Index("ix_web_events_user_id", "user_id", "id"),
        Index("ix_web_events_at", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", name="fk_web_events_user", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # message | edit | toast
    sender: Mapped[str] = mapped_column(String(8))  # bot | me
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the id handlers know it by (its screen)
    body: Mapped[str] = mapped_column(Text)  # JSON: bot.channels.web.render
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebFileRow(Base):
    __tablename__ = "web_files"
    __table_args__ = (Index("ix_web_files_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", name="fk_web_files_user", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_E = table(WebEventRow)
_F = table(WebFileRow)
HISTORY_EVENTS = 300  # a page opened anew gets at most the newest this many rows


@dataclass(frozen=True, slots=True)
class WebEvent:
    id: int
    kind: str
    sender: str
    message_id: int | None
    body: JsonDict
    at: datetime

    def as_json(self) -> JsonDict:
        return {
            "seq": self.id,
            "kind": self.kind,
            "ref": self.body.get("ref", self.id),  # the bubble this row draws or redraws
            "id": self.message_id or 0,  # what a press on it names (0: nothing to press)
            "at": int(self.at.timestamp()),
            **self.body,
        }


@dataclass(frozen=True, slots=True)
class WebFile:
    id: int
    user_id: int
    name: str
    mime: str
    size: int
    data: bytes
    at: datetime


class WebChatStore:
    """The log and the files; one short transaction per call, and a wake-up for the page's long polls."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory
        self._waiters: dict[int, set[asyncio.Event]] = {}

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def append(
        self, user_id: int, kind: str, body: JsonDict, sender: str = "bot", message_id: int | None = None
    ) -> WebEvent:
        now = utcnow()
        async with self._session() as session:
            result = await run(
                session,
                insert(_E).returning(_E.c.id),
                {
                    "user_id": user_id,
                    "kind": kind,
                    "sender": sender,
                    "message_id": message_id,
                    "body": orjson.dumps(body).decode(),
                    "at": now,
                },
            )
            event_id = int(result.scalar_one())
        self._wake(user_id)
        return WebEvent(event_id, kind, sender, message_id, body, now)

    async def events(self, user_id: int, since: int, limit: int = HISTORY_EVENTS) -> list[WebEvent]:
        """Rows after `since`, oldest first; from the start (since=0): the newest `limit`."""
        query = select(_E).where(_E.c.user_id == user_id, _E.c.id > since)
        query = query.order_by(_E.c.id.desc() if since == 0 else _E.c.id).limit(limit)
        async with self._session() as session:
            rows = (await run(session, query)).all()
        events = [
            WebEvent(row.id, row.kind, row.sender, row.message_id, orjson.loads(row.body), _aware(row.at))
            for row in rows
        ]
        return sorted(events, key=lambda event: event.id)

    async def message(self, user_id: int, message_id: int) -> WebEvent | None:
        """The row that last showed the message handlers know as `message_id` (None: not this citizen's)."""
        query = (
            select(_E).where(_E.c.user_id == user_id, _E.c.message_id == message_id).order_by(_E.c.id.desc()).limit(1)
        )
        async with self._session() as session:
            row = (await run(session, query)).first()
        if row is None or row.kind not in ("message", "edit"):
            return None
        return WebEvent(row.id, row.kind, row.sender, row.message_id, orjson.loads(row.body), _aware(row.at))

    async def wait(self, user_id: int, timeout: float) -> None:
        """Until something is appended for this citizen in this process, or `timeout` seconds."""
        event = asyncio.Event()
        waiters = self._waiters.setdefault(user_id, set())
        waiters.add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(user_id, None)

    def _wake(self, user_id: int) -> None:
        for event in self._waiters.get(user_id, ()):
            event.set()

    async def put_file(self, user_id: int, name: str, mime: str, data: bytes) -> int:
        async with self._session() as session:
            result = await run(
                session,
                insert(_F).returning(_F.c.id),
                {"user_id": user_id, "name": name, "mime": mime, "size": len(data), "data": data, "at": utcnow()},
            )
            return int(result.scalar_one())

    async def file(self, file_id: int) -> WebFile | None:
        async with self._session() as session:
            row = (await run(session, select(_F).where(_F.c.id == file_id))).first()
        if row is None:
            return None
        return WebFile(row.id, row.user_id, row.name, row.mime, row.size, bytes(row.data), _aware(row.at))

    async def clear(self, user_ids: Sequence[int], sender: str | None = None) -> int:
        """Delete the log of these citizens (only what one side wrote, when `sender` is given), and their files
        when the whole log goes."""
        if not user_ids:
            return 0
        condition: Any = _E.c.user_id.in_(list(user_ids))
        if sender is not None:
            condition = condition & (_E.c.sender == sender)
        async with self._session() as session:
            deleted = await run(session, delete(_E).where(condition))
            if sender is None:
                await run(session, delete(_F).where(_F.c.user_id.in_(list(user_ids))))
        for user_id in user_ids:
            self._wake(user_id)
        return int(getattr(deleted, "rowcount", 0) or 0)

    async def purge(self, history: timedelta, files: timedelta, now: datetime | None = None) -> tuple[int, int]:
        """Delete rows older than the history, and files older than their time. (events, files) deleted."""
        now = now or utcnow()
        async with self._session() as session:
            events = await run(session, delete(_E).where(_E.c.at < now - history))
            gone = await run(session, delete(_F).where(_F.c.at < now - files))
        return int(getattr(events, "rowcount", 0) or 0), int(getattr(gone, "rowcount", 0) or 0)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = ["HISTORY_EVENTS", "WebChatStore", "WebEvent", "WebEventRow", "WebFile", "WebFileRow"]
