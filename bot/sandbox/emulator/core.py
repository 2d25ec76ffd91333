"""What every part of the emulator shares: the JSON type, Bot API limits and error texts, the error type."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

JsonDict = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

CALLBACK_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BOT_EVENT_KINDS = ("sent", "edited", "deleted", "callback_answer")
REPLY_EVENT_KINDS = ("sent", "edited")


class TelegramError(Exception):
    """An error answered to the bot in the Bot API error shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {text}")


class Signal:
    """Wakes every current waiter when fired; waits are always bounded."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None

    def fire(self) -> None:
        if self._future is not None:
            if not self._future.done():
                self._future.set_result(None)
            self._future = None

    async def wait(self, timeout: float) -> None:
        if timeout <= 0:
            return
        if self._future is None:
            self._future = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._future), timeout)
