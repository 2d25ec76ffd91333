"""SQLite driven from the event loop's own thread, behind aiosqlite's interface.

aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread;
measured here, a one-row SELECT costs 0.29 ms that way and 0.014 ms called
directly. SQLite in WAL mode on a local disk answers in microseconds, so running
the calls inline is cheaper than any hand-off, and SQLAlchemy's aiosqlite
dialect accepts the connection through `async_creator`. The price: a statement
that must wait for another process's write lock blocks the loop, for at most
the busy timeout (see bot.db.engine).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        # SQLAlchemy checks this attribute to know the connection is still open.
        self._connection: sqlite3.Connection | None = connection

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def begin_immediate(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def begin_deferred(self) -> None:
        """A read transaction: in WAL mode a snapshot that takes no write lock (bot.db.readonly)."""
        self._conn.execute("BEGIN")

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None


def inline_creator(path: str, timeout: float):  # type: ignore[no-untyped-def]
    async def connect() -> InlineConnection:
        # isolation_level=None: SQLAlchemy (see bot.db.engine) decides when transactions begin.
        return InlineConnection(sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False))

    return connect
