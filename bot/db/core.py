"""Core statements on the session's own connection and transaction.

Session.execute routes even plain Core statements through the ORM layer; for an
UPDATE that includes evaluating its WHERE clause against every loaded object.
On the paths that run for every button press that costs more than the query.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession


async def run(session: AsyncSession, statement: Any, parameters: dict[str, Any] | None = None) -> Result[Any]:
    connection = await session.connection()
    return await connection.execute(statement, parameters)
