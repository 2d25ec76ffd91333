"""Routers, and the one function that owns their order."""
from __future__ import annotations

from aiogram import Router


def setup_routers() -> Router:
    from bot.handlers import errors, fallback, help, language, menu, start

    root = Router(name="root")
    root.include_routers(
        errors.router,
        start.router,
        language.router,
        help.router,
        # Feature routers go here, before the menu's "coming soon" answers.
        menu.router,
        fallback.router,  # catch-alls: always last
    )
    return root
