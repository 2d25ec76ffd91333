"""A Zalo Official Account's side of the Open API, kept in memory, with simulated citizens.

What the bot calls:
    POST /v3.0/oa/message/cs        consultation messages: text ≤ 2,000 characters, ≤ 5 buttons, request_user_info,
                                    media and files by the references uploads gave; the access_token header; the
                                    citizen must follow the OA and have interacted in the last 7 days
    POST /v2.0/oa/upload/image      JPEG/PNG ≤ 1 MB → attachment_id
    POST /v2.0/oa/upload/file       PDF/DOC/DOCX ≤ 5 MB → token
    POST /v4/oa/access_token        OAuth refresh (secret_key header): each refresh token works once
Errors come back as Zalo's do: HTTP 200 with `error` ≠ 0 and a `message` (codes in bot/channels/zalo/errors.py).

What a simulated citizen does (ZaloCitizen): types, presses a query button (its payload comes back as text),
shares their info, follows and unfollows; every event is posted to the bot's webhook signed as Zalo signs it
(or with a wrong or missing signature, for tests), and the OA's own sends are echoed back as oa_send_* events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.channels.zalo import errors, signature

log = logging.getLogger("bot.sandbox.zalo")

JsonDict = dict[str, Any]
Signing = Literal["good", "bad", "missing"]
TEXT_LIMIT = 2000
BUTTON_LIMIT = 5
IMAGE_LIMIT = 1024 * 1024
FILE_LIMIT = 5 * 1024 * 1024
INVALID_REFRESH = -14014
DAY = 86400.0


@dataclass
class ZaloMessage:
    message_id: str
    user_id: str
    body: JsonDict
    at: float

    @property
    def text(self) -> str:
        return str(self.body.get("text", ""))

    @property
    def buttons(self) -> list[JsonDict]:
        attachment = self.body.get("attachment") or {}
        payload = attachment.get("payload") or {}
        return list(payload.get("buttons") or [])

    @property
    def template(self) -> str | None:
        attachment = self.body.get("attachment") or {}
        payload = attachment.get("payload") or {}
        kind = payload.get("template_type")
        return str(kind) if kind else (str(attachment.get("type")) if attachment.get("type") == "file" else None)

    def describe(self) -> str:
        labels = ", ".join(button.get("title", "") for button in self.buttons)
        return f"{self.text[:60]!r} [{labels}]" + (f" <{self.template}>" if self.template else "")


@dataclass
class SimulatedUser:
    user_id: str
    name: str
    follows: bool = True
    last_interaction: float = field(default_factory=time.time)
    messages: list[ZaloMessage] = field(default_factory=list)


class ZaloEmulator:
    def __init__(
        self,
        app_id: str = "4305117117434949000",
        oa_secret: str = "sandbox-oa-secret",
        app_secret: str = "sandbox-app-secret",
        oa_id: str = "1797412345678901234",
        access_lifetime: float = 3600.0,
    ) -> None:
        self.app_id = app_id
        self.oa_secret = oa_secret
        self.app_secret = app_secret
        self.oa_id = oa_id
        self.access_lifetime = access_lifetime
        self.webhook_url: str | None = None
        self.users: dict[str, SimulatedUser] = {}
        self._ids = itertools.count(1)
        self._access: dict[str, float] = {}  # token -> expires at
        self._refresh: set[str] = set()  # refresh tokens not yet spent
        self.spent_refresh: list[str] = []
        self.refresh_refused = 0
        self.uploads: dict[str, tuple[str, int]] = {}  # reference -> (filename, size)
        self.refused: list[tuple[str, int, str]] = []  # (user, code, message) of refused sends
        # Limits, off unless set: sends per minute to the app, and to one citizen.
        self.per_minute: int | None = None
        self.per_recipient_per_minute: int | None = None
        self._sent_at: deque[float] = deque()
        self._sent_to: dict[str, deque[float]] = {}
        self.echo = True  # post the OA's own sends back as oa_send_* events, as Zalo does
        self.webhook_answers: list[int] = []
        self._http: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.access_token, self.refresh_token = self._issue()
        self.app = web.Application(client_max_size=FILE_LIMIT * 2)
        self.app.router.add_post("/v3.0/oa/message/cs", self._message)
        self.app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        self.app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        self.app.router.add_post("/v4/oa/access_token", self._oauth)
        from bot.sandbox.zalo.page import CitizenPage

        CitizenPage(self).install(self.app)  # a person chats as a Zalo citizen: /citizen/

    # ---------------------------------------------------------------- lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._host = host
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the Zalo emulator is not started")
        return f"http://{self._host}:{self._port}"

    # ---------------------------------------------------------------- tokens
    def _issue(self) -> tuple[str, str]:
        number = next(self._ids)
        access, refresh = f"EMU-ACCESS-{number}", f"EMU-REFRESH-{number}"
        self._access[access] = time.time() + self.access_lifetime
        self._refresh.add(refresh)
        return access, refresh

    def expire_access_tokens(self) -> None:
        for token in self._access:
            self._access[token] = 0.0

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return web.json_response({"error": -14002, "error_name": "Invalid app credentials"})
        token = str(form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or token not in self._refresh:
            self.refresh_refused += 1
            return web.json_response({"error": INVALID_REFRESH, "error_name": "Invalid refresh token"})
        self._refresh.discard(token)  # single-use
        self.spent_refresh.append(token)
        await asyncio.sleep(0.05)  # a refresh takes a moment: two workers racing would both get here
        access, refresh = self._issue()
        self.access_token, self.refresh_token = access, refresh
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": str(int(self.access_lifetime)),
                "refresh_token_expires_in": str(int(90 * DAY)),
            }
        )

    def _authorised(self, request: web.Request) -> bool:
        expires = self._access.get(request.headers.get("access_token", ""))
        return expires is not None and expires > time.time()

    # ---------------------------------------------------------------- what the bot sends
    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        return web.json_response({"error": code, "message": message})

    async def _message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(errors.TOKEN_INVALID, "Access token is invalid or expired")
        try:
            body = await request.json()
        except ValueError:
            return self._error(errors.PARAMETER, "Body is not JSON")
        user_id = str((body.get("recipient") or {}).get("user_id", ""))
        message = body.get("message") or {}
        user = self.users.get(user_id)
        problem = self._refusal(user, message)
        if problem is not None:
            self.refused.append((user_id, *problem))
            return self._error(*problem)
        assert user is not None
        now = time.time()
        self._sent_at.append(now)
        self._sent_to.setdefault(user_id, deque()).append(now)
        sent = ZaloMessage(f"{next(self._ids)}{user_id[-6:]}", user_id, message, now)
        user.messages.append(sent)
        if self.echo and self.webhook_url:
            kind = "oa_send_text" if "attachment" not in message else "oa_send_template"
            echo = {
                "app_id": self.app_id,
                "event_name": kind,
                "timestamp": str(int(now * 1000)),
                "sender": {"id": self.oa_id},
                "recipient": {"id": user_id},
                "message": {"msg_id": sent.message_id, "text": sent.text},
            }
            self._background(self.post_event(echo))
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": sent.message_id, "user_id": user_id}}
        )

    def _refusal(self, user: SimulatedUser | None, message: JsonDict) -> tuple[int, str] | None:
        if user is None or not user.follows:
            return errors.NOT_FOLLOWER, "User has not followed the OA"
        if time.time() - user.last_interaction > 7 * DAY:
            return errors.OUTSIDE_WINDOW, "User has not interacted with the OA in the past 7 days"
        now = time.time()
        if self.per_minute is not None and self._recent(self._sent_at, now) >= self.per_minute:
            return errors.RATE_LIMIT, "Exceeded the limit of requests per minute"
        mine = self._sent_to.get(user.user_id, deque())
        if self.per_recipient_per_minute is not None and self._recent(mine, now) >= self.per_recipient_per_minute:
            return errors.RECIPIENT_LIMIT, "Exceeded the limit of messages to this user"
        text = message.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > TEXT_LIMIT or not text.strip()):
            return errors.PARAMETER, "Text is empty or longer than 2000 characters"
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return errors.PARAMETER, "Message has neither text nor attachment"
        if attachment is not None:
            payload = attachment.get("payload") or {}
            buttons = payload.get("buttons")
            if buttons is not None and (len(buttons) > BUTTON_LIMIT or not buttons):
                return errors.PARAMETER, "A template takes 1 to 5 buttons"
            for button in buttons or ():
                if button.get("type") not in {"oa.query.hide", "oa.query.show", "oa.open.url", "oa.open.phone"}:
                    return errors.PARAMETER, "Unknown button type"
                if not button.get("title"):
                    return errors.PARAMETER, "A button needs a title"
            if payload.get("template_type") == "request_user_info":
                elements = payload.get("elements") or []
                if len(elements) != 1 or len(elements[0].get("title", "")) > 100:
                    return errors.PARAMETER, "request_user_info takes one element, title ≤ 100"
            for element in payload.get("elements") or ():
                reference = element.get("attachment_id")
                if reference is not None and reference not in self.uploads:
                    return errors.PARAMETER, "Unknown attachment"
            if attachment.get("type") == "file" and payload.get("token") not in self.uploads:
                return errors.PARAMETER, "Unknown file token"
        return None

    @staticmethod
    def _recent(times: deque[float], now: float) -> int:
        while times and now - times[0] > 60:
            times.popleft()
        return len(times)

    async def _upload(self, request: web.Request, limit: int, kinds: tuple[bytes, ...], key: str) -> web.Response:
        if not self._authorised(request):
            return self._error(errors.TOKEN_INVALID, "Access token is invalid or expired")
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return self._error(errors.PARAMETER, "No file")
        data = upload.file.read()
        if len(data) > limit:
            return self._error(errors.PARAMETER, f"File larger than {limit // 1024} KB")
        if not any(data.startswith(magic) for magic in kinds):
            return self._error(errors.PARAMETER, "File type not accepted")
        reference = f"{key}-{next(self._ids)}"
        self.uploads[reference] = (upload.filename, len(data))
        return web.json_response({"error": 0, "message": "Success", "data": {key: reference}})

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, IMAGE_LIMIT, (b"\x89PNG", b"\xff\xd8\xff"), "attachment_id")

    async def _upload_file(self, request: web.Request) -> web.Response:
        # PDF, and DOC/DOCX (OLE and ZIP containers)
        return await self._upload(request, FILE_LIMIT, (b"%PDF", b"\xd0\xcf\x11\xe0", b"PK\x03\x04"), "token")

    # ---------------------------------------------------------------- simulated citizens
    def citizen(self, user_id: str | None = None, name: str = "Lan") -> ZaloCitizen:
        user_id = user_id or f"{8_000_000_000_000_000_000 + next(self._ids) * 7919}"  # > 2^53, as Zalo's are
        self.users.setdefault(user_id, SimulatedUser(user_id, name))
        return ZaloCitizen(self, self.users[user_id])

    def messages(self, user_id: str) -> list[ZaloMessage]:
        return list(self.users[user_id].messages)

    def _background(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def sign(self, body: str) -> str:
        timestamp = signature.timestamp_of(body) or ""
        return signature.header_value(self.app_id, body, timestamp, self.oa_secret)

    async def post_event(self, event: JsonDict, signing: Signing = "good", body: str | None = None) -> int:
        """Post an event to the bot's webhook as Zalo does; the HTTP status the bot answered."""
        if self.webhook_url is None:
            raise RuntimeError("no webhook: set ZaloEmulator.webhook_url")
        body = body if body is not None else json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        headers = {"Content-Type": "application/json"}
        if signing == "good":
            headers[signature.HEADER] = self.sign(body)
        elif signing == "bad":
            headers[signature.HEADER] = "mac=" + "0" * 64
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._http.post(self.webhook_url, data=body.encode(), headers=headers) as response:
            await response.read()
            self.webhook_answers.append(response.status)
            return response.status


