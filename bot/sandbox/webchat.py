"""A local web chat page for talking to a bot through the emulator as test users.

Mounted on the emulator's own aiohttp app: the page lives at ``/`` and talks to
a small JSON API under ``/api/``.  Live updates use long polling on the
per-chat event log the emulator keeps.

Run standalone with ``python -m bot.sandbox.webchat --port 8081`` and point the
bot at the printed Bot API base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.emulator import BotAPIEmulator, ChatEvent, SimUser

STATIC_DIR = Path(__file__).parent / "static"
# The fonts the certificates use, shipped with their licences: the page uses them too (Thai on machines without
# a Thai system font). Only these files are served from that folder.
FONTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONTS = frozenset(path.name for path in FONTS_DIR.glob("*.ttf"))
FAVICON = STATIC_DIR / "favicon.svg"
LANGUAGES = ("vi", "en", "th")
LONG_POLL_SECONDS = 25.0
FIRST_WEB_USER_ID = 500_000_001
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)

EMULATOR_KEY = web.AppKey("sandbox_emulator", BotAPIEmulator)


def add_webchat_routes(app: web.Application, emu: BotAPIEmulator) -> None:
    """Serve the web chat page and its JSON API from the emulator's app.

    Call before ``emu.start()``: aiohttp freezes the router once serving.
    """
    app[EMULATOR_KEY] = emu
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/fonts/{name}", _font)
    app.router.add_get("/favicon.svg", _favicon)
    app.router.add_get("/favicon.ico", _favicon)  # what browsers ask for when a page names no icon
    app.router.add_get("/api/bot", _bot_info)
    app.router.add_get("/api/users", _list_users)
    app.router.add_post("/api/users", _create_user)
    app.router.add_post("/api/send", _send)
    app.router.add_post("/api/press", _press)
    app.router.add_post("/api/contact", _contact)
    app.router.add_post("/api/sticker", _sticker)
    app.router.add_get("/api/updates", _updates)
    app.router.add_get("/api/files/{file_id}", _file)


def _emulator(request: web.Request) -> BotAPIEmulator:
    return request.app[EMULATOR_KEY]


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    404: web.HTTPNotFound,
    415: web.HTTPUnsupportedMediaType,
}


def _fail(status: int, message: str) -> web.HTTPException:
    return _ERRORS[status](text=json.dumps({"error": message}), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    # Requiring JSON keeps other sites from posting plain HTML forms to this API.
    if request.content_type != "application/json":
        raise _fail(415, "send application/json")
    try:
        body = await request.json()
    except ValueError:
        raise _fail(400, "invalid JSON") from None
    if not isinstance(body, dict):
        raise _fail(400, "expected a JSON object")
    return body


def _user_from(emu: BotAPIEmulator, raw: Any) -> SimUser:
    try:
        return emu.user(int(raw))
    except (TypeError, ValueError, LookupError):
        raise _fail(404, f"unknown user {raw!r}") from None


def _user_json(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "language_code": user.language_code,
        "phone_number": user.phone_number,
        "blocked": user.blocked,
    }


async def _index(_: web.Request) -> web.FileResponse:
    response = web.FileResponse(STATIC_DIR / "index.html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


async def _font(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in FONTS:
        raise _fail(404, "no such font")
    response = web.FileResponse(FONTS_DIR / name, headers={"Content-Type": "font/ttf"})
    response.headers["Cache-Control"] = "max-age=86400"
    return response


async def _favicon(_: web.Request) -> web.FileResponse:
    response = web.FileResponse(FAVICON, headers={"Content-Type": "image/svg+xml"})
    response.headers["Cache-Control"] = "max-age=86400"
    return response


async def _bot_info(request: web.Request) -> web.Response:
    return web.json_response(_emulator(request).bot_user)


async def _list_users(request: web.Request) -> web.Response:
    return web.json_response({"users": [_user_json(u) for u in _emulator(request).users()]})


async def _create_user(request: web.Request) -> web.Response:
    emu = _emulator(request)
    body = await _json_body(request)
    first_name = str(body.get("first_name") or "").strip()
    if not 1 <= len(first_name) <= 64:
        raise _fail(400, "first name must be 1-64 characters")
    language = body.get("language_code") or "vi"
    if language not in LANGUAGES:
        raise _fail(400, f"language must be one of {', '.join(LANGUAGES)}")
    user_id = max([FIRST_WEB_USER_ID - 1, *(u.id for u in emu.users())]) + 1
    phone = str(body.get("phone_number") or "").strip() or _fake_phone()
    user = emu.add_user(
        user_id,
        first_name,
        last_name=str(body.get("last_name") or "").strip() or None,
        username=str(body.get("username") or "").strip().lstrip("@") or None,
        language_code=language,
        phone_number=phone,
    )
    return web.json_response(_user_json(user), status=201)


def _fake_phone() -> str:
    # Every Telegram account has a phone number; invent a Vietnamese mobile one.
    return "+849" + "".join(secrets.choice("0123456789") for _ in range(8))


async def _send(request: web.Request) -> web.Response:
    emu = _emulator(request)
    body = await _json_body(request)
    user = _user_from(emu, body.get("user"))
    text = str(body.get("text") or "")
    if not text.strip():
        raise _fail(400, "text is empty")
    if body.get("from_keyboard"):
        _consume_one_time_keyboard(emu, user.id)
    update = emu.send_text(user.id, text)
    return web.json_response({"update_id": update["update_id"]})


async def _press(request: web.Request) -> web.Response:
    emu = _emulator(request)
    body = await _json_body(request)
    user = _user_from(emu, body.get("user"))
    try:
        update = emu.press(user.id, int(body.get("message_id", 0)), str(body.get("data", "")))
    except (LookupError, ValueError) as error:
        raise _fail(404, str(error)) from None
    return web.json_response({"update_id": update["update_id"]})


async def _contact(request: web.Request) -> web.Response:
    emu = _emulator(request)
    body = await _json_body(request)
    user = _user_from(emu, body.get("user"))
    _consume_one_time_keyboard(emu, user.id)
    try:
        update = emu.send_contact(user.id)
    except ValueError as error:
        raise _fail(400, str(error)) from None
    return web.json_response({"update_id": update["update_id"]})


async def _sticker(request: web.Request) -> web.Response:
    emu = _emulator(request)
    body = await _json_body(request)
    user = _user_from(emu, body.get("user"))
    update = emu.send_sticker(user.id, str(body.get("emoji") or "👍"))
    return web.json_response({"update_id": update["update_id"]})


def _consume_one_time_keyboard(emu: BotAPIEmulator, user_id: int) -> None:
    chat = emu.chat(user_id)
    if chat.keyboard is not None and chat.keyboard.get("one_time_keyboard"):
        chat.keyboard = None


async def _updates(request: web.Request) -> web.Response:
    """Long poll: events of the user's chat from index ``since`` on."""
    emu = _emulator(request)
    user = _user_from(emu, request.query.get("user"))
    try:
        since = max(0, int(request.query.get("since", "0")))
    except ValueError:
        raise _fail(400, "since must be an integer") from None
    wait = LONG_POLL_SECONDS if request.query.get("wait", "1") != "0" else 0.0
    events = await emu.wait_for_events(user.id, since, wait)
    chat = emu.chat(user.id)
    return web.json_response(
        {
            "events": [_event_json(event) for event in events],
            "next": since + len(events),
            "keyboard": chat.keyboard,
            "user": _user_json(user),
        }
    )


def _event_json(event: ChatEvent) -> dict[str, Any]:
    return {
        "index": event.index,
        "kind": event.kind,
        "message_id": event.message_id,
        "message": event.message,
        "answer": event.answer,
    }


async def _file(request: web.Request) -> web.Response:
    stored = _emulator(request).get_file(request.match_info["file_id"])
    if stored is None:
        raise _fail(404, "no such file")
    headers = {"X-Content-Type-Options": "nosniff"}
    if stored.file_name:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(stored.file_name)}"
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers=headers,
    )


async def serve(port: int, token: str | None) -> None:
    emu = BotAPIEmulator(token=token)
    add_webchat_routes(emu.app, emu)
    await emu.start(host="127.0.0.1", port=port)
    print(f"Web chat:         {emu.base_url}/")
    print(f"Bot API base URL: {emu.base_url}  (TelegramAPIServer.from_base)")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator with a web chat")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.token))


if __name__ == "__main__":
    main()
