"""Routers, and the one function that owns their order.

Each handler module has `create_router()`, so a fresh set of routers can be
built for every Dispatcher (a router can belong to one parent only).
"""
from __future__ import annotations

from aiogram import Router


def setup_routers() -> Router:
    from bot.handlers import errors, fallback, guides, help, language, menu, quiz, staff, start

    root = Router(name="root")
    root.include_routers(
        errors.create_router(),
        start.create_router(),
        language.create_router(),
        help.create_router(),
        staff.create_router(),
        # Feature routers go here, before the menu's "coming soon" answers.
        guides.create_router(),
        quiz.create_router(),
        menu.create_router(),
        fallback.create_router(),  # catch-alls: always last
    )
    return root
