"""One error handler: the citizen gets a kind word, the log gets the details."""
from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.domain.records import UserRecord
from bot.i18n import use_locale
from bot.transport.telegram import send_view
from bot.ui.screens.common import something_went_wrong

log = logging.getLogger("bot.errors")


async def on_error(event: ErrorEvent, bot: Bot, user: UserRecord | None = None) -> bool:
    update = event.update
    log.exception("update %s from user %s failed", update.update_id, user.platform_user_id if user else "?",
                  exc_info=event.exception)
    chat_id = _chat_id(update)
    if chat_id is None:
        return True
    try:
        with use_locale(user.language if user else None):
            if update.callback_query:
                await update.callback_query.answer(something_went_wrong().text[:190])
            else:
                await send_view(bot, chat_id, something_went_wrong())
    except Exception:  # the apology itself failed (network, blocked): the log has it all
        log.warning("could not tell chat %s about the error", chat_id, exc_info=True)
    return True


def _chat_id(update) -> int | None:  # type: ignore[no-untyped-def]
    if update.message:
        return update.message.chat.id
    if update.callback_query and update.callback_query.message:
        return update.callback_query.message.chat.id
    return None


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
