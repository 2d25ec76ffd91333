"""Citizens as the bot knows them: language, unit, status. No names or phones here."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.domain.clock import utcnow
from bot.domain.records import UserRecord

# last_seen is refreshed at most this often, so browsing does not write on every tap.
LAST_SEEN_GRANULARITY = timedelta(minutes=5)
DEEP_LINK = re.compile(r"^unit_([A-Za-z0-9_-]{1,32})$")


async def touch(uow: Any, platform: str, platform_user_id: str, chat_id: str) -> tuple[UserRecord, bool]:
    """Find or create the user behind an incoming update. Returns (user, created)."""
    now = utcnow()
    async with uow:
        user = await uow.users.get(platform, platform_user_id)
        if user is None:
            user = await uow.users.add(platform, platform_user_id, chat_id, now, source=None)
            await uow.commit()
            return user, True
        last_seen = user.last_seen if user.last_seen.tzinfo else user.last_seen.replace(tzinfo=now.tzinfo)
        if now - last_seen > LAST_SEEN_GRANULARITY or user.status == "blocked" or user.chat_id != chat_id:
            # A message from someone marked blocked means they unblocked us.
            await uow.users.update(user.id, last_seen=now, status="active" if user.status == "blocked" else user.status,
                                   chat_id=chat_id)
            await uow.commit()
            user = await uow.users.get_by_id(user.id)
            await uow.rollback()
    return user, False


async def apply_start_payload(uow: Any, user: UserRecord, payload: str | None) -> UserRecord:
    """Record where a citizen came from (a QR code at a commune office) and their unit."""
    if not payload:
        return user
    match = DEEP_LINK.match(payload)
    async with uow:
        values: dict[str, object] = {}
        if user.source is None:
            values["source"] = payload[:64]
        if match and await uow.units.get(match.group(1)):
            values["unit_code"] = match.group(1)
        if not values:
            return user
        await uow.users.update(user.id, **values)
        await uow.commit()
        updated = await uow.users.get_by_id(user.id)
        await uow.rollback()
    return updated


async def set_language(uow: Any, user_id: int, language: str) -> None:
    async with uow:
        await uow.users.update(user_id, language=language)
        await uow.commit()


async def set_unit(uow: Any, user_id: int, unit_code: str) -> bool:
    async with uow:
        if await uow.units.get(unit_code) is None:
            return False
        await uow.users.update(user_id, unit_code=unit_code)
        await uow.commit()
    return True


async def mark_blocked(uow: Any, user_id: int) -> None:
    async with uow:
        await uow.users.update(user_id, status="blocked")
        await uow.commit()
