"""Pacing of sends: one token bucket per channel, and a pause of every sender after a flood answer (429).

Hand-written, on purpose: the well-kept limiters (aiolimiter, limits) make a caller wait or refuse it, but none
shares one bucket *and* a pause across processes in one round trip, and none lets a caller reserve its slot in
advance, which is what keeps a thousand sends a second evenly spaced. The bucket is GCRA (the generic cell rate
algorithm): one number per channel, the theoretical arrival time of the next send; each caller reserves the next
slot and sleeps until it. With Redis the same arithmetic runs in a Lua script on the server's clock, so every
process draws from the same bucket and sees the same pause.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.delivery.records import ChannelLimits

Clock = Callable[[], float]


class LocalGate:
    """One process's bucket and pause per channel (SQLite deployments, tests)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}

    async def reserve(self, channel: str, limits: ChannelLimits) -> float:
        now = self._clock()
        interval = 1.0 / limits.rate
        tolerance = (max(1, limits.burst) - 1) * interval
        tat = self._tat.get(channel, now)
        slot = max(now, tat - tolerance, self._paused_until.get(channel, 0.0))
        self._tat[channel] = max(tat, slot) + interval
        return slot - now

    async def pause(self, channel: str, seconds: float) -> None:
        until = self._clock() + seconds
        if until > self._paused_until.get(channel, 0.0):
            self._paused_until[channel] = until

    async def paused_for(self, channel: str) -> float:
        return max(0.0, self._paused_until.get(channel, 0.0) - self._clock())

    async def close(self) -> None:
        return None


# Times in microseconds on the Redis server's clock; numbers leave the scripts as strings ("%.0f"), since Lua
# would print large ones in exponent form and Redis would cut a returned number to an integer.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local paused = tonumber(redis.call('GET', KEYS[2]) or 0)
local slot = math.max(now, tat - tolerance, paused)
local next_tat = math.max(tat, slot) + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return string.format('%.0f', slot - now)
"""
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
if now + span > current then
  redis.call('SET', KEYS[1], string.format('%.0f', now + span), 'PX', math.ceil(span / 1000) + 1)
end
return 1
"""
_PAUSED_FOR = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or 0)
return string.format('%.0f', math.max(0, paused - now))
"""


class RedisGate:
    """The bucket and the pause in Redis: every process of the bot draws from the same ones."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._prefix = prefix
        self._reserve = self._redis.register_script(_RESERVE)
        self._pause = self._redis.register_script(_PAUSE)
        self._paused_for = self._redis.register_script(_PAUSED_FOR)

    def _keys(self, channel: str) -> tuple[str, str]:
        base = f"{self._prefix}:delivery:{channel}"
        return f"{base}:tat", f"{base}:pause"

    async def reserve(self, channel: str, limits: ChannelLimits) -> float:
        interval = 1_000_000 / limits.rate
        tolerance = (max(1, limits.burst) - 1) * interval
        wait = await self._reserve(keys=self._keys(channel), args=[f"{interval:.0f}", f"{tolerance:.0f}"])
        return float(wait) / 1_000_000

    async def pause(self, channel: str, seconds: float) -> None:
        await self._pause(keys=[self._keys(channel)[1]], args=[f"{seconds * 1_000_000:.0f}"])

    async def paused_for(self, channel: str) -> float:
        return float(await self._paused_for(keys=[self._keys(channel)[1]])) / 1_000_000

    async def close(self) -> None:
        await self._redis.aclose()
