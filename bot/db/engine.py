"""Engine and session factory.

SQLite runs in WAL mode and every transaction starts with BEGIN IMMEDIATE: a
deferred BEGIN lets two writers read the same row and one of them lose its
update, or fail later with "database is locked".
"""
from __future__ import annotations

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.sqlite_inline import inline_creator


def create_engine(database_url: str) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url)
    return create_async_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=10)


# How long a statement waits for another process's write lock (a CLI import, say).
SQLITE_BUSY_SECONDS = 5


def _sqlite_engine(database_url: str) -> AsyncEngine:
    _ensure_sqlite_folder(database_url)
    path = make_url(database_url).database or ":memory:"
    # One connection, used from the event loop's thread: transactions queue in asyncio
    # instead of contending for SQLite's lock (see bot.db.sqlite_inline).
    engine = create_async_engine(database_url, async_creator=inline_creator(path, SQLITE_BUSY_SECONDS),
                                 pool_size=1, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if ":memory:" not in database_url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # Straight to the driver: through SQLAlchemy this statement cost as much as a query.
        connection.connection.driver_connection.begin_immediate()

    return engine


def _ensure_sqlite_folder(database_url: str) -> None:
    from pathlib import Path

    path = database_url.split("///", 1)[-1]
    if path and ":memory:" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
