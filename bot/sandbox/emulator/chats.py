"""Simulated users and chats: who is in a chat, the messages in it and the log of what happened there."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

from bot.sandbox.emulator.core import REPLY_EVENT_KINDS, JsonDict, Signal


@dataclass
class SimUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"
    phone_number: str | None = None
    blocked: bool = False  # the user blocked the bot: sends get 403
    deactivated: bool = False  # the account was deleted: sends get 403

    def as_dict(self) -> JsonDict:
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


# Telegram's user that stands for an administrator who posts as the group itself ("Remain anonymous").
GROUP_ANONYMOUS_BOT: JsonDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
GROUP_TYPES = ("group", "supergroup")
# Members who see the chat and may write in it; "left" and "kicked" are not in it any more.
PRESENT = frozenset({"creator", "administrator", "member"})


@dataclass
class SimGroup:
    """A group, supergroup or channel: its members by user id and the bot's own membership.

    Statuses are the Bot API's: creator, administrator, member, left, kicked.
    """

    id: int
    type: str  # "group", "supergroup" or "channel"
    title: str
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "left"

    def chat_dict(self) -> JsonDict:
        chat: JsonDict = {"id": self.id, "type": self.type, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def kind(self) -> str:
        """How Telegram's error texts name the chat: "group chat", "supergroup chat", "channel chat"."""
        return f"{self.type} chat"

    def is_present(self, user_id: int) -> bool:
        return self.members.get(user_id) in PRESENT


def chat_member(user: JsonDict, status: str, channel: bool = False) -> JsonDict:
    """A ChatMember object of the given status, with the fields the Bot API requires for it."""
    member: JsonDict = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "administrator":
        member |= {
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": False,
            "can_restrict_members": not channel,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_send_welcome_messages": False,
        }
        if channel:
            member |= {"can_post_messages": True, "can_edit_messages": True}
        else:
            member["can_pin_messages"] = True
    return member


@dataclass
class BotMessage:
    """A message the bot sent, in its current state after edits."""

    chat_id: int
    message_id: int
    data: JsonDict  # Bot API Message object; replaced (never mutated) on every edit
    markup: JsonDict | None = None  # reply_markup as sent, including reply keyboards
    edit_count: int = 0
    deleted: bool = False

    @property
    def text(self) -> str:
        return self.data.get("text") or self.data.get("caption") or ""

    @property
    def entities(self) -> list[JsonDict]:
        return self.data.get("entities") or self.data.get("caption_entities") or []

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        keyboard: list[list[JsonDict]] = (self.data.get("reply_markup") or {}).get("inline_keyboard", [])
        return keyboard

    @property
    def buttons(self) -> list[JsonDict]:
        return [button for row in self.inline_keyboard for button in row]

    def button(self, text: str) -> JsonDict:
        for button in self.buttons:
            if button.get("text") == text:
                return button
        labels = [b.get("text") for b in self.buttons]
        raise LookupError(
            f"message {self.message_id} in chat {self.chat_id} has no inline button {text!r}; buttons: {labels}"
        )

    def describe(self) -> str:
        text = self.text.replace("\n", " ")
        text = text if len(text) <= 60 else text[:57] + "..."
        flags = []
        if self.edit_count:
            flags.append(f"edited {self.edit_count}x")
        if self.deleted:
            flags.append("deleted")
        if self.buttons:
            flags.append(f"buttons={[b.get('text') for b in self.buttons]}")
        suffix = f" ({', '.join(flags)})" if flags else ""
        return f"#{self.message_id} {text!r}{suffix}"


@dataclass
class ChatEvent:
    """One entry of a chat's log.

    ``message`` is the message snapshot at the time of the event: bot messages
    are replaced on edit, so earlier events keep their earlier state.
    Kinds: incoming (a message from a user or channel), incoming_edited (one of them edited),
    sent, edited, deleted (by the bot), callback_answer.
    """

    index: int
    kind: str
    message_id: int | None
    message: JsonDict | None = None
    answer: JsonDict | None = None
    at: float = field(default_factory=time.time)


class ChatState:
    """Everything the emulator knows about one chat: a user's private chat, a group or a channel."""

    def __init__(self, peer: SimUser | SimGroup) -> None:
        self.user = peer if isinstance(peer, SimUser) else None  # private chats only
        self.group = peer if isinstance(peer, SimGroup) else None  # groups, supergroups and channels
        self.started = False  # Telegram only lets a bot write to users who wrote first
        self.bot_messages: dict[int, BotMessage] = {}
        self.incoming: dict[int, JsonDict] = {}
        self.deleted_incoming: set[int] = set()
        self.events: list[ChatEvent] = []
        self.changed = Signal()
        self.reply_waiters: list[asyncio.Future[BotMessage]] = []
        self.keyboard: JsonDict | None = None  # the reply keyboard currently shown
        self.chat_instance = str(secrets.randbits(63))
        self._last_message_id = 0

    @property
    def chat_id(self) -> int:
        return self.group.id if self.group is not None else self._peer_user.id

    @property
    def type(self) -> str:
        return self.group.type if self.group is not None else "private"

    @property
    def username(self) -> str | None:
        return self.group.username if self.group is not None else self._peer_user.username

    @property
    def is_channel(self) -> bool:
        return self.group is not None and self.group.type == "channel"

    def chat_dict(self) -> JsonDict:
        """The Bot API Chat object of this chat."""
        return self.group.chat_dict() if self.group is not None else self._peer_user.chat_dict()

    @property
    def _peer_user(self) -> SimUser:
        if self.user is None:  # never: a ChatState is made with a user or a group
            raise AssertionError("chat without user or group")
        return self.user

    def next_message_id(self) -> int:
        self._last_message_id += 1
        return self._last_message_id

    def find_message(self, message_id: int) -> JsonDict | None:
        bot_message = self.bot_messages.get(message_id)
        if bot_message is not None:
            return None if bot_message.deleted else bot_message.data
        if message_id in self.deleted_incoming:
            return None
        return self.incoming.get(message_id)

    def describe(self) -> str:
        if not self.bot_messages:
            return "no bot messages"
        return "; ".join(m.describe() for m in list(self.bot_messages.values())[-8:])

    def record(
        self,
        kind: str,
        message_id: int | None,
        message: JsonDict | None = None,
        answer: JsonDict | None = None,
    ) -> None:
        """Append an event to the chat's log and wake whoever waits on this chat."""
        self.events.append(ChatEvent(len(self.events), kind, message_id, message, answer))
        self.changed.fire()
        if kind in REPLY_EVENT_KINDS and self.reply_waiters and message_id is not None:
            waiters, self.reply_waiters = self.reply_waiters, []
            bot_message = self.bot_messages[message_id]
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(bot_message)


@dataclass
class PendingCallback:
    """A button press the bot has not answered yet."""

    user_id: int
    chat_id: int
    message_id: int
    created: float
