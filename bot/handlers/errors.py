"""One error handler: the citizen gets a kind word, the log gets the details."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.domain.records import UserRecord
from bot.i18n import use_locale
from bot.transport.reply import Reply
from bot.ui.screens.common import something_went_wrong

log = logging.getLogger("bot.errors")


async def on_error(event: ErrorEvent, reply: Reply | None = None, user: UserRecord | None = None) -> bool:
    update = event.update
    log.error(
        "update %s from user %s failed",
        update.update_id,
        user.platform_user_id if user else "?",
        exc_info=event.exception,
    )
    if reply is None:
        return True
    try:
        with use_locale(user.language if user else None):
            apology = something_went_wrong()
            if reply.query is not None and not reply.answered:
                await reply.toast(apology.text)  # a press is answered once: here, if nothing answered it yet
            else:
                await reply.send(apology)
    except Exception:  # the apology itself failed (network, blocked): the log has it all
        log.warning("could not tell chat %s about the error", reply.chat_id, exc_info=True)
    return True


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
