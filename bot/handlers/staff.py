"""Staff commands. Each checks the caller's role; others get a polite refusal and nothing happens."""
from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.domain import audience, roles
from bot.domain.records import UserRecord
from bot.transport.telegram import send_view
from bot.ui.screens.staff import audience_view, not_allowed

STATS_ROLES = {"admin", "official", "organizer"}


async def caller_roles(uow, user: UserRecord, settings: Settings) -> set[str]:
    admin_ids = frozenset(str(user_id) for user_id in settings.admin_ids)
    return await roles.roles_of(uow, user.platform, user.platform_user_id, admin_ids)


async def show_stats(message: Message, bot: Bot, uow, user: UserRecord, settings: Settings) -> None:
    if not STATS_ROLES & await caller_roles(uow, user, settings):
        await send_view(bot, message.chat.id, not_allowed())
        return
    await send_view(bot, message.chat.id, audience_view(await audience.summary(uow)))


def create_router() -> Router:
    router = Router(name="staff")
    router.message.register(show_stats, Command("stats"))
    return router
