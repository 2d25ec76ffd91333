"""The HTTP session to the Bot API, keeping aiogram's response classes alive.

aiogram validates every reply with `Response[method.__returning__]`. pydantic caches those generic classes
only weakly, so after a garbage collection the next call rebuilds one, which takes milliseconds; under load
that happened on about one call in seven. Holding each class once it exists keeps the cache warm.
"""
from __future__ import annotations

from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods.base import Response

_KEPT: dict[Any, type] = {}


class BotAPISession(AiohttpSession):
    def check_response(self, bot, method, status_code, content):  # type: ignore[no-untyped-def]
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[index]
        return super().check_response(bot, method, status_code, content)
