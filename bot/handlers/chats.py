"""The bot's own membership in a citizen's private chat: blocked (nothing is sent there any more) or allowed
again; on Zalo, following or unfollowing the account. Groups and channels never get this far
(bot/transport/chats.py answers them)."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated

from bot.db.channels import ChannelRepository
from bot.db.uow import UnitOfWork, bind
from bot.domain import users
from bot.domain.channels import CHANNELS
from bot.features import Feature

GONE = frozenset({ChatMemberStatus.KICKED.value, ChatMemberStatus.LEFT.value})


async def membership_changed(event: ChatMemberUpdated, uow: UnitOfWork, platform_key: tuple[str, str]) -> None:
    reachable = event.new_chat_member.status not in GONE
    platform, platform_user_id = platform_key
    await users.set_reachable(uow, platform, platform_user_id, reachable)


def create_router() -> Router:
    router = Router(name="chats")
    router.my_chat_member.register(membership_changed)
    return router


# The channels' inbox, screens and tokens (bot.domain.channels) belong with where updates come from.
FEATURE = Feature(name="chats", router=create_router, stores=(bind(CHANNELS, ChannelRepository),))
