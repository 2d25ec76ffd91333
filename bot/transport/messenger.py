"""The delivery room's messenger for Telegram: a view to a chat, and every Bot API answer as an Outcome.

    403 (blocked, deactivated, never started)    Blocked
    429 with retry_after                         RetryAfter (the worker pauses every sender)
    5xx, network failures and timeouts           Failed, transient (tried again with backoff)
    any other refusal (400 chat not found…)      Failed, with Telegram's description as the reason

With `paid`, every send carries allow_paid_broadcast: Telegram then allows up to 1,000 messages a second and
charges Stars for those above the free rate. A file sent to many (ReusableAttachment) is uploaded once per
process and sent by its file_id afterwards.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.delivery.records import Blocked, ChannelLimits, Delivered, Failed, Outcome, RetryAfter, ReusableAttachment
from bot.domain.platforms import TELEGRAM
from bot.transport.telegram import inline_markup, reply_markup
from bot.ui.view import Attachment, View

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
NOT_MODIFIED = "message is not modified"
UPLOADS_REMEMBERED = 256


class TelegramMessenger:
    def __init__(self, bot: Bot, limits: ChannelLimits, paid: bool = False) -> None:
        self._bot = bot
        self._limits = limits
        self._paid = paid
        self._file_ids: dict[str, str] = {}  # ReusableAttachment.key -> Telegram file_id
        self._uploading: dict[str, asyncio.Lock] = {}

    @property
    def channel(self) -> str:
        return TELEGRAM

    async def close(self) -> None:
        await self._bot.session.close()

    @property
    def limits(self) -> ChannelLimits:
        return self._limits

    async def send(self, chat_id: str, view: View) -> Outcome:
        try:
            message = await self._send(chat_id, view)
        except Exception as error:
            return _outcome(error)
        return Delivered(str(message.message_id))

    async def edit(self, chat_id: str, message_id: str, view: View) -> Outcome:
        try:
            await self._bot.edit_message_text(
                text=view.text, chat_id=chat_id, message_id=int(message_id), reply_markup=inline_markup(view)
            )
        except TelegramBadRequest as error:
            if NOT_MODIFIED in error.message:
                return Delivered(message_id)
            return _outcome(error)
        except Exception as error:
            return _outcome(error)
        return Delivered(message_id)

    async def _send(self, chat_id: str, view: View) -> Message:
        attachment = view.attachment
        markup = reply_markup(view)
        paid = True if self._paid else None
        if attachment is None:
            return await self._bot.send_message(chat_id, view.text, reply_markup=markup, allow_paid_broadcast=paid)
        caption = attachment.caption or view.text or None
        key = attachment.key if isinstance(attachment, ReusableAttachment) else ""
        lock = self._uploading.setdefault(key, asyncio.Lock()) if key else None
        if lock is None:
            return await self._send_file(chat_id, attachment.kind, self._upload(attachment), caption, markup, paid)
        async with lock:  # the first send of a file uploads it; the others wait for its file_id
            known = self._file_ids.get(key)
            if known is None:
                message = await self._send_file(
                    chat_id, attachment.kind, self._upload(attachment), caption, markup, paid
                )
                self._remember(key, message)
                return message
        return await self._send_file(chat_id, attachment.kind, known, caption, markup, paid)

    @staticmethod
    def _upload(attachment: Attachment) -> BufferedInputFile:
        return BufferedInputFile(attachment.data, filename=attachment.filename)

    async def _send_file(
        self,
        chat_id: str,
        kind: str,
        file: BufferedInputFile | str,
        caption: str | None,
        markup: Markup,
        paid: bool | None,
    ) -> Message:
        if kind == "photo":
            return await self._bot.send_photo(
                chat_id, file, caption=caption, reply_markup=markup, allow_paid_broadcast=paid
            )
        return await self._bot.send_document(
            chat_id, file, caption=caption, reply_markup=markup, allow_paid_broadcast=paid
        )

    def _remember(self, key: str, message: Message) -> None:
        file_id = None
        if message.photo:
            file_id = message.photo[-1].file_id
        elif message.document is not None:
            file_id = message.document.file_id
        if file_id is None:
            return
        self._file_ids[key] = file_id
        while len(self._file_ids) > UPLOADS_REMEMBERED:
            oldest = next(iter(self._file_ids))
            del self._file_ids[oldest]
            self._uploading.pop(oldest, None)


def _outcome(error: Exception) -> Outcome:
    if isinstance(error, TelegramRetryAfter):
        return RetryAfter(float(error.retry_after))
    if isinstance(error, TelegramForbiddenError):
        return Blocked(_reason(error))
    if isinstance(error, TelegramServerError):
        return Failed(f"server error: {_reason(error)}", transient=True)
    if isinstance(error, TelegramNetworkError | asyncio.TimeoutError | OSError):
        return Failed(f"network: {error}", transient=True)
    if isinstance(error, TelegramAPIError):
        return Failed(_reason(error), transient=False)
    raise error


def _reason(error: TelegramAPIError) -> str:
    return error.message.removeprefix("Telegram server says - ")
