"""Helpers every repository uses: Core statements on the session's own connection, and facts about the bind.

Session.execute routes even plain Core statements through the ORM layer; for an
UPDATE that includes evaluating its WHERE clause against every loaded object.
On the paths that run for every button press that costs more than the query.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.ext.asyncio import AsyncSession


async def run(session: AsyncSession, statement: Any, parameters: dict[str, Any] | None = None) -> Result[Any]:
    connection = await session.connection()
    return cast(Result[Any], await connection.execute(statement, parameters))


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (SQLAlchemy types execute()'s result without it)."""
    return cast(CursorResult[Any], result).rowcount


def table(model: type[Any]) -> Table:
    """The Table behind a mapped class, for statements built once on hot paths."""
    return cast(Table, model.__table__)


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def database_name(session: AsyncSession) -> str:
    """Which database the session talks to, without credentials (a key for per-database caches)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)
