"""Staff commands. Each checks the caller's role; others get a polite refusal and nothing happens."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.config import Settings
from bot.db.uow import UnitOfWork
from bot.domain import audience, roles
from bot.domain.records import UserRecord
from bot.features import Feature
from bot.transport.reply import Reply
from bot.ui.screens.reports import statistics_menu
from bot.ui.screens.staff import audience_view, not_allowed

STATS_ROLES = {"admin", "official", "organizer"}


async def caller_roles(uow: UnitOfWork, user: UserRecord, settings: Settings) -> set[str]:
    admin_ids = frozenset(str(user_id) for user_id in settings.admin_ids)
    return await roles.roles_of(uow, user.platform, user.platform_user_id, admin_ids)


async def show_stats(_: Message, reply: Reply, uow: UnitOfWork, user: UserRecord, settings: Settings) -> None:
    roles = await caller_roles(uow, user, settings)
    if not STATS_ROLES & roles:
        await reply.send(not_allowed())
        return
    may_export = bool({"admin", "organizer"} & roles)
    await reply.send(statistics_menu(audience_view(await audience.summary(uow)), may_export))


def create_router() -> Router:
    router = Router(name="staff")
    router.message.register(show_stats, Command("stats"))
    return router


FEATURE = Feature(name="staff", router=create_router)
