"""Routers, and the one function that owns their order.

Each handler module has `create_router()`, so a fresh set of routers can be built for every Dispatcher (a router
can belong to one parent only). Features come in the order of bot.features.all_features(); the error handler
comes first and the catch-alls last. The keyboard keeper (bot.handlers.keyboard) watches every message and press.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import Router

from bot.features import Feature


def setup_routers(features: Iterable[Feature]) -> Router:
    from bot.handlers import errors, fallback
    from bot.handlers.keyboard import KeyboardKeeper

    root = Router(name="root")
    keeper = KeyboardKeeper()
    root.message.outer_middleware(keeper)
    root.callback_query.outer_middleware(keeper)
    root.include_router(errors.create_router())
    for feature in features:
        if feature.router is not None:
            root.include_router(feature.router())
    root.include_router(fallback.create_router())  # catch-alls: always last
    return root
