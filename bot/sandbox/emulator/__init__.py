"""In-memory Telegram Bot API server for tests, benchmarks and local manual testing.

An unmodified aiogram bot talks to it over HTTP exactly as it would talk to
api.telegram.org (``TelegramAPIServer.from_base(emu.base_url)``).  Simulated
users inject updates; everything the bot sends is recorded per chat so tests
can observe the conversation and wait for replies with bounded timeouts.

Modules, by concern:

* ``core``     the JSON type, Bot API limits and error texts, ``TelegramError``
* ``html``     Telegram's HTML subset parsed into text and entities (UTF-16 offsets)
* ``files``    stored files (uploads, and what users send), image sizes
* ``chats``    simulated users and chats, the bot's messages, chat events
* ``params``   request parameters from query strings, JSON and forms
* ``state``    the state the parts below share, declared once
* ``users``    what simulated users do: write, edit, share contacts, press buttons, block the bot
* ``groups``   groups, supergroups and channels: members, the bot added or removed, anonymous
               admins, channel posts; privacy mode decides what the bot receives
* ``methods``  the Bot API method table and handlers
* ``limits``   Telegram's flood limits (429 with retry_after) and server faults (5xx, slow answers)
* ``observe``  what tests read: messages, events, bounded waits, callback answers, counters
* ``server``   the aiohttp app, start/stop, file downloads, the update queue, getUpdates and webhooks,
               the settings of limits and faults
"""

from bot.sandbox.emulator.chats import (
    GROUP_ANONYMOUS_BOT,
    BotMessage,
    ChatEvent,
    ChatState,
    PendingCallback,
    SimGroup,
    SimUser,
)
from bot.sandbox.emulator.core import (
    CALLBACK_DATA_LIMIT,
    CALLBACK_EXPIRED,
    CAPTION_LIMIT,
    MAX_UPLOAD_BYTES,
    NOT_MODIFIED,
    TEXT_LIMIT,
    JsonDict,
    Signal,
    TelegramError,
    bad_request,
)
from bot.sandbox.emulator.files import TINY_PNG, FileStore, StoredFile
from bot.sandbox.emulator.html import HtmlParseError, parse_html, utf16_len
from bot.sandbox.emulator.limits import Faults, RateLimits, TooManyRequests
from bot.sandbox.emulator.observe import AcceptedSend, ApiStats, RefusedSend
from bot.sandbox.emulator.params import Params
from bot.sandbox.emulator.server import BotAPIEmulator

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "CALLBACK_EXPIRED",
    "CAPTION_LIMIT",
    "GROUP_ANONYMOUS_BOT",
    "MAX_UPLOAD_BYTES",
    "NOT_MODIFIED",
    "TEXT_LIMIT",
    "TINY_PNG",
    "AcceptedSend",
    "ApiStats",
    "BotAPIEmulator",
    "BotMessage",
    "ChatEvent",
    "ChatState",
    "Faults",
    "FileStore",
    "HtmlParseError",
    "JsonDict",
    "Params",
    "PendingCallback",
    "RateLimits",
    "RefusedSend",
    "Signal",
    "SimGroup",
    "SimUser",
    "StoredFile",
    "TelegramError",
    "TooManyRequests",
    "bad_request",
    "parse_html",
    "utf16_len",
]
