"""The webhook's request handler: at most MAX_CONCURRENT_UPDATES updates handled at once, the rest waiting
their turn; each update handled before Telegram gets its answer.

* an update waits for a slot instead of for a database connection: a burst queues, and none fails with
  "QueuePool limit … reached" (the slots are sized to the pool, see Settings.concurrent_updates);
* an update refused because the database or Redis is unreachable (bot.ops.updates) is answered 503, and
  Telegram sends it again later;
* while the process stops, new posts are answered 503 (another worker, or this one restarted, gets them)
  and the ones in flight are finished (`Application.run_webhook`).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.ops.metrics import Metrics
from bot.ops.updates import Unavailable

log = logging.getLogger("bot.ops")


class BoundedRequestHandler(SimpleRequestHandler):
    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, slots: int, metrics: Metrics, secret_token: str | None = None
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, secret_token=secret_token)
        self.slots = asyncio.Semaphore(slots)
        self.metrics = metrics
        self.stopping = False

    async def handle(self, request: web.Request) -> web.Response:
        if self.stopping:
            return _busy("stopping")
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        self.metrics.updates_waiting.inc()
        try:
            await self.slots.acquire()
        finally:
            self.metrics.updates_waiting.dec()
        try:
            return await self._handle_request(bot=bot, request=request)
        except Unavailable as refused:
            return _busy(refused.what)
        finally:
            self.slots.release()

    __call__ = handle

    async def close(self) -> None:
        """The bot's session is closed by the application, after the updates in flight are done."""


def _busy(reason: str) -> web.Response:
    # Telegram sends the update again after any answer other than 2xx.
    return web.Response(status=503, text=f"unavailable: {reason}", headers={"Retry-After": "1"})
