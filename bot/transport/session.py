"""The HTTP session to the Bot API: JSON both ways through orjson, and lean replies.

Three things cost more than the request itself when every button press makes two calls:

* aiogram posts every call as a form, each nested object JSON-encoded on its own; the Bot API takes a
  JSON body just as well, so calls without files go as one orjson document (files still go as a form);
* the Bot API echoes the whole inline keyboard back in every sent or edited message, and in the message
  of every button press; validating each button into a pydantic object costs more than the rest of the
  message. This bot never reads a keyboard it receives (its buttons carry their own data), so replies
  are validated without them;
* aiogram validates every reply with `Response[method.__returning__]`; pydantic caches those generic
  classes only weakly, so after a garbage collection the next call rebuilds one, which takes
  milliseconds. Holding each class once it exists keeps the cache warm.
"""

from __future__ import annotations

import datetime
from http import HTTPStatus
from typing import Any, cast

import orjson
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout
from pydantic import BaseModel

from bot.transport.flood import FloodControl

_KEPT: dict[Any, type[Response[Any]]] = {}
_JSON_HEADERS = {"Content-Type": "application/json"}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _without_keyboard(message: Any) -> None:
    if isinstance(message, dict):
        message.pop("reply_markup", None)


def drop_echoed_keyboards(result: Any) -> None:
    """Remove keyboards from a Bot API result in place: a message, True, or a list of updates."""
    if isinstance(result, dict):
        _without_keyboard(result)
    elif isinstance(result, list):
        for update in result:
            if isinstance(update, dict):
                query = update.get("callback_query")
                if isinstance(query, dict):
                    _without_keyboard(query.get("message"))


class _CarriesFiles(Exception):
    pass


class _JSONValue:
    """What orjson cannot encode by itself, encoded as aiogram's form encoder would."""

    def __init__(self, bot: Any) -> None:
        self._bot = bot

    def __call__(self, value: Any) -> Any:
        if isinstance(value, Default):
            return self(self._bot.default[value.name]) if self._bot.default[value.name] is not None else None
        if isinstance(value, InputFile):
            raise _CarriesFiles
        if isinstance(value, datetime.datetime):
            return round(value.timestamp())
        if isinstance(value, datetime.timedelta):
            return round((datetime.datetime.now() + value).timestamp())
        if isinstance(value, BaseModel):
            return value.model_dump(warnings=False, exclude_none=True)
        if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
            return value
        raise TypeError(f"cannot send {type(value).__name__} to the Bot API")


def response_class(returning: Any) -> type[Response[Any]]:
    kept = _KEPT.get(returning)
    if kept is None:
        kept = _KEPT[returning] = Response[returning]
    return kept


class BotAPISession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", orjson.loads)
        kwargs.setdefault("json_dumps", _dumps)
        super().__init__(**kwargs)

    def _json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as one JSON document, or None when it carries files (those need a form)."""
        payload = method.model_dump(warnings=False, exclude_none=True)
        for key, value in list(payload.items()):
            if isinstance(value, Default):  # the bot's default, or nothing at all (never a null)
                resolved = bot.default[value.name]
                if resolved is None:
                    del payload[key]
                else:
                    payload[key] = resolved
        try:
            return orjson.dumps(payload, default=_JSONValue(bot), option=orjson.OPT_PASSTHROUGH_DATETIME)
        except orjson.JSONEncodeError as error:
            if isinstance(error.__cause__, _CarriesFiles):
                return None
            raise

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        body = self._json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON_HEADERS,
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.read()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            raise TelegramNetworkError(method=method, message=f"{type(error).__name__}: {error}") from error
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str | bytes
    ) -> Response[TelegramType]:
        response_type = response_class(method.__returning__)
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            try:
                data = orjson.loads(content)
            except orjson.JSONDecodeError:
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                drop_echoed_keyboards(data.get("result"))
                return cast(Response[TelegramType], response_type.model_validate(data, context={"bot": bot}))
        # Errors and anything unexpected: aiogram's own checks and exceptions.
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return super().check_response(bot, method, status_code, content)


def install_middlewares(session: BaseSession, *inner: BaseRequestMiddleware) -> None:
    """Every request middleware of the bot's session, in one place, outermost first.

    Flood control (bot/transport/flood.py) comes first: its pacing and its waits on 429 then cover every try
    the middlewares inside it make (`inner`: retries of 5xx and timeouts, metrics; see bot.ops.bot_api).
    """
    session.middleware(FloodControl())
    for middleware in inner:
        session.middleware(middleware)
