"""The big buttons under the chat are always there: a step that replaces them gives them back when it ends.

Telegram has one keyboard under the chat. Asking for the phone number puts the share-contact button there in
place of the big menu buttons; when that step ends — the number shared, or the citizen gone elsewhere with a
command, a menu button or a button of an older message — the big buttons must come back, or they are lost until
/start. A feature names the states of its conversation that show such a keyboard (`replaces_keyboard`), and its
handlers say when they (re)send that keyboard (`replaced`). This middleware, on the root router, watches every
update that arrives in one of those states: an update that did not ask the step again was handled elsewhere, so
the step is left (its state cleared; what it saved stays saved), and unless the handler gave the big buttons back
itself (`restored`), the middleware sends them with a short line.

Updates outside those states cost nothing here: the state is already read for routing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import TelegramObject

from bot.transport.reply import Reply
from bot.ui.screens.common import keyboard_back

_REPLACING: set[str] = set()
_RESTORED = "keyboard_restored"
_ASKED = "keyboard_replaced"

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def replaces_keyboard(*states: State) -> None:
    """While the conversation is in one of these states, the keyboard under the chat is not the big buttons."""
    _REPLACING.update(state.state for state in states if state.state)


async def replaced(state: FSMContext) -> None:
    """The handler sent (again) the keyboard that replaces the big buttons: the step goes on."""
    await state.update_data({_ASKED: True})


async def restored(state: FSMContext) -> None:
    """The handler itself sent the big buttons (with its own message): nothing more to send. Outside a watched
    update the mark is dropped by the next watched one before its handler runs."""
    await state.update_data({_RESTORED: True})


class KeyboardKeeper(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        reply: Reply | None = data.get("reply")
        if data.get("raw_state") not in _REPLACING or state is None or reply is None:
            return await handler(event, data)
        await _take(state, _RESTORED, _ASKED)  # marks left by an earlier update say nothing about this one
        result = await handler(event, data)
        marks = await _take(state, _RESTORED, _ASKED)
        if _ASKED in marks and await state.get_state() in _REPLACING:
            return result  # the step asked again (a typed number, say): its keyboard stays
        if await state.get_state() in _REPLACING:
            await state.set_state(None)  # handled elsewhere (/help, an older message's button): the step is left
        if _RESTORED not in marks:
            await reply.send(keyboard_back())
        return result


async def _take(state: FSMContext, *keys: str) -> set[str]:
    """Which of these marks are set; they are removed."""
    stored = await state.get_data()
    present = [key for key in keys if key in stored]
    found = {key for key in present if stored.pop(key)}
    if present:
        await state.set_data(stored)
    return found
