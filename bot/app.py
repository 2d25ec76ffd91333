"""Factories for the Bot, the Dispatcher and the running application. Nothing global at import."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import i18n
from bot.config import Settings
from bot.content.registry import require_valid
from bot.db.engine import create_engine, create_session_factory
from bot.handlers import setup_routers
from bot.handlers.guides import install as install_guides
from bot.handlers.quiz import install as install_quiz
from bot.runtime import tune_garbage_collector
from bot.transport.middlewares import ContextMiddleware
from bot.transport.session import BotAPISession

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from aiohttp import web


def build_bot(settings: Settings, token: str | None = None) -> Bot:
    token = token or settings.bot_token
    if not token:
        raise ValueError("BOT_TOKEN is not set")
    session = BotAPISession(api=TelegramAPIServer.from_base(settings.bot_api_url)) if settings.bot_api_url else BotAPISession()
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def _storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage

        keys = DefaultKeyBuilder(prefix=settings.redis_prefix, with_bot_id=True)
        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return storage, RedisEventIsolation(redis=storage.redis, key_builder=keys)
    # One process: updates of one user still run one at a time.
    return MemoryStorage(), SimpleEventIsolation()


def build_dispatcher(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Dispatcher:
    storage, isolation = _storage(settings)
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp["settings"] = settings
    dp["session_factory"] = session_factory
    install_guides(dp, settings)
    dp.update.outer_middleware(ContextMiddleware(session_factory))
    dp.include_router(setup_routers())
    install_quiz(dp, settings)
    dp.startup.register(tune_garbage_collector)
    return dp


def install_translations(settings: Settings) -> i18n.Catalogs:
    catalogs = i18n.Catalogs(settings.locales_dir, settings.default_locale, settings.timezone)
    i18n.install(catalogs)
    return catalogs


async def set_commands(bot: Bot) -> None:
    """Command descriptions in every language; a failure here must not stop the bot."""
    try:
        for code in i18n.catalogs().available:
            with i18n.use_locale(code):
                commands = [
                    BotCommand(command="start", description=i18n._("Start over")),
                    BotCommand(command="menu", description=i18n._("Main menu")),
                    BotCommand(command="help", description=i18n._("Help and contacts")),
                    BotCommand(command="language", description=i18n._("Change language")),
                    BotCommand(command="quiz", description=i18n._("Digital-transformation quiz")),
                    BotCommand(command="top", description=i18n._("Quiz ranking")),
                    BotCommand(command="privacy", description=i18n._("What data is stored about me")),
                    BotCommand(command="forget", description=i18n._("Erase my name and phone number")),
                ]
            language = None if code == i18n.catalogs().default_locale else code
            await bot.set_my_commands(commands, language_code=language)
    except Exception:
        log.warning("could not set the command list; carrying on", exc_info=True)


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    bot: Bot
    dispatcher: Dispatcher

    async def run_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await set_commands(self.bot)
        me = await self.bot.get_me()
        log.info("bot @%s is polling", me.username)
        await self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False)

    async def start_webhook_server(self, host: str, port: int) -> "web.AppRunner":
        """Serve Telegram's update posts; the caller keeps the runner and cleans it up."""
        from aiohttp import web
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

        server = web.Application()
        # Handle an update before answering 200: Telegram re-sends one that got no answer, so a crash
        # mid-update loses nothing (answers and scores are idempotent).
        SimpleRequestHandler(self.dispatcher, self.bot, handle_in_background=False,
                             secret_token=self.settings.webhook_secret).register(server, path=self.settings.webhook_path)
        setup_application(server, self.dispatcher, bot=self.bot)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        return runner

    async def run_webhook(self) -> None:
        settings = self.settings
        if settings.webhook_url:
            # Every worker may say this: setWebhook with the same URL is idempotent.
            await self.bot.set_webhook(settings.webhook_url.rstrip("/") + settings.webhook_path,
                                       secret_token=settings.webhook_secret, drop_pending_updates=False)
        await set_commands(self.bot)
        runner = await self.start_webhook_server(settings.webhook_host, settings.webhook_port)
        log.info("serving webhook on %s:%s%s", settings.webhook_host, settings.webhook_port, settings.webhook_path)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


def build_application(settings: Settings, token: str | None = None) -> Application:
    """Check content, load translations, connect the database, wire the bot."""
    install_translations(settings)
    for warning in require_valid(settings):
        log.warning("%s", warning)
    engine = create_engine(settings.database_url, settings.database_pool_size)
    session_factory = create_session_factory(engine)
    return Application(settings, engine, build_bot(settings, token), build_dispatcher(settings, session_factory))


async def run_until_stopped(app: Application, stop: asyncio.Event | None = None) -> None:
    task = asyncio.create_task(app.run_polling())
    try:
        if stop is None:
            await task
        else:
            await stop.wait()
    finally:
        if not task.done():
            await app.dispatcher.stop_polling()
            await asyncio.wait_for(task, timeout=30)
        await app.close()
