"""The Zalo Official Account channel (see bot/channels/zalo/channel.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.config import Settings


def build(settings: Settings) -> Channel | None:
    """The Zalo channel when ZALO_APP_ID and ZALO_OA_SECRET are set; None otherwise."""
    if not (settings.zalo_app_id and settings.zalo_oa_secret):
        return None
    from bot.channels.zalo.channel import ZaloChannel

    return ZaloChannel.from_settings(settings)
