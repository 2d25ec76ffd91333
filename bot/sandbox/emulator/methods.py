"""The Bot API methods the emulator answers, with Telegram's error texts."""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp.web_request import FileField

from bot.sandbox.emulator.chats import BotMessage, ChatState, chat_member
from bot.sandbox.emulator.core import (
    CALLBACK_DATA_LIMIT,
    CALLBACK_EXPIRED,
    CAPTION_LIMIT,
    CHAT_ACTIONS,
    NOT_MODIFIED,
    TEXT_LIMIT,
    JsonDict,
    TelegramError,
    bad_request,
)
from bot.sandbox.emulator.files import StoredFile
from bot.sandbox.emulator.html import HtmlParseError, parse_html
from bot.sandbox.emulator.limits import TooManyRequests
from bot.sandbox.emulator.observe import AcceptedSend, RefusedSend
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.state import EmulatorState

Handler = Callable[[Params], Any]


class BotMethods(EmulatorState):
    def _bot_methods(self) -> dict[str, Handler]:
        """Every method but getUpdates and the webhook ones (server.py), by its Bot API name."""
        return {
            "getMe": self._get_me,
            "logOut": self._ok,
            "close": self._ok,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendDocument": lambda p: self._send_media(p, "document"),
            "sendPhoto": lambda p: self._send_media(p, "photo"),
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
        }

    # ------------------------------------------------------------------ simple methods

    def _ok(self, _: Params) -> bool:
        return True

    def _get_me(self, _: Params) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.group_privacy,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _commands_key(p: Params) -> str:
        scope = p.json("scope") or {"type": "default"}
        return json.dumps([scope, p.str("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, p: Params) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands are invalid")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be non-empty")
        self._commands[self._commands_key(p)] = commands
        return True

    def _get_my_commands(self, p: Params) -> list[JsonDict]:
        return self._commands.get(self._commands_key(p), [])

    def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _set_chat_menu_button(self, p: Params) -> bool:
        self._menu_buttons[p.int("chat_id")] = p.json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, p: Params) -> JsonDict:
        chat_id = p.int("chat_id")
        return self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "commands"}

    def _get_chat(self, p: Params) -> JsonDict:
        chat = self._known_chat(p)
        return {
            **chat.chat_dict(),
            "accent_color_id": chat.chat_id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, p: Params) -> JsonDict:
        chat = self._known_chat(p)
        user_id = p.int("user_id")
        if user_id is None:
            raise bad_request("invalid user_id specified")
        if user_id == self.bot_user["id"]:
            status = chat.group.bot_status if chat.group is not None else "member"
            return chat_member(self.bot_user, status, chat.is_channel)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.group is not None:
            return chat_member(user.as_dict(), chat.group.members.get(user_id, "left"), chat.is_channel)
        if user_id != chat.chat_id:
            raise bad_request("user not found")
        return chat_member(user.as_dict(), "member")

    def _leave_chat(self, p: Params) -> bool:
        chat = self._known_chat(p)
        group = chat.group
        if group is None:
            raise bad_request("chat member status can't be changed in private chats")
        if group.bot_status not in ("member", "administrator"):
            raise TelegramError(403, f"Forbidden: bot is not a member of the {group.kind}")
        old, group.bot_status = group.bot_status, "left"
        self._my_chat_member(chat, self.bot_user, old=old, new="left")
        return True

    def _get_file(self, p: Params) -> JsonDict:
        stored = self._files.get(p.str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.file_object()

    def _send_chat_action(self, p: Params) -> bool:
        self._writable_chat(p)
        if p.str("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # ------------------------------------------------------------------ chat lookup

    def _known_chat(self, p: Params) -> ChatState:
        raw = p.str("chat_id")
        if not raw:
            raise bad_request("chat_id is empty")
        chat: ChatState | None = None
        if raw.startswith("@"):
            chat = next((c for c in self._chats.values() if c.username == raw[1:]), None)
        elif raw.lstrip("-").isdigit():
            chat = self._chats.get(int(raw))
        if chat is None or (chat.user is not None and not chat.started):
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: Params) -> ChatState:
        chat = self._known_chat(p)
        if chat.user is not None and chat.user.deactivated:
            raise TelegramError(403, "Forbidden: user is deactivated")
        if chat.user is not None and chat.user.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        group = chat.group
        if group is not None:
            if group.bot_status == "kicked":
                raise TelegramError(403, f"Forbidden: bot was kicked from the {group.kind}")
            if group.bot_status not in ("member", "administrator"):
                raise TelegramError(403, f"Forbidden: bot is not a member of the {group.kind}")
            if group.type == "channel" and group.bot_status != "administrator":
                raise bad_request(f"need administrator rights in the {group.kind}")
        return chat

    def _check_rate(self, chat: ChatState, p: Params, method: str) -> None:
        """Admit a send under Telegram's limits (when on) and log it, or answer 429."""
        now = self._clock()
        paid = p.bool("allow_paid_broadcast")
        if self.limits.enabled:
            beyond_free = paid and self._limiter.over_free_rate(now)
            try:
                self._limiter.admit(chat.chat_id, chat.group is not None, paid, now)
            except TooManyRequests as limited:
                self.stats.rate_limited[limited.scope] += 1
                self.stats.rate_limited_chats[chat.chat_id] += 1
                self.stats.refused.append(
                    RefusedSend(now, chat.chat_id, method, limited.scope, limited.retry_after or 0)
                )
                raise
            if beyond_free:
                self.stats.paid_sends += 1
        self.stats.sends.append(AcceptedSend(now, chat.chat_id, method, paid))

    # ------------------------------------------------------------------ sending

    def _formatted(self, p: Params, name: str, entities_name: str, limit: int) -> tuple[str, list[JsonDict]]:
        raw = p.str(name) or ""
        parse_mode = (p.str("parse_mode") or "").lower()
        # Only HTML is parsed; Markdown modes keep the text verbatim, without entities.
        if parse_mode == "html":
            try:
                text, entities = parse_html(raw)
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        else:
            text, entities = raw, p.json(entities_name) or []
        if len(text) > limit:
            raise bad_request("message caption is too long" if name == "caption" else "message is too long")
        return text, entities

    def _message_text(self, p: Params) -> tuple[str, list[JsonDict]]:
        text, entities = self._formatted(p, "text", "entities", TEXT_LIMIT)
        if not text.strip():
            raise bad_request("message text is empty")
        return text, entities

    def _reply_markup(self, p: Params, inline_only: bool = False) -> JsonDict | None:
        markup = p.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if inline_only and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        for row in markup.get("inline_keyboard", ()):
            for button in row:
                _check_inline_button(button)
        return markup

    def _reply_target(self, chat: ChatState, p: Params) -> JsonDict | None:
        reply = p.json("reply_parameters") or {}
        message_id = reply.get("message_id") if reply else p.int("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.find_message(int(message_id))
        if target is None:
            if reply.get("allow_sending_without_reply") or p.bool("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _new_message(self, chat: ChatState, reply_to: JsonDict | None, markup: JsonDict | None) -> JsonDict:
        data: JsonDict = {"message_id": chat.next_message_id()}
        if chat.is_channel:  # posts in a channel are signed by the channel, not by the bot
            data["sender_chat"] = chat.chat_dict()
        else:
            data["from"] = self.bot_user
        data["chat"] = chat.chat_dict()
        data["date"] = int(time.time())
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        inline = _inline_markup(markup)
        if inline is not None:
            data["reply_markup"] = inline
        return data

    def _store_sent(self, chat: ChatState, data: JsonDict, markup: JsonDict | None) -> JsonDict:
        message = BotMessage(chat.chat_id, data["message_id"], data, markup)
        chat.bot_messages[message.message_id] = message
        if markup is not None:
            if "keyboard" in markup:
                chat.keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.keyboard = None
        chat.record("sent", message.message_id, data)
        return data

    def _send_message(self, p: Params) -> JsonDict:
        chat = self._writable_chat(p)
        text, entities = self._message_text(p)
        markup = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        self._check_rate(chat, p, "sendMessage")
        data = self._new_message(chat, reply_to, markup)
        data["text"] = text
        if entities:
            data["entities"] = entities
        return self._store_sent(chat, data, markup)

    def _send_media(self, p: Params, kind: str) -> JsonDict:
        chat = self._writable_chat(p)
        caption, entities = self._formatted(p, "caption", "caption_entities", CAPTION_LIMIT)
        markup = self._reply_markup(p)
        reply_to = self._reply_target(chat, p)
        stored = self._input_file(p, kind)
        self._check_rate(chat, p, "sendDocument" if kind == "document" else "sendPhoto")
        data = self._new_message(chat, reply_to, markup)
        data[kind] = stored.document() if kind == "document" else stored.photo_sizes()
        if caption:
            data["caption"] = caption
            if entities:
                data["caption_entities"] = entities
        return self._store_sent(chat, data, markup)

    def _input_file(self, p: Params, kind: str) -> StoredFile:
        value = p.file(kind)
        if isinstance(value, FileField):
            data = value.file.read()
            if not data:
                raise bad_request("file must be non-empty")
            mime = mimetypes.guess_type(value.filename or "")[0]
            folder = "photos" if kind == "photo" else "documents"
            return self._files.store(data, value.filename, mime, folder)
        if not value:
            raise bad_request(f"there is no {kind} in the request")
        stored = self._files.get(value)
        if stored is not None:
            return stored
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ editing and deleting

    def _editable(self, p: Params) -> tuple[ChatState, BotMessage]:
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.bot_messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.incoming and message_id not in chat.deleted_incoming:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat, message

    def _store_edit(self, chat: ChatState, message: BotMessage, changes: JsonDict, markup: JsonDict | None) -> JsonDict:
        current = {k: v for k, v in message.data.items() if k != "edit_date"}
        data = {k: v for k, v in current.items() if k not in changes}
        data.update({k: v for k, v in changes.items() if v})  # empty values drop the field
        if data == current:
            raise bad_request(NOT_MODIFIED)
        data["edit_date"] = int(time.time())
        message.data = data
        message.markup = markup
        message.edit_count += 1
        chat.record("edited", message.message_id, data)
        return data

    def _edit_message_text(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        if "text" not in message.data:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._message_text(p)
        markup = self._reply_markup(p, inline_only=True)
        changes = {"text": text, "entities": entities, "reply_markup": _inline_markup(markup)}
        return self._store_edit(chat, message, changes, markup)

    def _edit_message_caption(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        if "text" in message.data:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._formatted(p, "caption", "caption_entities", CAPTION_LIMIT)
        markup = self._reply_markup(p, inline_only=True)
        changes = {
            "caption": caption,
            "caption_entities": entities,
            "reply_markup": _inline_markup(markup),
        }
        return self._store_edit(chat, message, changes, markup)

    def _edit_message_reply_markup(self, p: Params) -> JsonDict:
        chat, message = self._editable(p)
        markup = self._reply_markup(p, inline_only=True)
        return self._store_edit(chat, message, {"reply_markup": _inline_markup(markup)}, markup)

    def _delete_message(self, p: Params) -> bool:
        chat = self._known_chat(p)
        message_id = p.int("message_id")
        message = chat.bot_messages.get(message_id) if message_id is not None else None
        if message is not None and not message.deleted:
            message.deleted = True
        elif message_id in chat.incoming and message_id not in chat.deleted_incoming:
            if chat.group is not None and chat.group.bot_status != "administrator":
                raise bad_request("message can't be deleted")
            chat.deleted_incoming.add(message_id)
        else:
            raise bad_request("message to delete not found")
        chat.record("deleted", message_id)
        return True

    # ------------------------------------------------------------------ callbacks

    def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.str("callback_query_id") or ""
        pending = self._callbacks.pop(query_id, None)
        if pending is None or time.monotonic() - pending.created > self.callback_answer_timeout:
            raise bad_request(CALLBACK_EXPIRED)
        answer = {
            "callback_query_id": query_id,
            "message_id": pending.message_id,
            "text": p.str("text"),
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
        }
        self._answers.setdefault(pending.user_id, []).append(answer)
        self._chats[pending.chat_id].record("callback_answer", pending.message_id, answer=answer)
        return True


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("BUTTON_TEXT_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    elif len(button) == 1:
        raise bad_request("text buttons are unallowed in the inline keyboard")


def _inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """The part of reply_markup Telegram echoes back in Message objects."""
    if not markup or not markup.get("inline_keyboard"):
        return None
    return {"inline_keyboard": markup["inline_keyboard"]}
