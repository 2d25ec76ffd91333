"""What every bot has: /start, the language, help and the main menu, as one feature."""

from __future__ import annotations

from aiogram import Router

from bot.features import Command, Feature
from bot.handlers import help, language, menu, start
from bot.i18n import _


def create_router() -> Router:
    router = Router(name="core")
    router.include_routers(start.create_router(), language.create_router(), help.create_router(), menu.create_router())
    return router


FEATURE = Feature(
    name="core",
    router=create_router,
    commands=(
        Command("start", lambda: _("Start over")),
        Command("menu", lambda: _("Main menu")),
        Command("help", lambda: _("Help and contacts")),
        Command("language", lambda: _("Change language")),
    ),
)
