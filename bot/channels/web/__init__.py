"""The web chat channel (see bot/channels/web/channel.py): a page on the bot's web server, embeddable on a portal."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.config import Settings


def build(settings: Settings) -> Channel | None:
    """The web chat when WEB_CHAT_ENABLED is set; None otherwise. Without WEB_CHAT_SECRET it does not start:
    every process must sign and check the citizens' cookies with the same key."""
    if not settings.web_chat_enabled:
        return None
    if not settings.web_chat_secret:
        raise ValueError("WEB_CHAT_ENABLED needs WEB_CHAT_SECRET: at least 32 random characters, the same everywhere")
    from bot.channels.web.channel import WebChannel, WebSettings

    return WebChannel(WebSettings.from_settings(settings, settings.web_chat_secret))
