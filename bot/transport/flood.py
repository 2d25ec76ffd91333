"""Telegram's flood control on every Bot API call: sends to one chat are paced, and a 429 is waited out.

Telegram takes about one message a second in one chat (short bursts tolerated) and twenty a minute in one
group; a send over a limit is refused with 429 and `retry_after` seconds (Bots FAQ, "My bot is hitting limits").
A reply that is refused and never sent again is lost: a consent screen, a certificate, the first question of
a timed attempt. So:

* `ChatPacer` spaces sends to one chat (a burst, then a steady rate) so that the bot does not provoke 429s
  itself when one update makes several replies;
* `FloodControl`, a request middleware on the aiogram session, waits `retry_after` and sends again, within a
  budget (`max_wait` seconds in all, paced or refused, and `max_tries` refusals); past it, the call fails with aiogram's
  `TelegramRetryAfter` and the caller (the error handler, a broadcast's own retry) takes over. A 429 also
  pauses that chat in the pacer, so that other sends to it wait too instead of being refused in turn;
* `FloodStats` counts 429s, retries, give-ups and the time waited, for whoever reports metrics; `observers`
  are called on every 429 with (method, chat, retry_after).

The pacer is per process: several webhook processes sending to one chat can still provoke a 429, and the
middleware then waits it out.

Hand-written, not a library: aiogram has no limiter (aiogram #1875), and limiter libraries (aiolimiter) give
one bucket, not one per chat with a pause set by the server's retry_after; the pacer needs a clock tests can
drive and memory bounded by the chats active in the last seconds. GCRA (the "virtual scheduling" form of a
token bucket) keeps one float per chat.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import Response, TelegramMethod, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
ChatKey = int | str


@dataclass(frozen=True, slots=True)
class Pace:
    """`burst` sends at once, then one every `interval` seconds."""

    burst: int
    interval: float


PRIVATE_PACE = Pace(burst=3, interval=1.0)  # about one a second in one chat, short bursts tolerated
GROUP_PACE = Pace(burst=3, interval=3.0)  # twenty a minute in one group, supergroup or channel
# Added to every wait: the server counts a send when it arrives, a little after the pacer let it go.
MARGIN = 0.1


def _is_group(chat: ChatKey) -> bool:
    # Telegram's group, supergroup and channel ids are negative; "@name" addresses a public channel or group.
    return isinstance(chat, str) or chat < 0


class ChatPacer:
    """When each chat may take its next send. Reservations are made in call order, so replies keep their order.

    Per chat one number, its theoretical arrival time (TAT): a send at `now` waits until TAT - tolerance, where
    tolerance is (burst - 1) intervals, and moves TAT one interval on. A chat whose TAT has passed is as good as
    unknown, so such entries are dropped when the table grows.
    """

    def __init__(
        self,
        private: Pace = PRIVATE_PACE,
        group: Pace = GROUP_PACE,
        margin: float = MARGIN,
        prune_above: int = 10_000,
    ) -> None:
        self.private, self.group, self.margin = private, group, margin
        self._prune_above = prune_above
        self._tat: dict[ChatKey, float] = {}

    def _pace(self, chat: ChatKey) -> Pace:
        return self.group if _is_group(chat) else self.private

    def reserve(self, chat: ChatKey, now: float) -> float:
        """Take the chat's next slot; the seconds to wait before sending (0: send now)."""
        pace = self._pace(chat)
        tolerance = (pace.burst - 1) * pace.interval
        tat = max(self._tat.get(chat, now), now)
        wait = tat - tolerance - now
        self._tat[chat] = tat + pace.interval
        if len(self._tat) > self._prune_above:
            self._prune(now)
        return wait + self.margin if wait > 0 else 0.0

    def pause(self, chat: ChatKey, until: float) -> None:
        """The server refused a send until `until`: nothing more goes to the chat before then."""
        pace = self._pace(chat)
        tolerance = (pace.burst - 1) * pace.interval
        self._tat[chat] = max(self._tat.get(chat, until), until + tolerance)

    def _prune(self, now: float) -> None:
        for chat in [chat for chat, tat in self._tat.items() if tat <= now]:
            del self._tat[chat]

    def __len__(self) -> int:
        return len(self._tat)


