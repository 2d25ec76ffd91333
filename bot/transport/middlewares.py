"""Per-update context: a unit of work, the citizen's record, their language."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.uow import UnitOfWork
from bot.domain import users
from bot.i18n import catalogs, use_locale
from bot.transport.telegram import PLATFORM

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ContextMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._recent = users.RecentUsers()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        uow = UnitOfWork(self._session_factory)
        data["uow"] = uow
        try:
            from_user: User | None = data.get("event_from_user")
            chat = data.get("event_chat")
            if from_user is None or from_user.is_bot:
                return await handler(event, data)
            chat_id = str(chat.id if chat else from_user.id)
            user, created = await users.touch(uow, PLATFORM, str(from_user.id), chat_id, self._recent)
            data["user"] = user
            data["first_visit"] = created or user.language is None
            locale = user.language or catalogs().best_match(from_user.language_code)
            with use_locale(locale):
                return await handler(event, data)
        finally:
            self._recent.evict(uow.changed_user_ids)
            await uow.close()
