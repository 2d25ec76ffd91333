"""Factories for the Bot, the Dispatcher and the running application. Nothing global at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, Update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import i18n
from bot.channels import registry as channel_registry
from bot.channels.engine import ChannelEngine
from bot.config import Settings
from bot.content.registry import require_valid
from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWork
from bot.delivery.gate import LocalGate, RedisGate
from bot.delivery.ports import Messenger
from bot.delivery.quiet import QuietHours
from bot.delivery.records import ChannelLimits
from bot.delivery.worker import DeliveryWorker, WorkerSettings
from bot.domain.platforms import TELEGRAM
from bot.features import Feature, all_features
from bot.handlers import setup_routers
from bot.handlers.background import run_while_dispatching
from bot.ops import updates as ops_updates
from bot.ops.bot_api import BotAPIMetrics, BotAPIRetry
from bot.ops.health import Health, start_ops_server
from bot.ops.metrics import Metrics
from bot.runtime import tune_garbage_collector
from bot.transport.flood import flood_control
from bot.transport.messenger import TelegramMessenger
from bot.transport.middlewares import ContextMiddleware
from bot.transport.session import BotAPISession, install_middlewares
from bot.ui import menu

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from aiohttp import web

    from bot.ops.webhook import BoundedRequestHandler


def build_bot(
    settings: Settings, token: str | None = None, metrics: Metrics | None = None, interactive: bool = True
) -> Bot:
    """The bot's Bot API client. Interactive (replies to updates): sends to a chat are paced and 429s waited out
    (bot.transport.flood), 5xx and timeouts tried again (bot.ops.bot_api). The delivery room's client is not
    interactive: its worker paces every chat through one gate, pauses all senders on a 429 and retries with
    its own backoff and limit, so nothing in the session may wait or retry in its stead."""
    token = token or settings.bot_token
    if not token:
        raise ValueError("BOT_TOKEN is not set")
    session = (
        BotAPISession(api=TelegramAPIServer.from_base(settings.bot_api_url), timeout=settings.bot_api_timeout)
        if settings.bot_api_url
        else BotAPISession(timeout=settings.bot_api_timeout)
    )
    metering: list[BaseRequestMiddleware] = [BotAPIMetrics(metrics)] if metrics is not None else []
    if not interactive:
        for middleware in metering:
            session.middleware(middleware)
        return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    # Flood control outermost (its waits cover every try), then retries, so that metrics count every attempt.
    install_middlewares(session, BotAPIRetry(settings.bot_api_retries, metrics), *metering)
    bot = Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    control = flood_control(bot)
    if metrics is not None and control is not None:  # the time Telegram asked us to wait, as Prometheus sees it
        control.observers.append(lambda _method, _chat, retry_after: metrics.api_flood_wait_seconds.inc(retry_after))
    return bot


def _storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        keys = DefaultKeyBuilder(prefix=settings.redis_prefix, with_bot_id=True)
        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return storage, RedisEventIsolation(redis=storage.redis, key_builder=keys)
    # One process: updates of one user still run one at a time.
    return MemoryStorage(), SimpleEventIsolation()


class BotDispatcher(Dispatcher):
    """aiogram's dispatcher, plus a hook for whoever must know when an update is fully handled (its replies
    sent, its writes committed, errors handled): operations' metrics, the test harness, the benchmarks."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.update_handled: list[Callable[[Update], None]] = []
        # Updates in flight: their id on every log line, counted and timed, drained at shutdown (bot.ops).
        self.updates = ops_updates.UpdateTracker()
        # At most this many updates handled at once when polling (the webhook server has its own slots).
        self.concurrent_updates: int | None = None

    async def start_polling(self, *bots: Bot, **kwargs: Any) -> None:
        # Polling waits for a free slot before it takes the next update, so a burst waits at Telegram's side
        # instead of for a database connection. Every caller gets the bound (the CLI, the sandbox, tests).
        kwargs.setdefault("tasks_concurrency_limit", self.concurrent_updates)
        await super().start_polling(*bots, **kwargs)

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        with self.updates.track(update, confirms="channel_event" not in kwargs):
            try:
                return await super().feed_update(bot, update, **kwargs)
            finally:
                for callback in self.update_handled:
                    callback(update)


