"""What simulated users do: write (in private or in a group), edit, share contacts, press buttons, block the bot."""

from __future__ import annotations

import secrets
import time

from bot.sandbox.emulator.chats import ChatState, PendingCallback, SimUser
from bot.sandbox.emulator.core import JsonDict
from bot.sandbox.emulator.files import TINY_PNG
from bot.sandbox.emulator.html import COMMAND, parse_html, utf16_len
from bot.sandbox.emulator.state import EmulatorState

# Message fields that make a service message; bots receive these in groups whatever their privacy mode.
SERVICE_FIELDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
    }
)


class SimulatedUsers(EmulatorState):
    # ------------------------------------------------------------------ users

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
        phone_number: str | None = None,
        *,
        started: bool = False,
        blocked: bool = False,
        deactivated: bool = False,
    ) -> SimUser:
        """A simulated user and their private chat with the bot; no update is sent.

        ``started``: the user wrote to the bot before, so the bot may message them (a broadcast
        audience). ``blocked`` and ``deactivated`` start them in that state (sends get 403).
        """
        if user_id in self._users:
            raise ValueError(f"user {user_id} already exists")
        user = SimUser(user_id, first_name, last_name, username, language_code, phone_number, blocked, deactivated)
        self._users[user_id] = user
        chat = self._chats[user_id] = ChatState(user)
        chat.started = started
        return user

    def user(self, user_id: int) -> SimUser:
        try:
            return self._users[user_id]
        except KeyError:
            raise LookupError(f"unknown simulated user {user_id}; call add_user first") from None

    def users(self) -> list[SimUser]:
        return list(self._users.values())

    def block(self, user_id: int) -> JsonDict:
        """Mark the bot as blocked by the user and deliver my_chat_member like Telegram."""
        user = self.user(user_id)
        user.blocked = True
        return self._my_chat_member(self._chats[user_id], user.as_dict(), old="member", new="kicked")

    def unblock(self, user_id: int) -> JsonDict:
        user = self.user(user_id)
        user.blocked = False
        return self._my_chat_member(self._chats[user_id], user.as_dict(), old="kicked", new="member")

    def deactivate(self, user_id: int, deactivated: bool = True) -> SimUser:
        """The user deleted their account: sends get 403 "user is deactivated". Telegram sends no update."""
        user = self.user(user_id)
        user.deactivated = deactivated
        return user

    # ------------------------------------------------------------------ messages

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JsonDict:
        """A text from the user, in their private chat or (``chat_id``) in a group they are in.

        In a group the bot receives it only where Telegram would deliver it: see ``_reaches_bot``.
        ``reply_to`` makes it a reply to that message of the chat.
        """
        return self._incoming(user_id, text_content(text), chat_id, reply_to)

    def send_contact(
        self,
        user_id: int,
        phone_number: str | None = None,
        own: bool = True,
        other_user_id: int | None = None,
    ) -> JsonDict:
        """Share a contact; ``own=True`` is the request_contact button flow."""
        user = self.user(user_id)
        phone = phone_number or user.phone_number
        if not phone:
            raise ValueError(f"user {user_id} has no phone number to share")
        contact: JsonDict = {
            "phone_number": phone,
            "first_name": user.first_name if own else "Other",
            "user_id": user_id if own else (other_user_id or user_id + 1),
        }
        if own and user.last_name:
            contact["last_name"] = user.last_name
        return self._incoming(user_id, {"contact": contact})

    def send_contact_card(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        vcard: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """Share someone else's contact card from the phone book, as the paperclip menu does.

        ``contact_user_id`` is set only when that person is a Telegram user the sender knows.
        """
        contact: JsonDict = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        if vcard:
            contact["vcard"] = vcard
        return self._incoming(user_id, {"contact": contact}, chat_id)

    def send_sticker(self, user_id: int, emoji: str = "👍", *, chat_id: int | None = None) -> JsonDict:
        stored = self._files.store(TINY_PNG, "sticker.webp", "image/webp", "stickers")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "SandboxStickers",
            "file_size": len(stored.data),
        }
        return self._incoming(user_id, {"sticker": sticker}, chat_id)

    def send_photo_from_user(
        self,
        user_id: int,
        data: bytes = TINY_PNG,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        caption_html: bool = False,
    ) -> JsonDict:
        """A photo; ``caption_html`` reads the caption as Telegram HTML, as a client's formatting would be."""
        stored = self._files.store(data, None, "image/jpeg", "photos")
        content: JsonDict = {"photo": stored.photo_sizes()}
        content |= _caption(caption, caption_html)
        return self._incoming(user_id, content, chat_id)

    def send_document_from_user(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
        caption_html: bool = False,
    ) -> JsonDict:
        """A file sent from the paperclip menu."""
        stored = self._files.store(data, file_name, mime_type, "documents")
        content: JsonDict = {"document": stored.document()}
        content |= _caption(caption, caption_html)
        return self._incoming(user_id, content, chat_id)

    def send_formatted(self, user_id: int, html: str, *, chat_id: int | None = None) -> JsonDict:
        """A text the user formatted in their app (bold, links…), written as Telegram HTML: the bot receives the
        plain text with its entities, as from a real client."""
        text, entities = parse_html(html)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._incoming(user_id, content, chat_id)

    def send_entities(
        self, user_id: int, text: str, entities: list[JsonDict], *, chat_id: int | None = None
    ) -> JsonDict:
        """A text with entities given as they are (e.g. a custom emoji or a spoiler, which HTML cannot say here)."""
        return self._incoming(user_id, {"text": text, "entities": entities}, chat_id)

    def forward_from(self, user_id: int, author_id: int, text: str, *, hidden: bool = False) -> JsonDict:
        """The user forwards a text that ``author_id`` wrote. ``hidden``: the author hides their account when
        forwarded (a privacy setting), so only their name comes along."""
        author = self.user(author_id)
        origin: JsonDict = (
            {"type": "hidden_user", "date": int(time.time()), "sender_user_name": author.first_name}
            if hidden
            else {"type": "user", "date": int(time.time()), "sender_user": author.as_dict()}
        )
        return self._incoming(user_id, {"text": text, "forward_origin": origin})

    def edit_text(self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None) -> JsonDict:
        """The user edits a text they sent: an ``edited_message`` update with ``edit_date``."""
        chat = self._chat_of(user_id, chat_id)
        original = chat.incoming.get(message_id)
        if original is None or message_id in chat.deleted_incoming or "text" not in original:
            raise LookupError(f"chat {chat.chat_id} has no text message {message_id} from a user")
        if (original.get("from") or {}).get("id") != user_id:
            raise ValueError(f"message {message_id} in chat {chat.chat_id} was not sent by user {user_id}")
        edited = {k: v for k, v in original.items() if k not in ("text", "entities")}
        edited |= text_content(text) | {"edit_date": int(time.time())}
        return self._edit_incoming(chat, edited, "edited_message")

    # ------------------------------------------------------------------ buttons

    def press(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        forged: bool = False,
    ) -> JsonDict:
        """Deliver a callback_query for a bot message; the data is not checked on purpose.

        ``chat_id`` is the chat holding the message (the user's private chat unless given): any
        member may press a button in a group. Telegram never shows a private chat's buttons to
        anyone else, so a press by another user there needs ``forged=True``: a forged update.
        """
        user = self.user(user_id)
        chat = self.chat(user_id if chat_id is None else chat_id)
        if not forged:
            self._check_can_press(user, chat)
        message = chat.bot_messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"chat {chat.chat_id} has no live bot message {message_id}; it holds: {chat.describe()}")
        return self._callback_query(user, chat, message_id, message.data, callback_data)

    def press_button(self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None) -> JsonDict:
        message = self.message(user_id if chat_id is None else chat_id, message_id)
        button = message.button(text)
        if "callback_data" not in button:
            raise LookupError(f"inline button {text!r} has no callback_data: {button}")
        return self.press(user_id, message_id, button["callback_data"], chat_id=chat_id)

    def press_inaccessible(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
    ) -> JsonDict:
        """A press on a message the bot can no longer reach (deleted, or too old).

        Telegram then sends ``callback_query.message`` as an InaccessibleMessage: only the chat,
        the message id and ``date`` 0. The message need not exist in the emulator.
        """
        user = self.user(user_id)
        chat = self.chat(user_id if chat_id is None else chat_id)
        inaccessible = {"chat": chat.chat_dict(), "message_id": message_id, "date": 0}
        return self._callback_query(user, chat, message_id, inaccessible, callback_data)

    def _check_can_press(self, user: SimUser, chat: ChatState) -> None:
        if chat.group is None and chat.chat_id != user.id:
            raise ValueError(
                f"user {user.id} cannot see buttons in the private chat of user {chat.chat_id}; "
                "pass forged=True to inject such an update anyway"
            )
        if chat.group is not None and chat.group.type != "channel" and not chat.group.is_present(user.id):
            raise ValueError(f"user {user.id} is not a member of chat {chat.chat_id}; pass forged=True to inject it")

    def _callback_query(
        self,
        user: SimUser,
        chat: ChatState,
        message_id: int,
        message: JsonDict,
        callback_data: str,
    ) -> JsonDict:
        query_id = str(secrets.randbits(63))
        self._callbacks[query_id] = PendingCallback(user.id, chat.chat_id, message_id, time.monotonic())
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "message": message,
            "chat_instance": chat.chat_instance,
            "data": callback_data,
        }
        return self._enqueue({"callback_query": query})

    # ------------------------------------------------------------------ delivery

    def _chat_of(self, user_id: int, chat_id: int | None) -> ChatState:
        """The chat a user writes in: their private chat, or a group they are a member of."""
        self.user(user_id)
        if chat_id is None or chat_id == user_id:
            return self._chats[user_id]
        chat = self.chat(chat_id)
        if chat.group is None:
            raise ValueError(f"user {user_id} cannot write in the private chat of user {chat_id}")
        if chat.is_channel:
            raise ValueError(f"chat {chat_id} is a channel: use post_to_channel")
        if not chat.group.is_present(user_id):
            raise ValueError(f"user {user_id} is not a member of chat {chat_id}; call join_group first")
        return chat

    def _incoming(
        self,
        user_id: int,
        content: JsonDict,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JsonDict:
        chat = self._chat_of(user_id, chat_id)
        chat.started = True
        return self._post(chat, {"from": self.user(user_id).as_dict()}, content, reply_to)

    def _post(self, chat: ChatState, sender: JsonDict, content: JsonDict, reply_to: int | None = None) -> JsonDict:
        """A new message in the chat from ``sender`` (its from and/or sender_chat fields)."""
        message: JsonDict = {"message_id": chat.next_message_id(), **sender, "chat": chat.chat_dict()}
        message["date"] = int(time.time())
        if reply_to is not None:
            target = chat.find_message(reply_to)
            if target is None:
                raise LookupError(f"chat {chat.chat_id} has no message {reply_to} to reply to")
            message["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        message |= content
        chat.incoming[message["message_id"]] = message
        chat.record("incoming", message["message_id"], message)
        update_type = "channel_post" if chat.is_channel else "message"
        return self._enqueue({update_type: message}, deliver=self._reaches_bot(chat, message))

    def _edit_incoming(self, chat: ChatState, edited: JsonDict, update_type: str) -> JsonDict:
        chat.incoming[edited["message_id"]] = edited  # replaced, so earlier events keep the earlier state
        chat.record("incoming_edited", edited["message_id"], edited)
        return self._enqueue({update_type: edited}, deliver=self._reaches_bot(chat, edited))

    def _reaches_bot(self, chat: ChatState, message: JsonDict) -> bool:
        """Whether Telegram delivers this message to the bot.

        Private chats: always. Channels: only to an administrator bot. Groups: only while the bot
        is in them, and in privacy mode (Telegram's default; see ``group_privacy``) only commands
        (``/cmd`` or ``/cmd@this_bot``), replies to the bot's messages and service messages,
        unless the bot is an administrator there.
        """
        group = chat.group
        if group is None:
            return True
        if group.type == "channel":
            return group.bot_status == "administrator"
        if group.bot_status not in ("member", "administrator"):
            return False
        if not self.group_privacy or group.bot_status == "administrator" or SERVICE_FIELDS & message.keys():
            return True
        reply = message.get("reply_to_message") or {}
        if (reply.get("from") or {}).get("id") == self.bot_user["id"]:
            return True
        command = COMMAND.match(message.get("text") or message.get("caption") or "")
        if command is None:
            return False
        addressee = command.group(0).partition("@")[2]
        return not addressee or addressee.lower() == str(self.bot_user.get("username", "")).lower()


def _caption(caption: str | None, html: bool) -> JsonDict:
    if not caption:
        return {}
    if not html:
        return {"caption": caption}
    text, entities = parse_html(caption)
    return {"caption": text, "caption_entities": entities} if entities else {"caption": text}


def text_content(text: str) -> JsonDict:
    content: JsonDict = {"text": text}
    command = COMMAND.match(text)
    if command:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]
    return content
