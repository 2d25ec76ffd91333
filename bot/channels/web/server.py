"""The web chat's HTTP side, on the bot's web server under WEB_CHAT_PATH (default /chat).

    GET  /chat/                 the page (strict Content-Security-Policy; frames only on WEB_CHAT_EMBED_ORIGINS)
    GET  /chat/embed.js         a small script a portal adds: a button that opens the chat in a frame
    GET  /chat/static/…         the page's script and style sheet; /chat/fonts/… the fonts it uses
    GET  /chat/api/events       long poll: the log's rows after `since` (files with fresh links)
    POST /chat/api/send         {text}                 a typed text, or a big button's label
    POST /chat/api/press        {id, data}             a button press (checked by the core against its screen)
    POST /chat/api/contact      {name, phone, consent} the contact form: the shared phone number
    POST /chat/api/end          the chat ends on this device: its log is cleared, the cookie dropped
    GET  /chat/files/{token}    a file through a short-lived signed link

Requests that change something take JSON only and, when the browser says where they come from, only from the
page's own origin, so another site can neither post a form to them nor read their answers. A browser without a
valid cookie becomes a new citizen the first time it posts; reading the log without one just shows nothing.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import orjson
from aiohttp import web

from bot.channels.base import ChannelUser, Contact, Press, Text
from bot.channels.web.security import new_session_id
from bot.channels.web.strings import page_strings, server_messages
from bot.domain.platforms import WEB
from bot.i18n import catalogs, use_locale

if TYPE_CHECKING:
    from bot.channels.engine import ChannelEngine
    from bot.channels.web.channel import WebChannel

STATIC = Path(__file__).parent / "static"
FONTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONTS = frozenset(path.name for path in FONTS_DIR.glob("*.ttf"))
COOKIE = "citizen_chat"
COOKIE_DAYS = 365
LONG_POLL_SECONDS = 25.0
RECHECK_SECONDS = 2.0  # another process may have written meanwhile: the log is read again this often
MAX_TEXT = 4096
MAX_BODY = 16 * 1024
PHONE = re.compile(r"\+?[0-9][0-9 .-]{5,18}[0-9]")


def content_security_policy(embed_origins: tuple[str, ...]) -> str:
    ancestors = " ".join(("'self'", *embed_origins))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; object-src 'none'; "
        f"frame-ancestors {ancestors}"
    )


def _hardened(response: web.StreamResponse, csp: str | None = None) -> web.StreamResponse:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if csp is not None:
        response.headers["Content-Security-Policy"] = csp
    return response


class WebChatServer:
    def __init__(self, channel: WebChannel, engine: ChannelEngine) -> None:
        self.channel = channel
        self.engine = engine
        self.settings = channel.settings
        self.csp = content_security_policy(self.settings.embed_origins)
        self._users: dict[str, int] = {}  # session id -> users.id, for the long polls (bounded below)

    # ---------------------------------------------------------------- who is asking
    def _address(self, request: web.Request) -> str:
        if self.settings.trust_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.split(",")[-1].strip()
            if last:
                return last
        return request.remote or "?"

    def _session(self, request: web.Request) -> str | None:
        return self.channel.cookies.read(request.cookies.get(COOKIE))

    def _language(self, request: web.Request) -> str:
        header = request.headers.get("Accept-Language", "")
        first = header.split(",")[0].split(";")[0].strip()
        return catalogs().best_match(first or None)

    def _who(self, session_id: str, request: web.Request) -> ChannelUser:
        return ChannelUser(WEB, session_id, session_id, "", self._language(request))

    async def _user_id(self, session_id: str) -> int | None:
        known = self._users.get(session_id)
        if known is not None:
            return known
        uow = self.engine.work()
        try:
            async with uow:
                user = await uow.users.get(WEB, session_id)
        finally:
            await uow.close()
        if user is None:
            return None
        if len(self._users) > 50_000:
            self._users.clear()
        self._users[session_id] = user.id
        return user.id

    def _refuse(self, request: web.Request, status: int, key: str) -> web.Response:
        with use_locale(self._language(request)):
            message = server_messages()[key]
        return web.json_response({"error": key, "message": message}, status=status)

    async def _posted(self, request: web.Request) -> tuple[str, bool, dict[str, Any]] | web.Response:
        """(session id, new, body) of a post the page may make; a refusal otherwise."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            return web.json_response({"error": "origin"}, status=403)
        if request.content_type != "application/json" or (request.content_length or 0) > MAX_BODY:
            return web.json_response({"error": "json"}, status=415)
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return self._refuse(request, 400, "bad_request")
        if not isinstance(body, dict):
            return self._refuse(request, 400, "bad_request")
        address = self._address(request)
        session_id = self._session(request)
        new = session_id is None
        if session_id is None:
            if not await self.channel.limits.allow_new_session(address):
                return self._refuse(request, 429, "slow_down")
            session_id = new_session_id()
        if not await self.channel.limits.allow(session_id, address):
            return self._refuse(request, 429, "slow_down")
        return session_id, new, body

    def _answer(self, session_id: str, new: bool, payload: dict[str, Any] | None = None) -> web.Response:
        response = web.json_response(payload or {"ok": True})
        if new:
            self._set_cookie(response, session_id)
        return response

    def _set_cookie(self, response: web.StreamResponse, session_id: str) -> None:
        secure = self.settings.cookie_secure
        response.set_cookie(
            COOKIE,
            self.channel.cookies.sign(session_id),
            max_age=COOKIE_DAYS * 86400,
            path=self.settings.path,
            httponly=True,
            secure=secure or None,
            # Inside a portal's frame the cookie is a third party's: allowed only as SameSite=None over HTTPS,
            # kept apart per portal (Partitioned); on plain http (one's own machine) the chat opens by itself.
            samesite="None" if secure else "Lax",
            partitioned=True if secure else None,
        )

    async def _hand_in(self, event: Text | Press | Contact) -> None:
        await self.engine.handle(event)
        self._users.pop(event.who.external_id, None)  # the record may be new: read afresh

    # ---------------------------------------------------------------- pages
    async def page(self, request: web.Request) -> web.StreamResponse:
        session_id = self._session(request)
        language = self._language(request)
        if session_id is not None and (user_id := await self._user_id(session_id)) is not None:
            uow = self.engine.work()
            try:
                async with uow:
                    user = await uow.users.get_by_id(user_id)
            finally:
                await uow.close()
            if user is not None and user.language:
                language = user.language
        with use_locale(language):
            strings = page_strings()
        template = (STATIC / "index.html").read_text(encoding="utf-8")
        # The strings travel as JSON in a block no browser runs; "<" is escaped so that nothing can close it.
        data = json.dumps(strings, ensure_ascii=False).replace("<", "\\u003c")
        page = (
            template.replace("{{lang}}", html.escape(language))
            .replace("{{base}}", html.escape(self.settings.path))
            .replace("{{title}}", html.escape(strings["title"]))
            .replace("{{strings}}", data)
        )
        response = web.Response(text=page, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = "no-store"
        return _hardened(response, self.csp)

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        types = {"chat.js": "text/javascript", "chat.css": "text/css"}
        if name not in types:
            raise web.HTTPNotFound()
        response = web.FileResponse(STATIC / name, headers={"Content-Type": types[name]})
        response.headers["Cache-Control"] = "max-age=300"
        return _hardened(response)

    async def embed(self, request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(STATIC / "embed.js", headers={"Content-Type": "text/javascript"})
        response.headers["Cache-Control"] = "max-age=300"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"  # portals load it from their pages
        return _hardened(response)

    async def font(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in FONTS:
            raise web.HTTPNotFound()
        response = web.FileResponse(FONTS_DIR / name, headers={"Content-Type": "font/ttf"})
        response.headers["Cache-Control"] = "max-age=86400"
        return _hardened(response)

    # ---------------------------------------------------------------- the API
    async def events(self, request: web.Request) -> web.Response:
        session_id = self._session(request)
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            return self._refuse(request, 400, "bad_request")
        wait = request.query.get("wait") == "1"
        if session_id is None:
            return web.json_response({"events": [], "next": since, "known": False})
        if not await self.channel.limits.allow_read(self._address(request)):
            return self._refuse(request, 429, "slow_down")
        rows: list[Any] = []
        waited = 0.0
        while True:  # bounded: LONG_POLL_SECONDS / RECHECK_SECONDS rounds at most
            user_id = await self._user_id(session_id)
            if user_id is not None:
                rows = await self.channel.store.events(user_id, since)
            if rows or not wait or waited >= LONG_POLL_SECONDS:
                break
            if user_id is None:
                await self._sleep_unknown()
            else:
                await self.channel.store.wait(user_id, RECHECK_SECONDS)
            waited += RECHECK_SECONDS
        events = [self._event_json(row) for row in rows]
        return web.json_response(
            {"events": events, "next": rows[-1].id if rows else since, "known": True},
            dumps=lambda value: orjson.dumps(value).decode(),
        )

    @staticmethod
    async def _sleep_unknown() -> None:
        import asyncio

        await asyncio.sleep(RECHECK_SECONDS)

    def _event_json(self, row: Any) -> dict[str, Any]:
        event: dict[str, Any] = row.as_json()
        file = event.get("file")
        if isinstance(file, dict) and isinstance(file.get("file"), int):
            token = self.channel.links.token(file["file"])
            event["file"] = {**file, "url": f"{self.settings.path}/files/{token}"}
        return event

    async def send(self, request: web.Request) -> web.Response:
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session_id, new, body = posted
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return self._refuse(request, 400, "empty")
        text = text.strip()[:MAX_TEXT]
        who = self._who(session_id, request)
        user, _ = await self.engine.citizen(who)
        await self.channel.store.append(user.id, "message", {"from": "me", "text": [text]}, sender="me")
        await self._hand_in(Text(who, text))
        return self._answer(session_id, new)

    async def press(self, request: web.Request) -> web.Response:
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session_id, new, body = posted
        data, message_id = body.get("data"), body.get("id")
        if not isinstance(data, str) or not isinstance(message_id, int) or len(data) > 256 or message_id < 0:
            return self._refuse(request, 400, "bad_request")
        await self._hand_in(Press(self._who(session_id, request), data, message_id))
        return self._answer(session_id, new)

    async def contact(self, request: web.Request) -> web.Response:
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session_id, new, body = posted
        name, phone, consent = body.get("name"), body.get("phone"), body.get("consent")
        if consent is not True or not isinstance(phone, str) or not PHONE.fullmatch(phone.strip()):
            return self._refuse(request, 400, "contact_needed")
        name = name.strip()[:128] if isinstance(name, str) else ""
        who = self._who(session_id, request)
        user, _ = await self.engine.citizen(who)
        with use_locale(user.language or who.language_code):
            shared = page_strings()["phone_shared"]
        # The log shows that a number was shared, never the number: the chat's copy holds no personal data.
        await self.channel.store.append(user.id, "message", {"from": "me", "text": [shared]}, sender="me")
        await self._hand_in(Contact(who, re.sub(r"[ .-]", "", phone.strip()), name))
        return self._answer(session_id, new)

    async def end(self, request: web.Request) -> web.Response:
        posted = await self._posted(request)
        if isinstance(posted, web.Response):
            return posted
        session_id, new, _ = posted
        user_id = None if new else await self._user_id(session_id)
        if user_id is not None:
            await self.channel.store.clear([user_id])
        self._users.pop(session_id, None)
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path=self.settings.path)
        return response

    async def file(self, request: web.Request) -> web.StreamResponse:
        file_id = self.channel.links.file_id(request.match_info["token"])
        stored = await self.channel.store.file(file_id) if file_id is not None else None
        if stored is None:
            with use_locale(self._language(request)):
                text = page_strings()["link_expired"]
            return _hardened(web.Response(status=410, text=text), "default-src 'none'")
        inline = stored.mime in ("image/png", "image/jpeg")
        disposition = "inline" if inline else "attachment"
        response = web.Response(
            body=stored.data,
            content_type=stored.mime,
            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(stored.name)}"},
        )
        response.headers["Cache-Control"] = "private, no-store"
        return _hardened(response, "default-src 'none'; sandbox")


def add_routes(app: web.Application, channel: WebChannel, engine: ChannelEngine) -> WebChatServer:
    server = WebChatServer(channel, engine)
    base = channel.settings.path

    async def to_page(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(base + "/")

    app.router.add_get(base, to_page)
    app.router.add_get(base + "/", server.page)
    app.router.add_get(base + "/embed.js", server.embed)
    app.router.add_get(base + "/static/{name}", server.static)
    app.router.add_get(base + "/fonts/{name}", server.font)
    app.router.add_get(base + "/api/events", server.events)
    app.router.add_post(base + "/api/send", server.send)
    app.router.add_post(base + "/api/press", server.press)
    app.router.add_post(base + "/api/contact", server.contact)
    app.router.add_post(base + "/api/end", server.end)
    app.router.add_get(base + "/files/{token}", server.file)
    return server
