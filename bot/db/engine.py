"""Engine and session factory.

SQLite runs in WAL mode and every transaction starts with BEGIN IMMEDIATE: a
deferred BEGIN lets two writers read the same row and one of them lose its
update, or fail later with "database is locked".
"""

from __future__ import annotations

from sqlalchemy import event, exc, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.db.sqlite_inline import inline_creator

try:  # SQLAlchemy 2.1
    from sqlalchemy.util.concurrency import await_
except ImportError:  # 2.0
    from sqlalchemy.util import await_only as await_


# Connections kept open per process on PostgreSQL. Measured on the quiz benchmark: with 10 (+10 opened and
# closed again under bursts) answers waited for new connections and p99 went past 300 ms; with 30 it stayed
# near 200 ms. Several processes share the server's max_connections (100 by default).
DEFAULT_POOL_SIZE = 30
# Seconds a statement waits for a pooled connection before failing (SQLAlchemy's default). The bot handles
# at most DATABASE_POOL_SIZE updates at once (Settings.concurrent_updates), so updates do not wait here.
DEFAULT_POOL_TIMEOUT = 30.0


def create_engine(
    database_url: str, pool_size: int = DEFAULT_POOL_SIZE, pool_timeout: float = DEFAULT_POOL_TIMEOUT
) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url, pool_timeout)
    engine = create_async_engine(database_url, pool_size=pool_size, max_overflow=10, pool_timeout=pool_timeout)
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        _ping_on_checkout(engine)
    return engine


def _ping_on_checkout(engine: AsyncEngine) -> None:
    """Test each pooled connection as it is handed out, so that a restarted server costs no update.

    SQLAlchemy's pool_pre_ping does the same in three round trips (BEGIN, a query, ROLLBACK, for
    pgbouncer's transaction mode); one simple-protocol SELECT 1 is one, and needs no prepared statement.
    Measured on the quiz benchmark, this took the bot from about 300 to about 330 updates/s on PostgreSQL.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):  # type: ignore[no-untyped-def]
        try:
            await_(dbapi_connection.driver_connection.execute("SELECT 1"))
        except Exception as error:
            # The server went away: drop every connection made before now, and retry with a new one.
            raise exc.InvalidatePoolError(f"connection failed its check on checkout: {error!r}") from error


# How long a statement waits for another process's write lock (a CLI import, say).
SQLITE_BUSY_SECONDS = 5


def _sqlite_engine(database_url: str, pool_timeout: float = DEFAULT_POOL_TIMEOUT) -> AsyncEngine:
    _ensure_sqlite_folder(database_url)
    path = make_url(database_url).database or ":memory:"
    # One connection, used from the event loop's thread: transactions queue in asyncio
    # instead of contending for SQLite's lock (see bot.db.sqlite_inline).
    engine = create_async_engine(
        database_url,
        async_creator=inline_creator(path, SQLITE_BUSY_SECONDS),
        pool_size=1,
        max_overflow=0,
        pool_timeout=pool_timeout,
    )

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
