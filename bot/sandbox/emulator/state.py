"""The state the emulator's parts share, declared once.

``BotAPIEmulator`` (server.py) is assembled from one class per concern: what
simulated users do (users.py, and in groups and channels groups.py), the Bot API
methods (methods.py) and what tests observe (observe.py). Each of them works on the attributes declared here;
``BotAPIEmulator.__init__`` sets them all.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from bot.sandbox.emulator.chats import BotMessage, ChatState, PendingCallback, SimUser, chat_member
from bot.sandbox.emulator.core import JsonDict
from bot.sandbox.emulator.files import FileStore
from bot.sandbox.emulator.limits import Clock, FaultInjector, Faults, RateLimiter, RateLimits

if TYPE_CHECKING:  # observe.py builds on this module
    from bot.sandbox.emulator.observe import ApiStats


class EmulatorState:
    token: str | None
    bot_user: JsonDict
    callback_answer_timeout: float
    group_privacy: bool  # Telegram's privacy mode for groups, on by default as there
    limits: RateLimits  # Telegram's flood limits, read on every send
    faults: Faults  # 5xx answers and slow answers
    stats: ApiStats
    api_calls: Counter[str]  # the same counter as stats.calls
    body_types: Counter[str]  # how calls arrived: application/json, multipart/form-data…

    _users: dict[int, SimUser]
    _chats: dict[int, ChatState]
    _callbacks: dict[str, PendingCallback]
    _answers: dict[int, list[JsonDict]]
    _files: FileStore
    _commands: dict[str, list[JsonDict]]
    _menu_buttons: dict[int | None, JsonDict]
    _limiter: RateLimiter
    _fault_injector: FaultInjector
    _clock: Clock
    _closing: bool

    def _enqueue(self, body: JsonDict, deliver: bool = True) -> JsonDict:
        """Give an update the next update_id and queue it unless ``deliver`` is false (server.py)."""
        raise NotImplementedError

    def _my_chat_member(self, chat: ChatState, by: JsonDict, old: str, new: str) -> JsonDict:
        """The bot's own membership in a chat changed (blocked, unblocked, added, removed)."""
        update = {
            "chat": chat.chat_dict(),
            "from": by,
            "date": int(time.time()),
            "old_chat_member": chat_member(self.bot_user, old, chat.is_channel),
            "new_chat_member": chat_member(self.bot_user, new, chat.is_channel),
        }
        return self._enqueue({"my_chat_member": update})

    def chat(self, chat_id: int) -> ChatState:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"unknown chat {chat_id}; call add_user, add_group or add_channel first") from None

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        chat = self.chat(chat_id)
        try:
            return chat.bot_messages[message_id]
        except KeyError:
            raise LookupError(f"chat {chat_id} has no bot message {message_id}; it holds: {chat.describe()}") from None