def build_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    features: Sequence[Feature] | None = None,
) -> BotDispatcher:
    features = all_features() if features is None else features
    storage, isolation = _storage(settings)
    dp = BotDispatcher(storage=storage, events_isolation=isolation)
    dp.concurrent_updates = settings.concurrent_updates
    metrics = dp.updates.metrics = Metrics()
    dp["metrics"] = metrics
    ops_updates.install(dp, metrics)

    async def drain() -> None:  # first at shutdown: the updates in flight finish before anything closes
        await dp.updates.drain(settings.shutdown_drain_seconds)

    dp.shutdown.register(drain)
    stores = tuple(binding for feature in features for binding in feature.stores)
    menu.install(feature.menu for feature in features if feature.menu is not None)
    dp["settings"] = settings
    dp["session_factory"] = session_factory
    dp["stores"] = stores
    dp["features"] = tuple(features)
    # Copies of a citizen's words that a channel keeps itself (the web chat's log): a channel appends an eraser here,
    # and /forget calls each one, so the conversation erases them without knowing the channel.
    dp["erasers"] = []
    for feature in features:
        if feature.load is not None:
            dp.workflow_data.update(feature.load(settings))
        for name, job in feature.jobs:
            run_while_dispatching(dp, name, job)
    dp.update.outer_middleware(ContextMiddleware(session_factory, stores))
    dp.include_router(setup_routers(features))
    dp.startup.register(tune_garbage_collector)
    return dp


def build_delivery(
    settings: Settings, bot: Bot, dispatcher: BotDispatcher, channels: Sequence[ChannelEngine] = ()
) -> DeliveryWorker:
    """The delivery room's worker: the outbox, the Telegram messenger and every other channel's, one gate (shared
    through Redis when set)."""
    paid = settings.delivery_paid_rate > 0
    rate = float(settings.delivery_paid_rate) if paid else settings.delivery_rate
    limits = ChannelLimits(rate=rate, burst=settings.delivery_burst)
    gate = RedisGate(settings.redis_url, settings.redis_prefix) if settings.redis_url else LocalGate()
    session_factory = dispatcher["session_factory"]
    stores = dispatcher["stores"]
    features: tuple[Feature, ...] = dispatcher["features"]
    worker = DeliveryWorker(
        work=lambda: UnitOfWork(session_factory, stores),
        messengers={TELEGRAM: TelegramMessenger(bot, limits, paid=paid), **_channel_messengers(channels)},
        gate=gate,
        topics=[topic for feature in features for topic in feature.topics],
        content=dispatcher.workflow_data,
        settings=WorkerSettings(
            max_attempts=settings.delivery_max_attempts,
            lease_seconds=settings.delivery_lease_seconds,
            poll_seconds=settings.delivery_poll_seconds,
            backoff_seconds=settings.delivery_backoff_seconds,
            quiet=QuietHours.parse(settings.quiet_hours, settings.timezone),
            single_process=settings.is_sqlite,
        ),
    )
    dispatcher["delivery"] = worker  # handlers wake it when they queue something
    return worker


def _channel_messengers(channels: Sequence[ChannelEngine]) -> dict[str, Messenger]:
    found = {}
    for engine in channels:
        messenger = engine.channel.messenger()
        if messenger is not None:
            found[engine.channel.name] = messenger
    return found


def install_translations(settings: Settings) -> i18n.Catalogs:
    catalogs = i18n.Catalogs(settings.locales_dir, settings.default_locale, settings.timezone)
    i18n.install(catalogs)
    return catalogs


