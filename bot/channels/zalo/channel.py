"""The Zalo Official Account channel: webhook ingress with an inbox, an egress within Zalo's limits, the delivery
room's messenger with the 48-hour window.

Ingress (POST ZALO_WEBHOOK_PATH):
    signature checked (bad or missing: 401, logged, nothing stored) ─► the OA's echoes and receipts dropped ─►
    stored in channel_inbox (a retry with the same key is not stored again) ─► 200 ─► handled after the answer,
    one event of a citizen at a time, in order; an event whose handling did not finish (a crash, a lost process)
    is taken again once its claim ends, or at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelUser, Inbound
from bot.channels.render import plain_text
from bot.channels.zalo import events, render, signature
from bot.channels.zalo.api import ZaloAPI, ZaloError
from bot.channels.zalo.errors import TOKEN_INVALID, outcome
from bot.channels.zalo.tokens import TokenService
from bot.config import Settings
from bot.db.uow import UnitOfWork
from bot.delivery.records import ChannelLimits, Claimed, Delivered, Failed, Kind, Outcome, Skipped
from bot.domain.channels import CHANNELS, InboxEvent
from bot.domain.clock import utcnow
from bot.domain.platforms import ZALO
from bot.ui.view import Attachment, View

if TYPE_CHECKING:
    from aiohttp import web

    from bot.channels.engine import ChannelEngine

log = logging.getLogger(__name__)

NUMBER = 2
FREE_WINDOW = timedelta(hours=48)  # replies free within 48 h of the citizen's last interaction
PAID_WINDOW = timedelta(days=7)  # charged up to 7 days, refused later
CLAIM_SECONDS = 60.0  # an event not handled this long after it was taken is taken again
SWEEP_SECONDS = 5.0
MAX_ATTEMPTS = 5
HANDLERS = 8  # events handled at once (each citizen's in order)
KEEP_DAYS = 30  # handled events and old screens are forgotten after this


class ZaloClient:
    """Sends through the Open API with a fresh access token; a token Zalo refuses is refreshed once."""

    def __init__(self, api: ZaloAPI, tokens: TokenService) -> None:
        self.api = api
        self.tokens = tokens
        self._uploads: dict[str, str] = {}

    async def send(self, user_id: str, message: dict[str, Any]) -> str:
        token = await self.tokens.access_token()
        try:
            return await self.api.send(token, user_id, message)
        except ZaloError as error:
            if error.code != TOKEN_INVALID:
                raise
        await self.tokens.refresh()
        return await self.api.send(await self.tokens.access_token(), user_id, message)

    async def send_attachment(self, user_id: str, attachment: Attachment) -> str:
        token = await self.tokens.access_token()
        reference = await self.api.upload(token, attachment.kind, attachment.filename, attachment.data)
        if attachment.kind == "photo":
            message = {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [{"media_type": "image", "attachment_id": reference}],
                    },
                }
            }
        else:
            message = {"attachment": {"type": "file", "payload": {"token": reference}}}
        return await self.send(user_id, message)

    async def show(self, user_id: str, view: View, screen_id: int, toast: str | None = None) -> str:
        """Every message of the view; Zalo's id of the first."""
        first = ""
        if view.attachment is not None:
            first = await self.send_attachment(user_id, view.attachment)
        for message in render.messages(view, screen_id, toast):
            sent = await self.send(user_id, message)
            first = first or sent
        return first


@dataclass
class ZaloEgress:
    channel: ZaloChannel
    who: ChannelUser
    engine: ChannelEngine
    _toast: str | None = None

    async def send(self, view: View) -> int:
        choices = render.payloads_of(view)
        screen_id = await self.engine.new_screen(self.who.chat_id, choices) if choices else 0
        toast, self._toast = self._toast, None
        await self.channel.client.show(self.who.chat_id, view, screen_id, toast)
        return screen_id

    async def replace(self, message_id: int, view: View) -> int:
        # Zalo cannot edit: a new message, and the pressed one's buttons are stale from now on.
        await self.engine.retire_screen(message_id)
        return await self.send(view)

    async def toast(self, text: str | None, alert: bool = False) -> None:
        if text:
            self._toast = f"{self._toast}\n{text}" if self._toast else text

    async def finish(self) -> None:
        if self._toast:
            toast, self._toast = self._toast, None
            await self.channel.client.send(self.who.chat_id, render.text_message(plain_text(toast)))


