"""`python -m bot sandbox`: the real bot, a local Bot API emulator and a web chat page, no token needed."""
from __future__ import annotations

import logging
from pathlib import Path

from bot.app import build_application, run_until_stopped
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_async
from bot.db.uow import UnitOfWork
from bot.domain.units import import_units
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.webchat import add_webchat_routes

SANDBOX_TOKEN = "7000000001:SANDBOX"
log = logging.getLogger(__name__)


async def prepare_database(settings: Settings, sample_units: Path | None) -> None:
    """Migrate, and give an empty database the sample units so deep links and Help work at once."""
    await upgrade_async(settings.database_url)
    if sample_units is None or not sample_units.exists():
        return
    engine = create_engine(settings.database_url, settings.database_pool_size)
    uow = UnitOfWork(create_session_factory(engine))
    try:
        async with uow:
            empty = await uow.units.count() == 0
        if empty:
            result = await import_units(uow, sample_units.read_text(encoding="utf-8"))
            log.info("imported %d sample units from %s", result.imported, sample_units)
    finally:
        await uow.close()
        await engine.dispose()


async def run_sandbox(settings: Settings, host: str, port: int, sample_units: Path | None = None) -> None:
    await prepare_database(settings, sample_units)
    emulator = BotAPIEmulator(token=SANDBOX_TOKEN)
    add_webchat_routes(emulator.app, emulator)
    await emulator.start(host=host, port=port)
    sandbox_settings = settings.model_copy(update={"bot_token": SANDBOX_TOKEN, "bot_api_url": emulator.base_url})
    try:
        app = build_application(sandbox_settings)
        print(f"Sandbox ready: open {emulator.base_url}/ in a browser to chat with the bot. Ctrl+C stops it.",
              flush=True)
        await run_until_stopped(app)
    finally:
        await emulator.stop()
