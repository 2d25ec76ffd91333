"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), settings, translations."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest

from bot.config import ROOT, Settings
from bot.features import stores

DATABASE_URL = os.environ.get("DATABASE_URL") or ""
REDIS_URL = os.environ.get("REDIS_URL") or None
ON_POSTGRES = DATABASE_URL.startswith("postgresql")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL' if ON_POSTGRES else 'SQLite'}; redis: {'yes' if REDIS_URL else 'no'}"


def _admin_url(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session; each test then gets a copy."""
    from bot.db.migrate import upgrade

    if ON_POSTGRES:
        name = f"tpl_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_execute(DATABASE_URL, f'CREATE DATABASE "{name}"'))
        url = _admin_url(DATABASE_URL, name)
        upgrade(url)
        yield name
        asyncio.run(_pg_execute(DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)


async def _pg_execute(url: str, statement: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> str:
    if ON_POSTGRES:
        name = f"t_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_execute(DATABASE_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        yield _admin_url(DATABASE_URL, name)
        asyncio.run(_pg_execute(DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path / "bot.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=None,
        bot_api_url=None,
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=f"test-{uuid.uuid4().hex[:8]}",
        admin_ids=[],
        procedures_dir=ROOT / "procedures",
        quiz_bank_dir=ROOT / "quiz_bank",
        province_hotline="0209 3 000 000",
    )


@pytest.fixture(autouse=True, scope="session")
def translations() -> None:
    from bot import i18n

    i18n.install(i18n.Catalogs(ROOT / "bot" / "locales", "vi", "Asia/Ho_Chi_Minh"))


@pytest.fixture
async def uow(settings: Settings):
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.uow import UnitOfWork

    engine = create_engine(settings.database_url)
    unit_of_work = UnitOfWork(create_session_factory(engine), stores())
    yield unit_of_work
    await unit_of_work.close()
    await engine.dispose()


@pytest.fixture
async def sandbox(settings: Settings):
    from tests.e2e import Sandbox

    running = await Sandbox(settings).start()
    try:
        yield running
    finally:
        await running.stop()
