"""Read-only units of work for reports: one long read without holding a write lock.

The bot's own SQLite engine starts every transaction with BEGIN IMMEDIATE (bot.db.engine), which takes the
write lock: an export read through it would stop every citizen's write for as long as it runs. This engine
starts a plain (deferred) BEGIN: in WAL mode that is a snapshot that never blocks writers, and the whole
report sees one state of the data. On PostgreSQL the transaction is READ ONLY and REPEATABLE READ, for the
same snapshot, streamed through a server-side cursor.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db.engine import SQLITE_BUSY_SECONDS
from bot.db.sqlite_inline import InlineConnection


def create_read_engine(database_url: str) -> AsyncEngine:
    if not database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
        return engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    path = make_url(database_url).database or ":memory:"

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA query_only=ON")  # nothing written through this one, by mistake or not
        return InlineConnection(connection)

    engine = create_async_engine(database_url, async_creator=connect, pool_size=1, max_overflow=0)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.connection.driver_connection.begin_deferred()

    return engine
