"""Bot API session middlewares (`bot.session.middleware(...)`), next to bot/transport/session.py's
BotAPISession: `BotAPIRetry` sends a call again after a 5xx, a timeout, a dropped connection or a 429, with
backoff and a limit; `BotAPIMetrics` counts and times every request actually sent.

Register the retry first, then the metrics: the first registered is the outermost, so each attempt is
counted on its own.

A call sent again after a timeout may have reached Telegram the first time: the citizen may then see a
message twice. Telegram offers no idempotency key; a repeated message is better than a conversation that
stops, and presses on a repeated message's buttons are judged by their payload like any other.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.ops.metrics import Metrics

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger("bot.ops.bot_api")

DEFAULT_RETRIES = 2
BACKOFF_FIRST = 0.5  # seconds before the first retry; doubled each time, with jitter
BACKOFF_MAX = 5.0
# A 429 asking for a longer wait than this is passed on: the update has waited long enough.
MAX_RETRY_AFTER = 30.0

_STATUS = {
    "TelegramBadRequest": "400",
    "TelegramUnauthorizedError": "401",
    "TelegramForbiddenError": "403",
    "TelegramNotFound": "404",
    "TelegramConflictError": "409",
    "TelegramEntityTooLarge": "413",
    "TelegramRetryAfter": "429",
    "TelegramServerError": "5xx",
    "RestartingTelegram": "5xx",
    "ClientDecodeError": "undecodable",
}


def status_of(error: BaseException) -> str:
    """What a failed request is counted as: the HTTP status, or timeout / network / other."""
    name = type(error).__name__
    if name in _STATUS:
        return _STATUS[name]
    if isinstance(error, TelegramNetworkError):
        return "timeout" if "timeout" in str(error).lower() else "network"
    return "other"


class BotAPIMetrics(BaseRequestMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        name = method.__api_method__
        started = time.perf_counter()
        status = "200"
        try:
            return await make_request(bot, method)
        except Exception as error:
            status = status_of(error)
            if isinstance(error, TelegramRetryAfter):
                self._metrics.api_flood_waits.labels(name).inc()
            raise
        finally:
            self._metrics.api_requests.labels(name, status).inc()
            self._metrics.api_seconds.labels(name).observe(time.perf_counter() - started)


class BotAPIRetry(BaseRequestMiddleware):
    """Up to `retries` more attempts after a 5xx, a timeout, a network error, an undecodable answer (a proxy's
    error page) or a 429 that asks for at most MAX_RETRY_AFTER seconds. getUpdates is left to aiogram's
    polling, which has its own backoff; 4xx answers are never retried."""

    def __init__(
        self, retries: int = DEFAULT_RETRIES, metrics: Metrics | None = None, flood_control_outside: bool = True
    ) -> None:
        self.retries = retries
        self._metrics = metrics
        # The bot's own sessions have flood control around this middleware (bot.transport.flood), which paces
        # sends and waits 429s out for the whole chat: a 429 is passed up to it rather than retried here.
        self.flood_control_outside = flood_control_outside

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError, TelegramRetryAfter) as error:
                if attempt >= self.retries or (isinstance(error, TelegramRetryAfter) and self.flood_control_outside):
                    raise
                delay = self._delay(error, attempt)
                if delay is None:
                    raise
                attempt += 1
                reason = status_of(error)
                log.warning(
                    "Bot API %s failed (%s: %s); attempt %d of %d in %.1f s",
                    method.__api_method__,
                    reason,
                    _short(error),
                    attempt + 1,
                    self.retries + 1,
                    delay,
                )
                if self._metrics is not None:
                    self._metrics.api_retries.labels(method.__api_method__, reason).inc()
                    if isinstance(error, TelegramRetryAfter):
                        self._metrics.api_flood_wait_seconds.inc(delay)
                await asyncio.sleep(delay)

    @staticmethod
    def _delay(error: Exception, attempt: int) -> float | None:
        if isinstance(error, TelegramRetryAfter):
            wait = float(error.retry_after)
            return wait if wait <= MAX_RETRY_AFTER else None
        backoff = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0**attempt)
        return backoff * random.uniform(0.5, 1.0)  # jitter: workers that failed together retry apart


def _short(error: Exception) -> str:
    text = error.message if isinstance(error, TelegramAPIError) else str(error)
    return text[:200]