class ZaloCitizen:
    """One simulated citizen of the OA: what they do becomes a signed webhook event."""

    def __init__(self, emulator: ZaloEmulator, user: SimulatedUser) -> None:
        self.emulator = emulator
        self.user = user
        self.last_event: str | None = None

    @property
    def id(self) -> str:
        return self.user.user_id

    @property
    def messages(self) -> list[ZaloMessage]:
        return list(self.user.messages)

    def _event(self, name: str, **parts: Any) -> JsonDict:
        now = int(time.time() * 1000) + next(self.emulator._ids)  # distinct even within one millisecond
        self.user.last_interaction = time.time()
        return {
            "app_id": self.emulator.app_id,
            "user_id_by_app": f"app-{self.id}",
            "event_name": name,
            "timestamp": str(now),
            "sender": {"id": self.id},
            "recipient": {"id": self.emulator.oa_id},
            **parts,
        }

    async def _post(self, event: JsonDict, signing: Signing = "good") -> int:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        self.last_event = body
        return await self.emulator.post_event(event, signing, body)

    async def resend_last(self, signing: Signing = "good") -> int:
        """Zalo sends the same event again (it got no 200 in time, it thinks)."""
        assert self.last_event is not None
        return await self.emulator.post_event({}, signing, self.last_event)

    async def send_text(self, text: str, signing: Signing = "good") -> int:
        msg_id = f"m{next(self.emulator._ids)}"
        return await self._post(self._event("user_send_text", message={"msg_id": msg_id, "text": text}), signing)

    def button(self, title: str) -> JsonDict:
        for message in reversed(self.user.messages):
            for button in message.buttons:
                if button.get("title") == title:
                    return button
        shown = [message.describe() for message in self.user.messages[-8:]]
        raise AssertionError(f"no message offers the button {title!r}; chat: {shown}")

    async def press(self, title: str) -> int:
        """A query button: its payload comes back as the citizen's text."""
        button = self.button(title)
        if button["type"] != "oa.query.hide" and button["type"] != "oa.query.show":
            raise AssertionError(f"{title!r} is not a query button")
        return await self.send_text(str(button["payload"]))

    async def submit_info(self, phone: str, name: str = "Nguyễn Thị Lan") -> int:
        info = {"name": name, "phone": phone, "address": "", "city": "", "district": ""}
        return await self._post(self._event("user_submit_info", info=info))

    async def send_sticker(self) -> int:
        return await self._post(self._event("user_send_sticker", message={"msg_id": f"s{next(self.emulator._ids)}"}))

    async def follow(self) -> int:
        self.user.follows = True
        event = self._event("follow", follower={"id": self.id}, oa_id=self.emulator.oa_id, source="oa_profile")
        event.pop("sender")
        return await self._post(event)

    async def unfollow(self) -> int:
        self.user.follows = False
        event = self._event("unfollow", follower={"id": self.id}, oa_id=self.emulator.oa_id)
        event.pop("sender")
        return await self._post(event)