@dataclass
class FloodStats:
    """Plain counters, read by whoever exports metrics; they only grow."""

    rate_limited: int = 0  # 429 answers received
    retried: int = 0  # calls sent again after waiting out a 429
    gave_up: int = 0  # calls handed back still refused: the budget was spent (or a pause is longer than it)
    waited_seconds: float = 0.0  # time slept on retry_after
    paced: int = 0  # sends the pacer held back
    paced_seconds: float = 0.0  # time those sends waited
    by_method: dict[str, int] = field(default_factory=dict)  # 429s per Bot API method


# Methods that put a new message into a chat: these count towards Telegram's per-chat limits and are paced.
_NOT_A_MESSAGE = frozenset({"sendChatAction"})


def paced_chat(method: TelegramMethod[Any]) -> ChatKey | None:
    """The chat a call sends a new message to, or None for calls that are not paced (edits, answers, reads)."""
    name = method.__api_method__
    if name in _NOT_A_MESSAGE or not name.startswith(("send", "copyMessage", "forwardMessage")):
        return None
    chat = getattr(method, "chat_id", None)
    return chat if isinstance(chat, (int, str)) else None


class FloodControl(BaseRequestMiddleware):
    """Paces sends per chat and waits out 429s within a budget (see the module's docstring)."""

    def __init__(
        self,
        pacer: ChatPacer | Literal["default"] | None = "default",
        *,
        max_wait: float = 30.0,
        max_tries: int = 5,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        # 30 s: a reply later than that is rarely still useful, and Redis event isolation (aiogram's lock of
        # 60 s per citizen) must outlast the update that waits.
        self.pacer = ChatPacer() if pacer == "default" else pacer  # None: no pacing, 429s are still waited out
        self.max_wait = max_wait
        self.max_tries = max_tries
        self.stats = FloodStats()
        self.observers: list[Callable[[str, ChatKey | None, int], None]] = []
        self._clock = clock
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat = paced_chat(method)
        waited = 0.0
        refusals = 0
        while True:
            if chat is not None and self.pacer is not None:
                waited += await self._wait_for_slot(self.pacer, method, chat, self.max_wait - waited)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as refused:
                refusals += 1
                retry_after = max(int(refused.retry_after), 0)
                self._count_refusal(method, chat, retry_after)
                if chat is not None and self.pacer is not None:
                    self.pacer.pause(chat, self._clock() + retry_after)
                if refusals >= self.max_tries or waited + retry_after > self.max_wait:
                    self.stats.gave_up += 1
                    log.warning(
                        "%s to chat %s still refused after %.0f s (retry after %s s): handing over",
                        method.__api_method__,
                        chat,
                        waited,
                        retry_after,
                    )
                    raise
                log.info("%s to chat %s: 429, retrying in %s s", method.__api_method__, chat, retry_after)
                await self._sleep(retry_after)
                waited += retry_after
                self.stats.waited_seconds += retry_after
                self.stats.retried += 1

    async def _wait_for_slot(
        self, pacer: ChatPacer, method: TelegramMethod[Any], chat: ChatKey, budget: float
    ) -> float:
        """Wait for the chat's next slot; the seconds waited."""
        wait = pacer.reserve(chat, self._clock())
        if wait <= 0:
            return 0.0
        if wait > budget:  # the chat is paused for longer than this call may wait: refuse it as the server would
            self.stats.gave_up += 1
            seconds = math.ceil(wait)
            raise TelegramRetryAfter(method, f"Too Many Requests: retry after {seconds} (held back)", seconds)
        self.stats.paced += 1
        self.stats.paced_seconds += wait
        await self._sleep(wait)
        return wait

    def _count_refusal(self, method: TelegramMethod[Any], chat: ChatKey | None, retry_after: int) -> None:
        name = method.__api_method__
        self.stats.rate_limited += 1
        self.stats.by_method[name] = self.stats.by_method.get(name, 0) + 1
        for observer in self.observers:
            observer(name, chat, retry_after)


def flood_control(bot: Bot) -> FloodControl | None:
    """The bot's flood control, if its session has one (for metrics and tests)."""
    return next((m for m in bot.session.middleware if isinstance(m, FloodControl)), None)
