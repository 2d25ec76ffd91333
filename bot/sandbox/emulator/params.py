"""Bot API request parameters, read the same way from a query string, a JSON body or a (multipart) form."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.sandbox.emulator.core import bad_request


class Params:
    """Request parameters from a query string, JSON body or (multipart) form.

    Form values are always strings; typed accessors decode them the way the
    Bot API does, so JSON bodies and form posts behave the same.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def has(self, name: builtins.str) -> builtins.bool:
        return self._data.get(name) is not None

    def str(self, name: builtins.str) -> builtins.str | None:
        value = self._data.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def int(self, name: builtins.str) -> builtins.int | None:
        value = self._data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: builtins.str) -> builtins.bool:
        return self._data.get(name) in (True, "true", "True", "1", 1)

    def json(self, name: builtins.str) -> Any:
        value = self._data.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None

    def file(self, name: builtins.str) -> FileField | builtins.str | None:
        value = self._data.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self._data.get(value[len("attach://") :])
            if not isinstance(value, FileField):
                raise bad_request(f"wrong remote file identifier specified for {name}")
        return value


async def read_params(request: web.Request) -> Params:
    data: dict[str, Any] = dict(request.query) if request.query_string else {}
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read())
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request")
            data.update(body)
        else:
            data.update(await request.post())
    return Params(data)
