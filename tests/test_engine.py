"""Database engine behaviour that the rest of the bot relies on."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import make_url, text

from bot.db.engine import create_engine, create_session_factory
from tests.conftest import ON_POSTGRES


@pytest.mark.skipif(not ON_POSTGRES, reason="a server dropping connections is a PostgreSQL matter")
async def test_connections_dropped_by_the_server_cost_no_update(database_url):
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            assert await session.scalar(text("SELECT 1")) == 1  # a connection now waits in the pool
        url = make_url(database_url)
        admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            dropped = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                url.database,
            )
        finally:
            await admin.close()
        async with factory() as session:
            answer = await session.scalar(text("SELECT 2"))
    finally:
        await engine.dispose()

    assert dropped >= 1
    assert answer == 2
