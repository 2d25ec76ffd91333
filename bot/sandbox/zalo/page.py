"""A page on the Zalo OA emulator where a person chats with the bot as a Zalo citizen (the sandbox).

    GET  /citizen/                 the page (static files in ./static, no inline script)
    POST /citizen/api/new          {"name"} → a new simulated citizen {"id"} (a string id longer than 2^53)
    GET  /citizen/api/messages     ?user=ID&since=N → the OA's messages to that citizen after the N-th
    POST /citizen/api/send         {"user", "text"}: a signed `user_send_text`
    POST /citizen/api/press        {"user", "message", "button"}: a query button's payload sent back as text
    POST /citizen/api/share        {"user", "name", "phone"}: a signed `user_submit_info`
    POST /citizen/api/sticker      {"user"}: a signed `user_send_sticker`

Everything goes through `ZaloCitizen`, the same path the tests drive, so the bot sees what Zalo would send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.sandbox.zalo.server import ZaloCitizen, ZaloEmulator, ZaloMessage

STATIC = Path(__file__).with_name("static")
FILES = {"citizen.js": "text/javascript", "citizen.css": "text/css"}
MAX_TEXT = 2000
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'"


def _view(index: int, message: ZaloMessage) -> dict[str, Any]:
    buttons = [
        {
            "title": str(button.get("title", "")),
            "type": str(button.get("type", "")),
            "url": str((button.get("payload") or {}).get("url", "")) if button.get("type") == "oa.open.url" else "",
            "phone": str((button.get("payload") or {}).get("phone_code", ""))
            if button.get("type") == "oa.open.phone"
            else "",
        }
        for button in message.buttons
    ]
    return {"n": index, "text": message.text, "buttons": buttons, "template": message.template}


class CitizenPage:
    def __init__(self, emulator: ZaloEmulator) -> None:
        self.emulator = emulator

    def install(self, app: web.Application) -> None:
        app.router.add_get("/citizen", self.to_page)
        app.router.add_get("/citizen/", self.page)
        app.router.add_get("/citizen/static/{name}", self.static)
        app.router.add_post("/citizen/api/new", self.new)
        app.router.add_get("/citizen/api/messages", self.messages)
        app.router.add_post("/citizen/api/send", self.send)
        app.router.add_post("/citizen/api/press", self.press)
        app.router.add_post("/citizen/api/share", self.share)
        app.router.add_post("/citizen/api/sticker", self.sticker)

    async def to_page(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/citizen/")

    async def page(self, request: web.Request) -> web.Response:
        html = (STATIC / "citizen.html").read_text(encoding="utf-8")
        return web.Response(text=html, content_type="text/html", headers={"Content-Security-Policy": CSP})

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in FILES:
            raise web.HTTPNotFound()
        return web.Response(body=(STATIC / name).read_bytes(), content_type=FILES[name])

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="a JSON object, please") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="a JSON object, please")
        return body

    def _citizen(self, user: Any) -> ZaloCitizen:
        if not isinstance(user, str) or user not in self.emulator.users:
            raise web.HTTPNotFound(text="no such citizen: start a new one")
        return self.emulator.citizen(user)

    def _webhook_ready(self) -> None:
        if self.emulator.webhook_url is None:
            raise web.HTTPServiceUnavailable(text="the bot is still starting")

    async def new(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 60:
            raise web.HTTPBadRequest(text="a name of 1 to 60 characters, please")
        citizen = self.emulator.citizen(name=name.strip())
        return web.json_response({"id": citizen.id, "name": citizen.user.name})

    async def messages(self, request: web.Request) -> web.Response:
        citizen = self._citizen(request.query.get("user"))
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            raise web.HTTPBadRequest(text="since: a number") from None
        shown = citizen.messages
        return web.json_response(
            {"messages": [_view(n, message) for n, message in enumerate(shown) if n >= since], "count": len(shown)}
        )

    async def send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        citizen = self._citizen(body.get("user"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise web.HTTPBadRequest(text=f"a text of 1 to {MAX_TEXT} characters, please")
        self._webhook_ready()
        return web.json_response({"status": await citizen.send_text(text)})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        citizen = self._citizen(body.get("user"))
        number, index = body.get("message"), body.get("button")
        shown = citizen.messages
        if not isinstance(number, int) or not isinstance(index, int) or not 0 <= number < len(shown):
            raise web.HTTPBadRequest(text="no such message")
        buttons = shown[number].buttons
        if not 0 <= index < len(buttons) or buttons[index].get("type") not in {"oa.query.hide", "oa.query.show"}:
            raise web.HTTPBadRequest(text="no such button")
        self._webhook_ready()
        return web.json_response({"status": await citizen.send_text(str(buttons[index].get("payload", "")))})

    async def share(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        citizen = self._citizen(body.get("user"))
        name, phone = body.get("name"), body.get("phone")
        if not isinstance(name, str) or not isinstance(phone, str) or not phone.strip() or len(name + phone) > 120:
            raise web.HTTPBadRequest(text="a name and a phone number, please")
        self._webhook_ready()
        return web.json_response({"status": await citizen.submit_info(phone.strip(), name.strip())})

    async def sticker(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        citizen = self._citizen(body.get("user"))
        self._webhook_ready()
        return web.json_response({"status": await citizen.send_sticker()})
