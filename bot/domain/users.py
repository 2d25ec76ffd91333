"""Citizens as the bot knows them: language, unit, status. No names or phones here."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.clock import utcnow
from bot.domain.ports import UserChanges, Work, found
from bot.domain.records import UserRecord

# last_seen is refreshed at most this often, so browsing does not write on every tap.
LAST_SEEN_GRANULARITY = timedelta(minutes=5)
DEEP_LINK = re.compile(r"^unit_([A-Za-z0-9_-]{1,32})$")


class RecentUsers:
    """Citizens seen in the last seconds, so that tapping through a guide does not read the database each time.

    A change made through a unit of work in this process evicts its entry at once (see
    ContextMiddleware); another process sharing the database sees it within `ttl` seconds.
    """

    def __init__(self, ttl: float = 30.0, size: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, UserRecord]] = OrderedDict()
        self._keys: dict[int, tuple[str, str]] = {}

    def get(self, platform: str, platform_user_id: str) -> UserRecord | None:
        entry = self._entries.get((platform, platform_user_id))
        if entry is None or self._clock() - entry[0] > self._ttl:
            return None
        return entry[1]

    def put(self, user: UserRecord) -> None:
        key = (user.platform, user.platform_user_id)
        self._entries[key] = (self._clock(), user)
        self._entries.move_to_end(key)
        self._keys[user.id] = key
        while len(self._entries) > self._size:
            _, (_, old) = self._entries.popitem(last=False)
            self._keys.pop(old.id, None)

    def evict(self, user_ids: set[int]) -> None:
        for user_id in user_ids:
            key = self._keys.pop(user_id, None)
            if key:
                self._entries.pop(key, None)


def _fresh(user: UserRecord, chat_id: str, now: datetime) -> bool:
    last_seen = user.last_seen if user.last_seen.tzinfo else user.last_seen.replace(tzinfo=now.tzinfo)
    return now - last_seen <= LAST_SEEN_GRANULARITY and user.status != "blocked" and user.chat_id == chat_id


async def touch(
    uow: Work, platform: str, platform_user_id: str, chat_id: str, recent: RecentUsers | None = None
) -> tuple[UserRecord, bool]:
    """Find or create the user behind an incoming update. Returns (user, created)."""
    now = utcnow()
    cached = recent.get(platform, platform_user_id) if recent else None
    if cached is not None and _fresh(cached, chat_id, now):
        return cached, False
    user, created = await _touch_stored(uow, platform, platform_user_id, chat_id, now)
    if recent is not None:
        recent.put(user)
    return user, created


async def _touch_stored(
    uow: Work, platform: str, platform_user_id: str, chat_id: str, now: datetime
) -> tuple[UserRecord, bool]:
    async with uow:
        user = await uow.users.get(platform, platform_user_id)
        if user is None:
            user = await uow.users.add(platform, platform_user_id, chat_id, now, source=None)
            await uow.commit()
            return user, True
        if not _fresh(user, chat_id, now):
            # A message from someone marked blocked means they unblocked us.
            await uow.users.update(
                user.id, last_seen=now, status="active" if user.status == "blocked" else user.status, chat_id=chat_id
            )
            await uow.commit()
            user = found(await uow.users.get_by_id(user.id), f"user {user.id}")
            await uow.rollback()
    return user, False


async def apply_start_payload(uow: Work, user: UserRecord, payload: str | None) -> UserRecord:
    """Record where a citizen came from (a QR code at a commune office) and their unit."""
    if not payload:
        return user
    match = DEEP_LINK.match(payload)
    async with uow:
        values: UserChanges = {}
        if user.source is None:
            values["source"] = payload[:64]
        if match and await uow.units.get(match.group(1)):
            values["unit_code"] = match.group(1)
        if not values:
            return user
        await uow.users.update(user.id, **values)
        await uow.commit()
        updated = found(await uow.users.get_by_id(user.id), f"user {user.id}")
        await uow.rollback()
    return updated


async def set_language(uow: Work, user_id: int, language: str) -> None:
    async with uow:
        await uow.users.update(user_id, language=language)
        await uow.commit()


async def set_unit(uow: Work, user_id: int, unit_code: str) -> UserRecord | None:
    """Record the citizen's unit (commune or ward): the one place Help, registration and statistics read.
    None, and nothing changed, when no such unit is imported."""
    async with uow:
        if await uow.units.get(unit_code) is None:
            return None
        await uow.users.update(user_id, unit_code=unit_code)
        await uow.commit()
        updated = found(await uow.users.get_by_id(user_id), f"user {user_id}")
        await uow.rollback()
    return updated


async def mark_blocked(uow: Work, user_id: int) -> None:
    async with uow:
        await uow.users.update(user_id, status="blocked")
        await uow.commit()


async def set_reachable(uow: Work, platform: str, platform_user_id: str, reachable: bool) -> UserRecord | None:
    """The messenger says the citizen blocked the bot (False) or allowed it again (True). Someone the bot has
    no record of gets none: nothing is stored about a person who never wrote."""
    status = "active" if reachable else "blocked"
    async with uow:
        user = await uow.users.get(platform, platform_user_id)
        if user is None or user.status == status:
            return user
        await uow.users.update(user.id, status=status)
        await uow.commit()
        updated = await uow.users.get_by_id(user.id)
        await uow.rollback()
    return updated