class ZaloMessenger:
    """The delivery room's Zalo: a view to a citizen, Zalo's answers as Outcomes, and the 48-hour window."""

    def __init__(self, channel: ZaloChannel, limits: ChannelLimits) -> None:
        self._channel = channel
        self._limits = limits

    @property
    def channel(self) -> str:
        return ZALO

    @property
    def limits(self) -> ChannelLimits:
        return self._limits

    def admits(self, delivery: Claimed, now: datetime) -> Skipped | None:
        seen = delivery.last_seen
        if seen is None:
            return None
        quiet_for = now - seen
        if delivery.kind is Kind.broadcast and quiet_for > FREE_WINDOW:
            return Skipped("outside Zalo's 48-hour window")
        if quiet_for > PAID_WINDOW:
            return Skipped("outside Zalo's 7-day window")
        return None

    async def send(self, chat_id: str, view: View) -> Outcome:
        engine = self._channel.engine
        try:
            choices = render.payloads_of(view)
            screen_id = await engine.new_screen(chat_id, choices) if engine is not None and choices else 0
            message_id = await self._channel.client.show(chat_id, view, screen_id)
        except ZaloError as error:
            return outcome(error)
        except (TimeoutError, OSError) as error:
            return Failed(f"network: {error}", transient=True)
        except Exception as error:
            import aiohttp

            if isinstance(error, aiohttp.ClientError):
                return Failed(f"network: {error}", transient=True)
            raise
        return Delivered(message_id or "0")

    async def edit(self, chat_id: str, message_id: str, view: View) -> Outcome:
        return await self.send(chat_id, view)  # Zalo cannot edit: the newer message says it

    async def close(self) -> None:
        await self._channel.api.close()