async def set_commands(bot: Bot, features: Sequence[Feature]) -> None:
    """Command descriptions in every language; a failure here must not stop the bot."""
    try:
        for code in i18n.catalogs().available:
            with i18n.use_locale(code):
                commands = [
                    BotCommand(command=command.name, description=command.description())
                    for feature in features
                    for command in feature.commands
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
    dispatcher: BotDispatcher
    delivery: DeliveryWorker
    # Channels other than Telegram (bot.channels): their engines, served on the bot's web server.
    channels: list[ChannelEngine] = field(default_factory=list)
    health: Health = field(init=False)
    channels_runner: web.AppRunner | None = field(default=None, init=False)  # polling mode, when channels exist
    channels_port: int | None = field(default=None, init=False)  # where the channels' server listens
    webhook_handler: BoundedRequestHandler | None = field(default=None, init=False)
    ops_runner: web.AppRunner | None = field(default=None, init=False)  # polling mode, when OPS_PORT is set

    def __post_init__(self) -> None:
        self.health = Health(self.engine, self.dispatcher["metrics"], self.settings.redis_url)

    @contextlib.asynccontextmanager
    async def delivering(self) -> AsyncIterator[DeliveryWorker]:
        """The delivery worker runs inside this block (for the process's lifetime in both modes), and with it
        the other channels: their ingress (on their own server when no webhook server serves them) and their
        background work."""
        task = asyncio.create_task(self.delivery.run(), name="delivery")
        channel_tasks = [
            asyncio.create_task(engine.channel.run(engine), name=f"channel-{engine.channel.name}")
            for engine in self.channels
        ]
        if self.channels and self.webhook_handler is None and self.channels_runner is None:
            await self._serve_channels()
        try:
            yield self.delivery
        finally:
            for background in (*channel_tasks, task):
                background.cancel()
            for background in (*channel_tasks, task):
                with contextlib.suppress(asyncio.CancelledError):
                    await background
            if self.channels_runner is not None:
                await self.channels_runner.cleanup()
                self.channels_runner = None

    async def _serve_channels(self) -> None:
        """Polling mode: the channels' webhooks and pages on CHANNELS_HOST:CHANNELS_PORT (0: any free port)."""
        from aiohttp import web

        server = web.Application()
        for engine in self.channels:
            engine.channel.routes(server, engine)
        runner = web.AppRunner(server, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.channels_host, self.settings.channels_port)
        await site.start()
        self.channels_runner = runner
        self.channels_port = _bound_port(runner) or self.settings.channels_port
        log.info(
            "channels %s served on %s:%s",
            ", ".join(engine.channel.name for engine in self.channels),
            self.settings.channels_host,
            self.channels_port,
        )

    async def poll(self, polling_timeout: int = 10, allowed_updates: list[str] | None = None) -> None:
        """Receive updates by long polling, and deliver, until polling stops (at most
        settings.concurrent_updates updates at once: BotDispatcher.start_polling)."""
        async with self.delivering():
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=polling_timeout,
                **({} if allowed_updates is None else {"allowed_updates": allowed_updates}),
            )

    async def run_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await set_commands(self.bot, self.dispatcher["features"])
        me = await self.bot.get_me()
        log.info("bot @%s is polling", me.username)
        settings = self.settings
        if settings.ops_port is not None:
            self.ops_runner = await start_ops_server(self.health, settings.ops_host, settings.ops_port)
        try:
            await self.poll()
            await self._confirm_handled()
        finally:
            if self.ops_runner is not None:
                await self.ops_runner.cleanup()
                self.ops_runner = None

    async def _confirm_handled(self) -> None:
        """Tell the Bot API which updates are done (the next getUpdates would), so that a restart does not
        receive them again; updates still in flight after the drain are left to be sent again."""
        offset = self.dispatcher.updates.confirmed_offset()
        if offset is None:
            return
        try:
            await self.bot.get_updates(offset=offset, limit=1, timeout=0)
        except Exception:
            log.warning("could not confirm the handled updates; they may be received again", exc_info=True)

    async def start_webhook_server(self, host: str, port: int) -> web.AppRunner:
        """Serve Telegram's update posts, and /healthz, /readyz, /metrics; the caller keeps the runner and
        stops it with stop_webhook_server (or cleans it up)."""
        from aiogram.webhook.aiohttp_server import setup_application
        from aiohttp import web

        from bot.ops.webhook import BoundedRequestHandler

        server = web.Application()
        # Handle an update before answering 200: Telegram re-sends one that got no answer, so a crash
        # mid-update loses nothing (answers and scores are idempotent). An update whose database or Redis is
        # unreachable is answered 503 for the same reason.
        self.dispatcher[ops_updates.REFUSE_UNAVAILABLE] = True
        handler = self.webhook_handler = BoundedRequestHandler(
            self.dispatcher,
            self.bot,
            self.settings.concurrent_updates,
            self.dispatcher["metrics"],
            secret_token=self.settings.webhook_secret,
        )
        handler.register(server, path=self.settings.webhook_path)
        for engine in self.channels:  # every channel's ingress on the same server
            engine.channel.routes(server, engine)
        setup_application(server, self.dispatcher, bot=self.bot)
        self.health.add_routes(server)
        runner = web.AppRunner(server, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        return runner

    async def stop_webhook_server(self, runner: web.AppRunner) -> None:
        """New posts get 503 (Telegram sends them again), the updates in flight finish, then the server stops."""
        self.health.stopping = True
        if self.webhook_handler is not None:
            self.webhook_handler.stopping = True
        await self.dispatcher.updates.drain(self.settings.shutdown_drain_seconds)
        await runner.cleanup()

    async def run_webhook(self, stop: asyncio.Event | None = None) -> None:
        settings = self.settings
        if settings.webhook_url:
            # Every worker may say this: setWebhook with the same URL is idempotent.
            await self.bot.set_webhook(
                settings.webhook_url.rstrip("/") + settings.webhook_path,
                secret_token=settings.webhook_secret,
                drop_pending_updates=False,
            )
        await set_commands(self.bot, self.dispatcher["features"])
        runner = await self.start_webhook_server(settings.webhook_host, settings.webhook_port)
        log.info("serving webhook on %s:%s%s", settings.webhook_host, settings.webhook_port, settings.webhook_path)
        try:
            async with self.delivering():
                await (stop or asyncio.Event()).wait()
        finally:
            await self.stop_webhook_server(runner)

    async def close(self) -> None:
        for engine in self.channels:
            await engine.channel.close()
            await engine.close()
        await self.health.close()
        await self.delivery.close()
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        await self.engine.dispose()


def build_application(
    settings: Settings, token: str | None = None, features: Sequence[Feature] | None = None
) -> Application:
    """Check content, load translations, connect the database, wire the bot (with every feature by default)."""
    features = all_features() if features is None else features
    install_translations(settings)
    checks = [(feature.name, feature.check) for feature in features if feature.check is not None]
    for warning in require_valid(settings, checks):
        log.warning("%s", warning)
    engine = create_engine(settings.database_url, settings.database_pool_size, settings.database_pool_timeout)
    session_factory = create_session_factory(engine)
    dispatcher = build_dispatcher(settings, session_factory, features)
    metrics: Metrics = dispatcher["metrics"]
    metrics.gauge_function(
        "database_connections_in_use", "Database connections checked out of the pool", lambda: _checked_out(engine)
    )
    bot = build_bot(settings, token, metrics)
    delivery_bot = build_bot(settings, token, metrics, interactive=False)
    channels = [ChannelEngine(dispatcher, channel) for channel in channel_registry.configured(settings)]
    delivery = build_delivery(settings, delivery_bot, dispatcher, channels)
    return Application(settings, engine, bot, dispatcher, delivery, channels)


def _bound_port(runner: web.AppRunner) -> int | None:
    """The port a runner's first site listens on (the one asked for, or the one given for port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


def _checked_out(engine: AsyncEngine) -> float:
    checkedout = getattr(engine.sync_engine.pool, "checkedout", None)
    return float(checkedout()) if callable(checkedout) else 0.0


async def run_until_stopped(app: Application, stop: asyncio.Event | None = None) -> None:
    """Poll until `stop` is set (or polling ends by itself); the updates in flight finish first."""
    task = asyncio.create_task(app.run_polling())
    try:
        if stop is None:
            await task
        else:
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if task.done():
                task.result()  # polling ended by itself: say why
    finally:
        if not task.done():
            app.health.stopping = True
            try:
                await app.dispatcher.stop_polling()
            except RuntimeError:
                # Stopped during start-up, before polling began: nothing was received yet, so the start-up itself
                # is what stops (aiogram refuses to stop a polling that has not started).
                task.cancel()
            done, _ = await asyncio.wait({task}, timeout=app.settings.shutdown_drain_seconds + 10)
            if not done:
                raise TimeoutError("polling did not stop in time")
            if not task.cancelled():
                task.result()
        await app.close()
