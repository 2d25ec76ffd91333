"""Groups, supergroups and channels: members joining and leaving, the bot added or removed, anonymous admins,
channel posts."""

from __future__ import annotations

import time
from collections.abc import Iterable

from bot.sandbox.emulator.chats import GROUP_ANONYMOUS_BOT, GROUP_TYPES, ChatState, SimGroup
from bot.sandbox.emulator.core import JsonDict
from bot.sandbox.emulator.users import SimulatedUsers, text_content


class SimulatedGroups(SimulatedUsers):
    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        owner: int,
        members: Iterable[int] = (),
        type: str = "supergroup",
        username: str | None = None,
    ) -> ChatState:
        """A group (``type="group"``) or supergroup of simulated users; the bot is not in it yet.

        Ids are negative as on Telegram (supergroups look like -100…). No updates are sent:
        the bot learns of the group when it is added (``add_bot_to_chat``).
        """
        if type not in GROUP_TYPES:
            raise ValueError(f"a group is of type {' or '.join(GROUP_TYPES)}, not {type!r}")
        group = self._new_group(chat_id, type, title, username, owner)
        for user_id in members:
            self.user(user_id)
            group.members.setdefault(user_id, "member")
        return self._chats[chat_id]

    def add_channel(self, chat_id: int, title: str, *, owner: int, username: str | None = None) -> ChatState:
        """A channel owned by a simulated user; the bot is not in it yet."""
        self._new_group(chat_id, "channel", title, username, owner)
        return self._chats[chat_id]

    def _new_group(self, chat_id: int, chat_type: str, title: str, username: str | None, owner: int) -> SimGroup:
        if chat_id >= 0:
            raise ValueError(f"group and channel ids are negative, not {chat_id}")
        if chat_id in self._chats:
            raise ValueError(f"chat {chat_id} already exists")
        self.user(owner)
        group = SimGroup(chat_id, chat_type, title, username, members={owner: "creator"})
        self._chats[chat_id] = ChatState(group)
        return group

    def _group(self, chat_id: int) -> tuple[ChatState, SimGroup]:
        chat = self.chat(chat_id)
        if chat.group is None:
            raise ValueError(f"chat {chat_id} is a private chat, not a group or channel")
        return chat, chat.group

    # ------------------------------------------------------------------ the bot's membership

    def add_bot_to_chat(self, chat_id: int, *, by: int | None = None, admin: bool = False) -> JsonDict:
        """An administrator adds the bot: a ``my_chat_member`` update (returned), and in groups
        the service message with ``new_chat_members`` right after it.

        Channels take bots only as administrators. Called while the bot is in the chat, it
        promotes (``admin=True``) or demotes it: only the ``my_chat_member`` update.
        """
        chat, group = self._group(chat_id)
        adder = self.user(self._admin_id(group, by))
        old = group.bot_status
        group.bot_status = "administrator" if admin or group.type == "channel" else "member"
        update = self._my_chat_member(chat, adder.as_dict(), old=old, new=group.bot_status)
        if group.type != "channel" and old not in ("member", "administrator"):
            self._post(chat, {"from": adder.as_dict()}, {"new_chat_members": [self.bot_user]})
        return update

    def remove_bot_from_chat(self, chat_id: int, *, by: int | None = None) -> JsonDict:
        """An administrator removes the bot: in a basic group it has left, elsewhere it is banned."""
        chat, group = self._group(chat_id)
        remover = self.user(self._admin_id(group, by))
        old = group.bot_status
        group.bot_status = "left" if group.type == "group" else "kicked"
        return self._my_chat_member(chat, remover.as_dict(), old=old, new=group.bot_status)

    @staticmethod
    def _admin_id(group: SimGroup, by: int | None) -> int:
        if by is None:
            return next(uid for uid, status in group.members.items() if status == "creator")
        if group.members.get(by) not in ("creator", "administrator"):
            raise ValueError(f"user {by} is not an administrator of chat {group.id}")
        return by

    # ------------------------------------------------------------------ members

    def join_group(self, user_id: int, chat_id: int) -> JsonDict:
        """A user joins: the service message with ``new_chat_members``."""
        chat, group = self._group(chat_id)
        user = self.user(user_id)
        if group.type == "channel":
            raise ValueError("channel subscribers are not simulated; post with post_to_channel")
        if group.is_present(user_id):
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        group.members[user_id] = "member"
        return self._post(chat, {"from": user.as_dict()}, {"new_chat_members": [user.as_dict()]})

    def leave_group(self, user_id: int, chat_id: int) -> JsonDict:
        """A user leaves: the service message with ``left_chat_member``."""
        chat, group = self._group(chat_id)
        user = self.user(user_id)
        if not group.is_present(user_id):
            raise ValueError(f"user {user_id} is not in chat {chat_id}")
        group.members[user_id] = "left"
        return self._post(chat, {"from": user.as_dict()}, {"left_chat_member": user.as_dict()})

    def send_anonymous_admin(self, chat_id: int, text: str, *, author_signature: str | None = None) -> JsonDict:
        """A message from an administrator who posts as the group itself.

        ``from`` is Telegram's GroupAnonymousBot (id 1087968824) and ``sender_chat`` the group:
        the bot cannot know which administrator wrote it.
        """
        chat, group = self._group(chat_id)
        if group.type == "channel":
            raise ValueError("in a channel use post_to_channel")
        content = text_content(text)
        if author_signature:
            content["author_signature"] = author_signature
        return self._post(chat, {"from": GROUP_ANONYMOUS_BOT, "sender_chat": chat.chat_dict()}, content)

    # ------------------------------------------------------------------ channels

    def post_to_channel(self, chat_id: int, text: str, *, author_signature: str | None = None) -> JsonDict:
        """A ``channel_post``: ``sender_chat`` is the channel and there is no ``from``."""
        chat, group = self._group(chat_id)
        if group.type != "channel":
            raise ValueError(f"chat {chat_id} is a {group.type}, not a channel")
        content = text_content(text)
        if author_signature:
            content["author_signature"] = author_signature
        return self._post(chat, {"sender_chat": chat.chat_dict()}, content)

    def edit_channel_post(self, chat_id: int, message_id: int, text: str) -> JsonDict:
        """An ``edited_channel_post`` of a post made with ``post_to_channel``."""
        chat, group = self._group(chat_id)
        original = chat.incoming.get(message_id)
        if group.type != "channel" or original is None or "text" not in original:
            raise LookupError(f"channel {chat_id} has no text post {message_id}")
        edited = {k: v for k, v in original.items() if k not in ("text", "entities")}
        edited |= text_content(text) | {"edit_date": int(time.time())}
        return self._edit_incoming(chat, edited, "edited_channel_post")
