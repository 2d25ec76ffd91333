"""Telegram's flood limits and the faults of a real server, each off unless asked for.

Limits (Bots FAQ; Bot API sendMessage): about 1 message a second to one chat with
short bursts, about 20 a minute to one group, about 30 a second in all, and up to
1,000 a second for sends with ``allow_paid_broadcast``. Telegram answers a send over
a limit with 429 and ``retry_after``.

Hand-written: rate-limiting libraries (aiolimiter, limits) throttle a client, by
making it wait or by refusing without a retry time; none answers as Telegram's
server does (429 with "retry after N" per chat, per group and for the whole bot,
and the paid-broadcast ceiling), and tests need a clock they can drive. A token
bucket models one chat's burst and refill; sliding windows model the group and
global limits, whose retry time is when the oldest counted send leaves the window.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.emulator.core import TelegramError

Clock = Callable[[], float]

SERVER_ERRORS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class RateLimits:
    """Telegram's flood limits; ``enabled`` switches them all."""

    enabled: bool = False
    chat_per_second: float = 1.0  # refill of one chat's bucket
    chat_burst: int = 3  # sends one chat takes at once
    group_per_minute: int = 20  # to one group, supergroup or channel
    global_per_second: int = 30  # to all chats together
    paid_per_second: int = 1000  # with allow_paid_broadcast


class TooManyRequests(TelegramError):
    """A 429 and which limit answered it: "chat", "group" or "global"."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self.scope = scope


class _TokenBucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, burst: int, now: float) -> None:
        self.tokens = float(burst)
        self.updated = now

    def wait(self, now: float, rate: float, burst: int) -> float:
        """Seconds until one token is there (0 if now), after refilling up to ``burst``."""
        self.tokens = min(float(burst), self.tokens + (now - self.updated) * rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / rate

    def take(self) -> None:
        self.tokens -= 1


class _SlidingWindow:
    __slots__ = ("times", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.times: deque[float] = deque()

    def wait(self, now: float, limit: int) -> float:
        """Seconds until fewer than ``limit`` sends lie within the window (0 if now)."""
        while self.times and now - self.times[0] >= self.window:
            self.times.popleft()
        if len(self.times) < limit:
            return 0.0
        return self.times[len(self.times) - limit] + self.window - now

    def add(self, now: float, keep: int) -> None:
        self.times.append(now)
        while len(self.times) > keep:  # no limit looks further back than its own size
            self.times.popleft()


class RateLimiter:
    """Admits a send or answers the 429 Telegram would; reads ``limits`` on every call."""

    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        self._chats: dict[int, _TokenBucket] = {}
        self._groups: dict[int, _SlidingWindow] = {}
        self._global = _SlidingWindow(1.0)

    def over_free_rate(self, now: float) -> bool:
        """Whether a send now goes beyond the free global rate (paid broadcasts do)."""
        return self._global.wait(now, self.limits.global_per_second) > 0

    def admit(self, chat_id: int, group: bool, paid: bool, now: float) -> None:
        """Count a send to ``chat_id`` or raise ``TooManyRequests``; nothing is counted then."""
        limits = self.limits
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _TokenBucket(limits.chat_burst, now)
        window = self._groups.get(chat_id) if group else None
        if group and window is None:
            window = self._groups[chat_id] = _SlidingWindow(60.0)
        global_limit = limits.paid_per_second if paid else limits.global_per_second
        waits = [
            ("chat", bucket.wait(now, limits.chat_per_second, limits.chat_burst)),
            ("group", window.wait(now, limits.group_per_minute) if window is not None else 0.0),
            ("global", self._global.wait(now, global_limit)),
        ]
        scope, wait = max(waits, key=lambda item: item[1])
        if wait > 0:
            raise TooManyRequests(scope, max(1, math.ceil(wait)))
        bucket.take()
        if window is not None:
            window.add(now, limits.group_per_minute)
        self._global.add(now, max(limits.global_per_second, limits.paid_per_second))


@dataclass
class Faults:
    """Faults of a real server: 5xx answers and slow answers, repeatable with a seed."""

    error_rate: float = 0.0  # probability that a call is answered with a 5xx
    error_statuses: tuple[int, ...] = (500, 502)  # drawn from evenly
    delay: float | tuple[float, float] = 0.0  # seconds before answering: fixed, or uniform within bounds
    seed: int | None = None  # the same seed and calls give the same faults
    methods: frozenset[str] | None = None  # Bot API method names affected; None: all but getUpdates
    after_handling: bool = False  # the 5xx comes after the call took effect (a send then happened anyway)


class FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.reseed()

    def reseed(self) -> None:
        seed = self.faults.seed
        # Separate streams, so that turning delays on does not change which calls fail.
        self._errors = random.Random(seed)
        self._delays = random.Random(None if seed is None else f"{seed}/delay")

    def applies(self, method: str) -> bool:
        methods = self.faults.methods
        return method != "getUpdates" if methods is None else method in methods

    def delay(self) -> float:
        delay = self.faults.delay
        if isinstance(delay, tuple):
            low, high = delay
            return self._delays.uniform(low, high)
        return delay

    def error(self) -> TelegramError | None:
        faults = self.faults
        if faults.error_rate <= 0 or self._errors.random() >= faults.error_rate:
            return None
        status = self._errors.choice(faults.error_statuses)
        return TelegramError(status, SERVER_ERRORS.get(status, "Internal Server Error"))
