"""The web chat channel: the page's requests handed to the core, the handlers' Views written to the chat's log.

    browser ─► bot.channels.web.server (cookie → session id, rate limits, JSON only, same origin)
            ─► Text / Press / Contact ─► ChannelEngine.handle (the same dispatcher as Telegram's)
            ─► WebEgress: each View rendered (bot.channels.web.render) into web_events; files into web_files
            ─► the page's long poll reads the new rows and draws them

Presses are checked by the core against the screens it keeps (`keeps_screens`): the page could post anything,
so a press is honoured only with a payload the named message of this chat offered, and only while that message
still shows it. An edit redraws the message in place: the new buttons get a screen of their own and the old
screen is retired, so a press on the older version (a double tap, a second tab) is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelUser
from bot.channels.render import payloads
from bot.channels.web.render import message_json
from bot.channels.web.security import FileLinks, Limits, RateLimits, SessionCookies
from bot.channels.web.store import WebChatStore
from bot.delivery.records import Blocked, ChannelLimits, Delivered, Failed, Outcome
from bot.domain.platforms import WEB
from bot.ui.view import View

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.engine import ChannelEngine
    from bot.config import Settings

log = logging.getLogger(__name__)
NUMBER = 3  # the channel bot's id and the high digits of its update ids (Zalo is 2)
HOUSEKEEPING_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class WebSettings:
    secret: str
    path: str = "/chat"
    embed_origins: tuple[str, ...] = ()
    limits: Limits = field(default_factory=lambda: Limits("40/minute", "600/minute", "60/hour"))
    file_link_minutes: float = 10
    history_days: int = 30
    cookie_secure: bool = True
    trust_proxy: bool = False
    redis_url: str | None = None
    redis_prefix: str = "citizen"
    public_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, secret: str) -> WebSettings:
        return cls(
            secret=secret,
            path=settings.web_chat_path,
            embed_origins=tuple(settings.web_chat_embed_origins),
            limits=Limits(
                settings.web_chat_rate_session, settings.web_chat_rate_address, settings.web_chat_rate_new_sessions
            ),
            file_link_minutes=settings.web_chat_file_link_minutes,
            history_days=settings.web_chat_history_days,
            cookie_secure=settings.web_chat_cookie_secure,
            trust_proxy=settings.web_chat_trust_proxy,
            redis_url=settings.redis_url,
            redis_prefix=settings.redis_prefix,
            public_url=settings.web_chat_public_url,
        )


class WebEgress:
    """One conversation step's answers to one web citizen, as rows of their chat's log."""

    def __init__(self, channel: WebChannel, who: ChannelUser, engine: ChannelEngine) -> None:
        self._channel = channel
        self._who = who
        self._engine = engine
        self._user_id: int | None = None

    async def _user(self) -> int:
        if self._user_id is None:
            user, _ = await self._engine.citizen(self._who)
            self._user_id = user.id
        return self._user_id

    async def send(self, view: View) -> int:
        return await self._channel.write(self._engine, await self._user(), self._who.chat_id, view)

    async def replace(self, message_id: int, view: View) -> int:
        return await self._channel.write(self._engine, await self._user(), self._who.chat_id, view, message_id)

    async def toast(self, text: str | None, alert: bool = False) -> None:
        if text:
            await self._channel.store.append(await self._user(), "toast", {"text": text, "alert": alert})

    async def finish(self) -> None:
        return None


class WebMessenger:
    """The delivery room's way to a web citizen: the message goes into their chat's log, read when they come
    back. A citizen whose record is gone is Blocked (nobody will read it)."""

    def __init__(self, channel: WebChannel) -> None:
        self._channel = channel

    @property
    def channel(self) -> str:
        return WEB

    @property
    def limits(self) -> ChannelLimits:
        return ChannelLimits(rate=200.0, burst=20)  # rows in our own database: the pace is ours to choose

    async def send(self, chat_id: str, view: View) -> Outcome:
        return await self._deliver(chat_id, view, None)

    async def edit(self, chat_id: str, message_id: str, view: View) -> Outcome:
        return await self._deliver(chat_id, view, int(message_id) if message_id.isdigit() else None)

    async def _deliver(self, chat_id: str, view: View, replace: int | None) -> Outcome:
        engine = self._channel.engine
        if engine is None:
            return Failed("the web channel is not started", transient=True)
        uow = engine.work()
        try:
            async with uow:
                user = await uow.users.get(WEB, chat_id)
        finally:
            await uow.close()
        if user is None:
            return Blocked("no such web citizen")
        try:
            message_id = await self._channel.write(engine, user.id, chat_id, view, replace)
        except Exception as error:  # the database: tried again later
            return Failed(f"web chat log: {error}", transient=True)
        return Delivered(str(message_id))

    async def close(self) -> None:
        return None


class WebChannel:
    name = WEB
    number = NUMBER
    keeps_screens = True

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.cookies = SessionCookies(settings.secret)
        self.links = FileLinks(settings.secret, settings.file_link_minutes)
        self.limits = RateLimits(settings.limits, settings.redis_url, settings.redis_prefix)
        self.engine: ChannelEngine | None = None
        self._store: WebChatStore | None = None
        self._messenger = WebMessenger(self)

    @property
    def store(self) -> WebChatStore:
        if self._store is None:
            raise RuntimeError("the web channel has no engine yet")
        return self._store

    def attach(self, engine: ChannelEngine) -> None:
        if self.engine is None:
            self.engine = engine
            self._store = WebChatStore(engine.dispatcher["session_factory"])
            engine.dispatcher.workflow_data.setdefault("erasers", []).append(self._erase)

    async def _erase(self, user_id: int) -> None:
        """/forget: the chat's log of this citizen (what they typed, what the bot showed them) and their files."""
        await self.store.clear([user_id])

    # ---------------------------------------------------------------- the Channel protocol
    def egress(self, who: ChannelUser, engine: ChannelEngine) -> WebEgress:
        self.attach(engine)
        return WebEgress(self, who, engine)

    def messenger(self) -> WebMessenger:
        return self._messenger

    def routes(self, server: web.Application, engine: ChannelEngine) -> None:
        from bot.channels.web.server import add_routes

        self.attach(engine)
        add_routes(server, self, engine)

    async def run(self, engine: ChannelEngine) -> None:
        """Housekeeping: messages and files older than the history are deleted, once an hour."""
        self.attach(engine)
        history = timedelta(days=self.settings.history_days)
        while True:
            try:
                events, files = await self.store.purge(history, history)
                if events or files:
                    log.info("web chat: %d old messages and %d files deleted", events, files)
            except Exception:
                log.warning("web chat housekeeping failed; trying again later", exc_info=True)
            await asyncio.sleep(HOUSEKEEPING_SECONDS)

    async def close(self) -> None:
        return None

    # ---------------------------------------------------------------- rendering
    async def write(
        self, engine: ChannelEngine, user_id: int, chat_id: str, view: View, replace: int | None = None
    ) -> int:
        """Write a View into the citizen's log: a new message, or (`replace`) a new version of that one drawn in
        its place. The id handlers know it by: its screen (0 without buttons)."""
        choices = payloads(view)
        screen = await engine.new_screen(chat_id, choices) if choices else 0
        file = None
        if view.attachment is not None:
            attachment = view.attachment
            mime = mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
            file_id = await self.store.put_file(user_id, attachment.filename, mime, attachment.data)
            file = {"file": file_id, "name": attachment.filename, "size": len(attachment.data), "kind": attachment.kind}
        body: dict[str, Any] = message_json(view, file)
        previous = await self.store.message(user_id, replace) if replace else None
        if previous is not None and view.attachment is None and previous.body.get("file") is None:
            await engine.retire_screen(replace or 0)
            body["ref"] = previous.body.get("ref", previous.id)
            await self.store.append(user_id, "edit", body, message_id=screen)
            return screen
        if replace:
            with contextlib.suppress(Exception):
                await engine.retire_screen(replace)
        await self.store.append(user_id, "message", body, message_id=screen)
        return screen
