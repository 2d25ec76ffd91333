"""The emulator's HTTP side: the aiohttp app, start and stop, the update queue, getUpdates and webhooks."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Iterable

from aiohttp import web

from bot.sandbox.emulator.core import MAX_UPLOAD_BYTES, JsonDict, Signal, TelegramError, bad_request
from bot.sandbox.emulator.files import FileStore
from bot.sandbox.emulator.groups import SimulatedGroups
from bot.sandbox.emulator.limits import Clock, FaultInjector, Faults, RateLimiter, RateLimits
from bot.sandbox.emulator.methods import BotMethods, Handler
from bot.sandbox.emulator.observe import ApiStats, Observation
from bot.sandbox.emulator.params import Params, read_params

log = logging.getLogger("bot.sandbox.emulator")


class BotAPIEmulator(SimulatedGroups, BotMethods, Observation):
    """A Telegram Bot API server kept entirely in memory.

    Start it with ``await emu.start()`` and point a bot at ``emu.base_url``.

    Telegram's flood limits (``rate_limit=True`` or ``set_rate_limits()``) and server faults
    (``error_rate``, ``response_delay`` or ``set_faults()``) are off unless asked for; see
    limits.py. ``clock`` drives the limits and the times in ``stats.sends``.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000000001,
        bot_username: str = "sandbox_bot",
        bot_first_name: str = "Sandbox Bot",
        callback_answer_timeout: float = 15.0,
        group_privacy: bool = True,
        rate_limit: bool = False,
        chat_messages_per_second: float = 1.0,
        chat_burst: int = 3,
        group_messages_per_minute: int = 20,
        global_messages_per_second: int = 30,
        paid_messages_per_second: int = 1000,
        error_rate: float = 0.0,
        error_statuses: Iterable[int] = (500, 502),
        response_delay: float | tuple[float, float] = 0.0,
        fault_seed: int | None = None,
        fault_methods: Iterable[str] | None = None,
        errors_after_handling: bool = False,
        clock: Clock = time.monotonic,
        send_log_size: int = 100_000,
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.callback_answer_timeout = callback_answer_timeout
        self.group_privacy = group_privacy
        self.stats = ApiStats(send_log_size)
        self.api_calls = self.stats.calls
        self.body_types = Counter()
        self._clock = clock
        self.limits = RateLimits()
        self._limiter = RateLimiter(self.limits, clock)
        self.set_rate_limits(
            rate_limit,
            chat_per_second=chat_messages_per_second,
            chat_burst=chat_burst,
            group_per_minute=group_messages_per_minute,
            global_per_second=global_messages_per_second,
            paid_per_second=paid_messages_per_second,
        )
        self.faults = Faults()
        self._fault_injector = FaultInjector(self.faults)
        self.set_faults(
            error_rate=error_rate,
            error_statuses=error_statuses,
            delay=response_delay,
            seed=fault_seed,
            methods=fault_methods,
            after_handling=errors_after_handling,
        )

        self._users = {}
        self._chats = {}
        self._updates: deque[JsonDict] = deque()
        self._last_update_id = 0
        self._updates_signal = Signal()
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._webhook_url = ""
        self._callbacks = {}
        self._answers = {}
        self._files = FileStore()
        self._commands = {}
        self._menu_buttons = {}
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._methods = self._method_table()
        self._last_token = ""
        if token:
            self._adopt_token(token)

        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self.app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._closing = False
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        self._wake_everyone()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._port}"

    # ------------------------------------------------------------------ limits and faults

    def set_rate_limits(
        self,
        enabled: bool = True,
        *,
        chat_per_second: float | None = None,
        chat_burst: int | None = None,
        group_per_minute: int | None = None,
        global_per_second: int | None = None,
        paid_per_second: int | None = None,
    ) -> RateLimits:
        """Switch Telegram's flood limits on (or off) and change any of them; counting starts afresh."""
        limits = self.limits
        limits.enabled = enabled
        if chat_per_second is not None:
            limits.chat_per_second = chat_per_second
        if chat_burst is not None:
            limits.chat_burst = chat_burst
        if group_per_minute is not None:
            limits.group_per_minute = group_per_minute
        if global_per_second is not None:
            limits.global_per_second = global_per_second
        if paid_per_second is not None:
            limits.paid_per_second = paid_per_second
        if (
            limits.chat_per_second <= 0
            or min(limits.chat_burst, limits.group_per_minute, limits.global_per_second, limits.paid_per_second) < 1
        ):
            raise ValueError(f"rates must be positive and bursts at least 1: {limits}")
        self._limiter.reset()
        return limits

    @property
    def rate_limit(self) -> bool:
        return self.limits.enabled

    @rate_limit.setter
    def rate_limit(self, enabled: bool) -> None:
        self.set_rate_limits(enabled)

    def set_faults(
        self,
        *,
        error_rate: float = 0.0,
        error_statuses: Iterable[int] = (500, 502),
        delay: float | tuple[float, float] = 0.0,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        after_handling: bool = False,
    ) -> Faults:
        """Replace every fault setting (the defaults are off); the same seed repeats the same faults.

        ``methods`` names the Bot API methods affected (default: all but getUpdates);
        ``after_handling`` answers the 5xx after the call took effect, as when Telegram sent a
        message but the answer was lost.
        """
        statuses = tuple(error_statuses)
        if not 0 <= error_rate <= 1 or not statuses or not all(500 <= s <= 599 for s in statuses):
            raise ValueError("error_rate is a probability and error_statuses are 5xx codes")
        low, high = delay if isinstance(delay, tuple) else (delay, delay)
        if not 0 <= low <= high:
            raise ValueError(f"delay is seconds, or (low, high) bounds with low <= high: {delay!r}")
        faults = self.faults
        faults.error_rate = error_rate
        faults.error_statuses = statuses
        faults.delay = delay
        faults.seed = seed
        faults.methods = None if methods is None else frozenset(methods)
        faults.after_handling = after_handling
        self._fault_injector.reseed()
        return faults

    def set_response_delay(self, delay: float | tuple[float, float]) -> Faults:
        """Answer late, by ``delay`` seconds or uniformly within ``(low, high)``; other faults stay."""
        faults = self.faults
        return self.set_faults(
            error_rate=faults.error_rate,
            error_statuses=faults.error_statuses,
            delay=delay,
            seed=faults.seed,
            methods=faults.methods,
            after_handling=faults.after_handling,
        )

    def _wake_everyone(self) -> None:
        self._updates_signal.fire()
        for chat in self._chats.values():
            chat.changed.fire()

    # ------------------------------------------------------------------ the update queue

    def send_raw(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update; update_id is assigned unless given and increasing."""
        given = update.get("update_id")
        if given is not None and given <= self._last_update_id:
            raise ValueError(f"update_id {given} is not above {self._last_update_id}")
        body = {k: v for k, v in update.items() if k != "update_id"}
        if given is not None:
            self._last_update_id = given - 1
        return self._enqueue(body)

    def _enqueue(self, body: JsonDict, deliver: bool = True) -> JsonDict:
        """Create an update; like Telegram, types outside allowed_updates are never queued.

        An update that Telegram would not deliver (``deliver=False``, e.g. a group message hidden
        by privacy mode) still gets an id, so ids have gaps as on Telegram.
        """
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **body}
        if deliver and (self._allowed_updates is None or _update_type(update) in self._allowed_updates):
            self._updates.append(update)
            self._updates_signal.fire()
        return update

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def queued(self, update: JsonDict) -> bool:
        """Whether this update waits in the queue for the bot. Asked right after making it, before the bot could
        poll: whether Telegram delivers it at all (privacy mode, allowed_updates, the bot not in the chat)."""
        update_id = update["update_id"]
        return any(waiting["update_id"] == update_id for waiting in reversed(self._updates))

    # ------------------------------------------------------------------ HTTP plumbing

    def _method_table(self) -> dict[str, tuple[str, Handler]]:
        handlers: dict[str, Handler] = {
            **self._bot_methods(),
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    def _adopt_token(self, token: str) -> None:
        # aiogram derives bot.id from the token prefix; getMe and "from" must agree with it.
        self._last_token = token
        prefix = token.split(":", 1)[0]
        if prefix.isdigit():
            self.bot_user["id"] = int(prefix)

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self.token is not None and token != self.token:
            return self._answer_error(TelegramError(401, "Unauthorized"))
        if token != self._last_token:
            self._adopt_token(token)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return self._answer_error(TelegramError(404, "Not Found"))
        name, handler = entry
        self.api_calls[name] += 1
        if request.body_exists:
            self.body_types[request.content_type] += 1
        fault: TelegramError | None = None
        if self._fault_injector.applies(name):
            delay = self._fault_injector.delay()
            if delay > 0 and not self._closing:
                self.stats.delayed[name] += 1
                await asyncio.sleep(delay)
            fault = self._fault_injector.error()
            if fault is not None and not self.faults.after_handling:
                return self._answer_error(fault)
        try:
            params = await read_params(request)
            result = handler(params)
            if isinstance(result, Awaitable):
                result = await result
        except TelegramError as error:
            return self._answer_error(error)
        except Exception:
            # A malformed request the emulator does not model must still get a Bot API answer.
            log.exception("emulator failed on %s", name)
            return self._answer_error(TelegramError(500, "Internal Server Error"))
        if fault is not None:
            return self._answer_error(fault)
        self.stats.statuses[200] += 1
        return _reply({"ok": True, "result": result}, 200)

    def _answer_error(self, error: TelegramError) -> web.Response:
        self.stats.statuses[error.code] += 1
        self.stats.errors[error.description] += 1
        return _reply(error.payload(), error.code)

    async def _handle_download(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            return _reply(TelegramError(401, "Unauthorized").payload(), 401)
        stored = self._files.by_path(request.match_info["file_path"])
        if stored is None:
            return _reply(TelegramError(404, "Not Found").payload(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ webhooks

    def _set_webhook(self, p: Params) -> bool:
        url = p.str("url") or ""
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook_url = url
        self._drop_pending_if_asked(p)
        return True

    def _delete_webhook(self, p: Params) -> bool:
        self._webhook_url = ""
        self._drop_pending_if_asked(p)
        return True

    def _drop_pending_if_asked(self, p: Params) -> None:
        if p.bool("drop_pending_updates"):
            self._updates.clear()

    def _get_webhook_info(self, _: Params) -> JsonDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, p: Params) -> list[JsonDict]:
        if self._webhook_url:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.int("offset")
        limit = min(max(p.int("limit") or 100, 1), 100)
        timeout = min(max(p.int("timeout") or 0, 0), 50)
        allowed = p.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        if offset is not None:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            batch = self._take(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._updates_signal.wait(remaining)
            if generation != self._poll_generation:
                raise TelegramError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates, forgetting the rest.
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _take(self, limit: int) -> list[JsonDict]:
        if len(self._updates) <= limit:
            return list(self._updates)
        return list(itertools.islice(self._updates, limit))


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


def _reply(body: JsonDict, status: int) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    return web.Response(text=text, status=status, content_type="application/json")
