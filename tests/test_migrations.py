"""Every migration goes up, down and up again."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from bot.db.migrate import MIGRATIONS, alembic_config, downgrade, upgrade


def _sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg") if "sqlite" in url else url


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        engine = create_engine(url.replace("+aiosqlite", ""))
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def names() -> set[str]:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            result = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return result

    return asyncio.run(names())


def test_stairway_up_down_up(database_url: str):
    revisions = list(ScriptDirectory.from_config(alembic_config(database_url)).walk_revisions("base", "heads"))
    revisions.reverse()
    assert revisions, f"no migrations in {MIGRATIONS}"
    downgrade(database_url, "base")
    assert _tables(database_url) <= {"alembic_version"}
    for revision in revisions:
        upgrade(database_url, revision.revision)
        downgrade(database_url, revision.down_revision or "base")
        upgrade(database_url, revision.revision)
    assert {"users", "units", "roles", "audit_log"} <= _tables(database_url)
    assert {"quiz_participants", "quiz_attempts", "quiz_answers"} <= _tables(database_url)