class ZaloChannel:
    name = ZALO
    number = NUMBER
    keeps_screens = True  # a press comes back as text: only what a screen offered counts

    def __init__(self, settings: Settings, work: Callable[[], UnitOfWork] | None = None) -> None:
        assert settings.zalo_app_id and settings.zalo_oa_secret
        self.settings = settings
        self.app_id = settings.zalo_app_id
        self.secret = settings.zalo_oa_secret
        self.api = ZaloAPI(settings.zalo_api_url, settings.zalo_oauth_url, settings.zalo_api_timeout)
        self.engine: ChannelEngine | None = None
        self._tokens: TokenService | None = None
        self._client: ZaloClient | None = None
        self._queue: asyncio.Queue[InboxEvent] = asyncio.Queue()
        self._locks: dict[str, asyncio.Lock] = {}
        self._orphans: set[int] = set()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.rejected = 0  # webhook posts refused for their signature

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloChannel:
        return cls(settings)

    # ---------------------------------------------------------------- wiring
    def _attach(self, engine: ChannelEngine) -> None:
        if self.engine is engine:
            return
        self.engine = engine
        settings = self.settings
        self._tokens = TokenService(
            ZALO,
            self.api,
            self.app_id,
            settings.zalo_app_secret or "",
            engine.work,
            settings.zalo_access_token,
            settings.zalo_refresh_token,
            settings.zalo_token_margin_seconds,
        )
        self._client = ZaloClient(self.api, self._tokens)

    @property
    def client(self) -> ZaloClient:
        if self._client is None:
            raise RuntimeError("the Zalo channel is not attached to its engine yet")
        return self._client

    @property
    def tokens(self) -> TokenService:
        if self._tokens is None:
            raise RuntimeError("the Zalo channel is not attached to its engine yet")
        return self._tokens

    def egress(self, who: ChannelUser, engine: ChannelEngine) -> ZaloEgress:
        self._attach(engine)
        return ZaloEgress(self, who, engine)

    def messenger(self) -> ZaloMessenger:
        return ZaloMessenger(self, ChannelLimits(rate=self.settings.zalo_rate, burst=1, chat_interval=0.2))

    def routes(self, server: web.Application, engine: ChannelEngine) -> None:
        self._attach(engine)
        server.router.add_post(self.settings.zalo_webhook_path, self.webhook)

    async def close(self) -> None:
        await self.api.close()

    # ---------------------------------------------------------------- ingress
    async def webhook(self, request: web.Request) -> web.Response:
        from aiohttp import web

        body = await request.text()
        if not signature.valid(request.headers.get(signature.HEADER), self.app_id, body, self.secret):
            self.rejected += 1
            log.warning(
                "zalo webhook: %s signature from %s; refused",
                "no" if not request.headers.get(signature.HEADER) else "a wrong",
                request.remote,
            )
            return web.Response(status=401, text="bad signature")
        event = events.parse_body(body)
        if event is None:
            return web.Response(status=400, text="not JSON")
        if events.inbound(event, self.settings.zalo_oa_id) is None:
            return web.Response(text="ok")  # an echo, a receipt, or nothing a citizen did
        engine = self.engine
        assert engine is not None
        uow = engine.work()
        try:
            async with uow:
                event_id = await uow[CHANNELS].inbox_add(ZALO, events.key_of(event), body, utcnow())
                await uow.commit()
        except Exception:
            log.exception("zalo webhook: the event could not be stored; Zalo will send it again")
            return web.Response(status=503, text="try again")
        finally:
            await uow.close()
        if event_id is None:
            log.info("zalo webhook: event %s received again; handled once", events.key_of(event))
            return web.Response(text="ok")
        self._idle.clear()
        self._queue.put_nowait(InboxEvent(event_id, ZALO, events.key_of(event), body, utcnow(), 0))
        return web.Response(text="ok")

    # ---------------------------------------------------------------- handling after the answer
    async def run(self, engine: ChannelEngine) -> None:
        self._attach(engine)
        workers = [asyncio.create_task(self._work_loop(), name=f"zalo-inbox-{n}") for n in range(HANDLERS)]
        try:
            await self._sweep(at_start=True)
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                await self._sweep(at_start=False)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _sweep(self, at_start: bool) -> None:
        """Events stored but not handled: at start-up every one on SQLite (one process), otherwise those whose
        claim must have ended."""
        engine = self.engine
        assert engine is not None
        now = utcnow()
        single = self.settings.is_sqlite and at_start
        stale = None if single else now - timedelta(seconds=CLAIM_SECONDS)
        try:
            uow = engine.work()
            try:
                async with uow:
                    pending = await uow[CHANNELS].inbox_pending(ZALO, 500, stale, now)
                    if not at_start:
                        cutoff = now - timedelta(days=KEEP_DAYS)
                        await uow[CHANNELS].inbox_prune(cutoff)
                        await uow[CHANNELS].screens_prune(cutoff)
                        await uow.commit()
            finally:
                await uow.close()
        except Exception:
            log.exception("zalo: reading the inbox failed; trying again shortly")
            return
        if pending:
            log.info("zalo: %d stored event(s) to handle", len(pending))
            self._idle.clear()
        for event in pending:
            if single:  # whoever claimed it was this process before it stopped: its claim is void
                self._orphans.add(event.id)
            self._queue.put_nowait(event)

    async def _work_loop(self) -> None:
        while True:
            stored = await self._queue.get()
            self._busy += 1
            try:
                await self._handle_stored(stored)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("zalo: event %s failed; it is taken again later", stored.id)
            finally:
                self._busy -= 1
                if self._queue.empty() and self._busy == 0:
                    self._idle.set()

    async def _handle_stored(self, stored: InboxEvent) -> None:
        engine = self.engine
        assert engine is not None
        event = events.parse_body(stored.body)
        inbound = events.inbound(event, self.settings.zalo_oa_id) if event is not None else None
        lock = self._locks.setdefault(inbound.who.external_id if inbound else "", asyncio.Lock())
        async with lock:  # one event of a citizen at a time, in the order received
            # An orphan's claim, made by this process before it stopped, counts as ended.
            orphan = stored.id in self._orphans
            self._orphans.discard(stored.id)
            if not await self._claim(engine, stored.id, utcnow(), force=orphan):
                return  # handled already, or another process has it
            error: str | None = None
            if inbound is not None:
                try:
                    await self._dispatch(engine, inbound, stored.id)
                except asyncio.CancelledError:
                    raise
                except Exception as failure:
                    if stored.attempts + 1 < MAX_ATTEMPTS:
                        raise
                    error = f"{type(failure).__name__}: {failure}"
                    log.error("zalo: event %s given up after %d tries: %s", stored.id, MAX_ATTEMPTS, error)
            uow = engine.work()
            try:
                async with uow:
                    await uow[CHANNELS].inbox_done(stored.id, utcnow(), error)
                    await uow.commit()
            finally:
                await uow.close()
        if not lock.locked():
            self._locks.pop(inbound.who.external_id if inbound else "", None)

    async def _claim(self, engine: ChannelEngine, event_id: int, now: datetime, force: bool = False) -> bool:
        uow = engine.work()
        try:
            async with uow:
                until = utcnow() + timedelta(seconds=CLAIM_SECONDS)
                taken = await uow[CHANNELS].inbox_claim(event_id, now, until, force)
                await uow.commit()
        finally:
            await uow.close()
        return taken

    async def _dispatch(self, engine: ChannelEngine, inbound: Inbound, sequence: int) -> None:
        await engine.handle(inbound, sequence)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until every event received so far is handled (tests, the sandbox)."""
        await asyncio.sleep(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        if not self._idle.is_set():
            raise TimeoutError("Zalo events still being handled")
