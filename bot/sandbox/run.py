"""`python -m bot sandbox`: the real bot, a local Bot API emulator and a web chat page, no token needed."""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

from bot.app import Application, build_application, run_until_stopped
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_async
from bot.db.uow import UnitOfWork
from bot.domain.units import import_units
from bot.features import stores
from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.webchat import add_webchat_routes
from bot.sandbox.zalo import ZaloEmulator

SANDBOX_TOKEN = "7000000001:SANDBOX"
log = logging.getLogger(__name__)


async def prepare_database(settings: Settings, sample_units: Path | None) -> None:
    """Migrate, and give an empty database the sample units so deep links and Help work at once."""
    await upgrade_async(settings.database_url)
    if sample_units is None or not await asyncio.to_thread(sample_units.exists):
        return
    engine = create_engine(settings.database_url, settings.database_pool_size)
    uow = UnitOfWork(create_session_factory(engine), stores())
    try:
        async with uow:
            empty = await uow.units.count() == 0
        if empty:
            result = await import_units(uow, await asyncio.to_thread(sample_units.read_text, encoding="utf-8"))
            log.info("imported %d sample units from %s", result.imported, sample_units)
    finally:
        await uow.close()
        await engine.dispose()


def sandbox_settings(settings: Settings, api_url: str, zalo: ZaloEmulator | None = None) -> Settings:
    """The bot's settings in the sandbox: the emulator's token and address, and the demo contest open,
    so a contest can be tried when no real one is; with `zalo`, the Zalo channel against the Zalo OA emulator."""
    values: dict[str, object] = {"bot_token": SANDBOX_TOKEN, "bot_api_url": api_url, "demo_contests": True}
    # The web chat too, on plain http on this machine: a key made up for this run (sessions end with it).
    values.update(
        web_chat_enabled=True,
        web_chat_secret=settings.web_chat_secret or secrets.token_urlsafe(32),
        web_chat_cookie_secure=False,
    )
    if zalo is not None:
        values.update(
            zalo_app_id=zalo.app_id,
            zalo_oa_secret=zalo.oa_secret,
            zalo_app_secret=zalo.app_secret,
            zalo_oa_id=zalo.oa_id,
            zalo_access_token=zalo.access_token,
            zalo_refresh_token=zalo.refresh_token,
            zalo_api_url=zalo.base_url,
            zalo_oauth_url=zalo.base_url,
            channels_port=0,
        )
    return settings.model_copy(update=values)


async def _point_zalo(app: Application, zalo: ZaloEmulator) -> None:
    """Once the channels' server listens, the Zalo emulator posts its citizens' events there."""
    for _ in range(600):  # bounded: the server starts with the delivery worker, within a second or so
        if app.channels_port:
            print(f"Web chat: open http://127.0.0.1:{app.channels_port}{app.settings.web_chat_path}/", flush=True)
            zalo.webhook_url = f"http://127.0.0.1:{app.channels_port}{app.settings.zalo_webhook_path}"
            print(f"Zalo OA emulator at {zalo.base_url}; the bot's Zalo webhook at {zalo.webhook_url}", flush=True)
            print(f"Zalo: chat as a Zalo citizen at {zalo.base_url}/citizen/", flush=True)
            return
        await asyncio.sleep(0.05)


async def run_sandbox(settings: Settings, host: str, port: int, sample_units: Path | None = None) -> None:
    await prepare_database(settings, sample_units)
    emulator = BotAPIEmulator(token=SANDBOX_TOKEN)
    add_webchat_routes(emulator.app, emulator)
    await emulator.start(host=host, port=port)
    zalo = ZaloEmulator()
    await zalo.start(host="127.0.0.1")
    pointing: asyncio.Task[None] | None = None
    try:
        app = build_application(sandbox_settings(settings, emulator.base_url, zalo))
        print(
            f"Sandbox ready: open {emulator.base_url}/ in a browser to chat with the bot. Ctrl+C stops it.", flush=True
        )
        pointing = asyncio.create_task(_point_zalo(app, zalo))
        await run_until_stopped(app)
    finally:
        if pointing is not None:
            pointing.cancel()
        await zalo.stop()
        await emulator.stop()
