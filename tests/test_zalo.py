"""What only Zalo needs: the webhook's signature, retried events, a crash between the answer and the handling,
five buttons a message, 2,000 characters a text, payloads typed by hand, tokens under two workers, and the
48-hour window in a broadcast's report. The real bot against the Zalo OA emulator over HTTP."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.channels.render import split_text
from bot.channels.zalo import channel as zalo_channel
from bot.channels.zalo import render
from bot.channels.zalo.api import ZaloAPI
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.events import PRESS
from bot.channels.zalo.tokens import TokenService
from bot.db.channels import InboxRow
from bot.db.models import User
from bot.db.outbox import DeliveryRow
from bot.db.uow import UnitOfWork
from bot.domain.broadcasts import service
from bot.domain.broadcasts.records import DEFAULT_VERSION, ContentKind, Version
from bot.domain.clock import utcnow
from bot.features import stores
from bot.ui.payloads import Payload
from bot.ui.view import Choice, View, rows
from tests.broadcast_support import fast, wait_until
from tests.zalo_support import ZaloSandbox


@pytest.fixture
async def zalo(settings):
    sandbox = await ZaloSandbox(fast(settings)).start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def _scalar(zalo: ZaloSandbox, query):
    async with zalo.app.dispatcher["session_factory"]() as session:
        return await session.scalar(query)


async def _user(zalo: ZaloSandbox, citizen) -> User:
    async with zalo.app.dispatcher["session_factory"]() as session:
        return await session.scalar(select(User).where(User.platform == "zalo", User.platform_user_id == citizen.id))


# ---------------------------------------------------------------- the webhook


async def test_signature_good_bad_and_missing(zalo, caplog):
    citizen = zalo.citizen()
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo.channel"):
        assert await citizen.send_text("/start", signing="bad") == 401
        assert await citizen.send_text("/start", signing="missing") == 401
    await zalo.settle()
    assert citizen.messages == []  # nothing processed
    assert await _scalar(zalo, select(func.count()).select_from(InboxRow)) == 0
    assert await _user(zalo, citizen) is None
    refusals = [record.getMessage() for record in caplog.records if "signature" in record.getMessage()]
    assert len(refusals) == 2 and "wrong" in refusals[0] and "no signature" in refusals[1]
    replies = await zalo.send(citizen, "/start")
    assert replies and "ngôn ngữ" in replies[-1].text
    user = await _user(zalo, citizen)
    assert user.platform_user_id == citizen.id and int(citizen.id) > 2**53  # kept as the string it is


async def test_a_retried_event_is_handled_once_and_echoes_are_dropped(zalo):
    citizen = zalo.citizen()
    replies = await zalo.send(citizen, "/start")
    assert len(replies) == 1
    for _ in range(3):  # Zalo sends it again: it got no 200 in time, it thinks
        assert await citizen.resend_last() == 200
    await zalo.settle()
    assert len(citizen.messages) == 1
    await wait_until(lambda: len(zalo.emulator.webhook_answers) >= 5, what="the OA's echo reached the webhook")
    await zalo.settle()
    # one inbox row: the event; the OA's own echo was answered 200 and never stored
    assert await _scalar(zalo, select(func.count()).select_from(InboxRow)) == 1
    assert await _scalar(zalo, select(InboxRow.handled_at)) is not None


async def test_a_crash_between_the_answer_and_the_handling_loses_nothing(zalo, monkeypatch):
    citizen = zalo.citizen()
    stuck = asyncio.Event()
    original = ZaloChannel._dispatch

    async def never(self, engine, inbound, sequence):
        stuck.set()
        await asyncio.Event().wait()  # the process dies before it handles the event

    monkeypatch.setattr(ZaloChannel, "_dispatch", never)
    # On PostgreSQL several processes share the inbox: the dead process's claim is taken over when it ends;
    # claims are shortened here so that the test does not wait a minute.
    monkeypatch.setattr(zalo_channel, "CLAIM_SECONDS", 1.0)
    monkeypatch.setattr(zalo_channel, "SWEEP_SECONDS", 0.5)
    assert await citizen.send_text("/start") == 200  # answered: stored
    await asyncio.wait_for(stuck.wait(), 5)
    await zalo.kill_bot()
    assert citizen.messages == []
    monkeypatch.setattr(ZaloChannel, "_dispatch", original)
    await zalo.start_bot()
    await wait_until(lambda: citizen.messages, what="the stored event handled after the restart")
    await zalo.settle()
    assert "ngôn ngữ" in citizen.messages[-1].text and len(citizen.messages) == 1
    assert await _scalar(zalo, select(InboxRow.handled_at)) is not None


async def test_the_sweep_takes_only_events_nobody_holds(zalo):
    """What a sweep takes again on PostgreSQL: never claimed and old (the receiver died first), or claimed with a
    claim that ended; never one a live process still holds, however old the event is."""
    from bot.db.channels import ChannelRepository

    now = utcnow()
    long_ago = now - timedelta(minutes=10)
    async with zalo.app.dispatcher["session_factory"]() as session:
        repo = ChannelRepository(session)
        unclaimed_old = await repo.inbox_add("sweep-test", "a", "{}", long_ago)
        unclaimed_new = await repo.inbox_add("sweep-test", "b", "{}", now)
        held = await repo.inbox_add("sweep-test", "c", "{}", long_ago)
        ended = await repo.inbox_add("sweep-test", "d", "{}", long_ago)
        assert None not in (unclaimed_old, unclaimed_new, held, ended)
        assert await repo.inbox_claim(held, now, now + timedelta(seconds=60))
        assert await repo.inbox_claim(ended, long_ago, now - timedelta(seconds=1))
        assert not await repo.inbox_claim(held, now, now + timedelta(seconds=60))  # held: nobody else takes it
        await session.commit()
        stale = [event.id for event in await repo.inbox_pending("sweep-test", 10, now - timedelta(seconds=60), now)]
        assert stale == [unclaimed_old, ended]
        everything = await repo.inbox_pending("sweep-test", 10)
        assert [event.id for event in everything] == [unclaimed_old, unclaimed_new, held, ended]
        assert await repo.inbox_claim(held, now, now + timedelta(seconds=60), force=True)  # its own, at start-up
        await session.commit()


# ---------------------------------------------------------------- the renderer


class _Pick(Payload, prefix="zt"):
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def pack(self) -> str:
        return f"zt:{self.n}"


def test_more_than_five_buttons_are_spread_over_numbered_messages_of_one_screen():
    view = View(text="Pick one", buttons=rows(*(Choice(f"Option {n}", _Pick(n)) for n in range(12))))
    messages = render.messages(view, screen_id=41)
    buttons = [m["attachment"]["payload"]["buttons"] for m in messages]
    assert [len(b) for b in buttons] == [4, 4, 4]  # even pages, none above 5
    assert messages[0]["text"].startswith("Pick one") and messages[1]["text"] == "(2/3)"
    payloads = [button["payload"] for page in buttons for button in page]
    assert [PRESS.match(p).groups() for p in payloads] == [("41", f"zt:{n}") for n in range(12)]
    assert len(render.messages(View("x", rows(*(Choice(str(n), _Pick(n)) for n in range(5)))), 1)) == 1


def test_a_long_text_is_split_on_paragraph_boundaries_within_2000_characters():
    paragraphs = [f"Đoạn {n}. " + "chữ " * (90 + n * 7) for n in range(20)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    parts = split_text(text, render.TEXT_LIMIT)
    assert len(parts) > 1 and all(len(part) <= 2000 for part in parts)
    assert "\n\n".join(parts) == text  # cut only between paragraphs, nothing lost
    long_word = "x" * 4500
    assert [len(p) for p in split_text(long_word, 2000)] == [2000, 2000, 500]
    html = View(text="<b>Bước 1</b> &amp; <a href='https://dichvucong.gov.vn'>Cổng DVC</a>")
    assert render.messages(html, 0)[0]["text"] == "Bước 1 & Cổng DVC (https://dichvucong.gov.vn)"


async def test_a_long_screen_reaches_the_citizen_within_zalo_limits(zalo):
    citizen = zalo.citizen()
    await zalo.send(citizen, "/start")
    await zalo.press(citizen, "English")
    await zalo.send(citizen, "/help")
    await zalo.send(citizen, "📋 Public services")
    assert zalo.emulator.refused == []  # the emulator refuses > 5 buttons or > 2,000 characters
    assert all(len(m.buttons) <= 5 and len(m.text) <= 2000 for m in citizen.messages)


# ---------------------------------------------------------------- presses typed by hand


async def test_a_payload_typed_by_hand_is_validated_like_a_press(zalo):
    citizen = zalo.citizen()
    replies = await zalo.send(citizen, "/start")
    picker = replies[-1]
    screen = PRESS.match(picker.buttons[0]["payload"]).group(1)
    # not offered on that screen: stale, nothing changes
    replies = await zalo.send(citizen, f"zb:{screen}:lang:xx")
    assert len(replies) == 1 and replies[0].buttons == []  # the stale notice alone
    assert (await _user(zalo, citizen)).language is None
    # without the screen: plain text, nothing changes
    await zalo.send(citizen, "lang:en")
    assert (await _user(zalo, citizen)).language is None
    # another citizen's screen: stale
    other = zalo.citizen()
    other_picker = (await zalo.send(other, "/start"))[-1]
    other_screen = PRESS.match(other_picker.buttons[0]["payload"]).group(1)
    await zalo.send(citizen, f"zb:{other_screen}:lang:en")
    assert (await _user(zalo, citizen)).language is None
    # exactly what the button offers: the same as pressing it
    await zalo.send(citizen, f"zb:{screen}:lang:en")
    assert (await _user(zalo, citizen)).language == "en"
    # the picker was replaced by the answer: pressing it again is stale
    replies = await zalo.send(citizen, f"zb:{screen}:lang:th")
    assert "out of date" in replies[0].text
    assert (await _user(zalo, citizen)).language == "en"


# ---------------------------------------------------------------- tokens


async def test_token_refresh_under_two_workers_spends_the_refresh_token_once(zalo):
    settings = zalo.app.settings
    factory = zalo.app.dispatcher["session_factory"]
    later = [timedelta(0)]
    apis = [ZaloAPI(settings.zalo_api_url, settings.zalo_oauth_url) for _ in range(2)]
    workers = [
        TokenService(
            "zalo",
            api,
            settings.zalo_app_id,
            settings.zalo_app_secret,
            lambda: UnitOfWork(factory, stores()),
            settings.zalo_access_token,
            settings.zalo_refresh_token,
            clock=lambda: utcnow() + later[0],
        )
        for api in apis
    ]
    try:
        first = await workers[0].access_token()  # seeds the stored tokens
        assert await workers[1].access_token() == first
        later[0] = timedelta(hours=2)  # the access token runs out for both workers
        tokens = await asyncio.gather(*(worker.access_token() for worker in workers for _ in range(3)))
        assert len(set(tokens)) == 1 and tokens[0] != first
        assert len(zalo.emulator.spent_refresh) == 1 and zalo.emulator.refresh_refused == 0
        assert sum(worker.refreshes for worker in workers) == 1
        # and the bot still sends with it
        citizen = zalo.citizen()
        zalo.emulator.expire_access_tokens()  # refused by Zalo: the bot refreshes once more and carries on
        replies = await zalo.send(citizen, "/start")
        assert replies and zalo.emulator.refresh_refused == 0 and len(zalo.emulator.spent_refresh) == 2
    finally:
        for api in apis:
            await api.close()


# ---------------------------------------------------------------- the delivery room


async def test_the_48_hour_window_in_a_broadcast_report(zalo):
    recent, away = zalo.citizen(), zalo.citizen()
    for citizen in (recent, away):
        await zalo.send(citizen, "/start")
        await zalo.press(citizen, "English")
    factory = zalo.app.dispatcher["session_factory"]
    async with factory() as session:
        await session.execute(
            update(User).where(User.platform_user_id == away.id).values(last_seen=utcnow() - timedelta(hours=60))
        )
        await session.commit()
    uow = UnitOfWork(factory, stores())
    try:
        draft = await service.new_draft(uow, "test", None)
        await service.save_version(uow, draft.id, Version(DEFAULT_VERSION, ContentKind.text, "Lịch tiêm chủng mới"))
        scope = service.scope("vi", zalo.app.settings.delivery_channels)
        await service.confirm(uow, draft.id, "test", scope)
        zalo.app.delivery.wake()
        await wait_until(
            lambda: any(m.text == "Lịch tiêm chủng mới" for m in recent.messages), what="the announcement on Zalo"
        )

        async def done() -> bool:
            return await _scalar(zalo, select(func.count()).where(DeliveryRow.state.in_(("pending", "sending")))) == 0

        for _ in range(100):
            if await done():
                break
            await asyncio.sleep(0.1)
        assert not any(m.text == "Lịch tiêm chủng mới" for m in away.messages)
        reason = await _scalar(zalo, select(DeliveryRow.reason).where(DeliveryRow.state == "skipped"))
        assert reason == "outside Zalo's 48-hour window"
        report = await service.report(uow, draft.id, 25)
        assert report is not None and report.progress.sent == 1 and report.progress.skipped == 1
        assert report.skipped_reasons == (("outside Zalo's 48-hour window", 1),)
        from bot.i18n import use_locale
        from bot.ui.screens.broadcasts import report_view

        with use_locale("en"):
            text = report_view(report).text
        assert "Not sent, on Zalo, the citizen wrote last more than 48 hours ago: 1" in text
        with use_locale("vi"):
            assert "quá 48 giờ: 1" in report_view(report).text
    finally:
        await uow.close()
