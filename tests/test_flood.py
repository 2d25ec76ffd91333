"""Telegram's flood limits: sends to one chat are paced, 429s are waited out, and nothing a citizen needs is lost.

The pacer and the middleware are first tested against the emulator with a clock the test drives (fast), then
the real bot under the emulator's limits: a burst of replies, the certificate after the results, and the first
question of a timed attempt, which must be timed from its delivery.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from sqlalchemy import func, select

from bot.db.quiz import QuizAttempt
from bot.sandbox.emulator import BotAPIEmulator
from bot.transport.flood import GROUP_PACE, PRIVATE_PACE, ChatPacer, FloodControl, flood_control
from bot.transport.session import BotAPISession, install_middlewares
from tests.quiz_support import contest_yaml, make_bank
from tests.sandbox_fixtures import TOKEN, ManualClock

USER = 3001
GROUP = -100300


# ---------------------------------------------------------------- the pacer alone


def test_the_pacer_lets_a_burst_through_then_one_send_a_second() -> None:
    pacer = ChatPacer(margin=0)
    waits = [pacer.reserve(USER, 100.0) for _ in range(6)]
    assert waits == [0, 0, 0, 1.0, 2.0, 3.0]  # reserved in order: replies keep their order
    assert pacer.reserve(USER, 110.0) == 0  # the bucket refilled meanwhile
    assert pacer.reserve(USER + 1, 100.0) == 0  # each chat has its own


def test_groups_are_paced_at_twenty_a_minute_and_a_429_pauses_the_chat() -> None:
    pacer = ChatPacer(margin=0)
    waits = [pacer.reserve(GROUP, 0.0) for _ in range(5)]
    assert waits == [0, 0, 0, GROUP_PACE.interval, 2 * GROUP_PACE.interval]
    assert pacer.reserve("@channel", 0.0) == 0  # public usernames are groups or channels
    pacer.pause(USER, until=7.0)
    assert pacer.reserve(USER, 2.0) == 5.0
    assert pacer.reserve(USER, 7.0) == PRIVATE_PACE.interval  # after a pause, one a second: no burst at once


def test_the_pacer_forgets_chats_that_are_quiet_again() -> None:
    pacer = ChatPacer(prune_above=100)
    for chat in range(1000):
        pacer.reserve(chat, float(chat))  # each chat sends once, a second after the previous one
    assert len(pacer) <= 101


# ---------------------------------------------------------------- the middleware, on a clock the test drives


@pytest.fixture
async def limited() -> AsyncIterator[tuple[BotAPIEmulator, ManualClock]]:
    clock = ManualClock()
    emulator = BotAPIEmulator(token=TOKEN, rate_limit=True, clock=clock)
    await emulator.start()
    emulator.add_user(USER, "Lan", started=True)
    try:
        yield emulator, clock
    finally:
        await emulator.stop()


def _bot(emulator: BotAPIEmulator, control: FloodControl) -> Bot:
    session = BotAPISession(api=TelegramAPIServer.from_base(emulator.base_url))
    session.middleware(control)
    return Bot(TOKEN, session=session)


def _driven(clock: ManualClock, **options: object) -> tuple[FloodControl, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes for the emulator too
        slept.append(seconds)
        clock.advance(seconds)

    return FloodControl(clock=clock, sleep=sleep, **options), slept  # type: ignore[arg-type]


async def test_a_429_is_waited_out_and_the_send_made_again(limited) -> None:
    emulator, clock = limited
    control, slept = _driven(clock, pacer=None)
    bot = _bot(emulator, control)
    try:
        for number in range(5):
            await bot.send_message(USER, f"message {number}")
    finally:
        await bot.session.close()
    assert [m.text for m in emulator.messages(USER)] == [f"message {n}" for n in range(5)]
    assert emulator.stats.rate_limited["chat"] == 2  # the 4th and the 5th were refused once each
    assert slept == [1, 1]
    stats = control.stats
    assert (stats.rate_limited, stats.retried, stats.gave_up, stats.waited_seconds) == (2, 2, 0, 2.0)
    assert stats.by_method == {"sendMessage": 2}


async def test_the_pacer_keeps_the_bot_under_the_limit(limited) -> None:
    emulator, clock = limited
    control, slept = _driven(clock)
    bot = _bot(emulator, control)
    try:
        for number in range(8):
            await bot.send_message(USER, f"message {number}")
    finally:
        await bot.session.close()
    assert len(emulator.messages(USER)) == 8
    assert emulator.stats.statuses[429] == 0 and control.stats.rate_limited == 0
    assert control.stats.paced == 5 and len(slept) == 5
    assert emulator.stats.achieved_rate(USER) <= 8 / 5.0  # 3 at once, then one a second (and a margin)


async def test_past_its_budget_a_send_is_handed_over_and_other_calls_are_not_held_back(limited) -> None:
    emulator, clock = limited
    emulator.set_rate_limits(chat_per_second=0.01, chat_burst=1)  # the next send only in 100 s
    control, slept = _driven(clock, max_wait=30.0)
    bot = _bot(emulator, control)
    try:
        await bot.send_message(USER, "one")
        with pytest.raises(TelegramRetryAfter) as refused:
            await bot.send_message(USER, "two")
        assert refused.value.retry_after == 100
        # The pacer now knows the chat is paused: the next send is refused at once, without a request.
        calls = emulator.api_calls["sendMessage"]
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(USER, "three")
        assert emulator.api_calls["sendMessage"] == calls
        # Reading and answering are never paced.
        await bot.get_me()
    finally:
        await bot.session.close()
    assert slept == []
    assert control.stats.gave_up == 2 and control.stats.rate_limited == 1


async def test_the_bot_session_has_flood_control(sandbox) -> None:
    assert flood_control(sandbox.app.bot) is not None
    session = BotAPISession()
    install_middlewares(session)
    assert [type(m) for m in session.middleware] == [FloodControl]
    await session.close()


# ---------------------------------------------------------------- the real bot under Telegram's limits


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    return settings.model_copy(update={"quiz_bank_dir": bank})


async def _registered(sandbox, language: str = "en"):
    citizen = sandbox.citizen(language_code=language)
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1990")
    await citizen.send("Nguyễn Thị Lan")
    await citizen.share_contact("+84912345678")
    await citizen.press("Residents")
    await citizen.press("▶️ Start the contest")  # the rules; "Start now" starts the timer
    return citizen


async def test_a_burst_of_replies_all_arrive_without_provoking_a_429(sandbox) -> None:
    sandbox.set_rate_limits(True)
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()  # the language question, then welcome and menu
    replies = await citizen.send("/quiz")  # the contest's introduction, then the consent screen
    assert "Before you take part" in replies[-1].text
    texts = [message.text for message in citizen.messages]
    assert any("Hello" in text for text in texts) and any("Main menu" in text for text in texts)
    assert sandbox.emulator.stats.statuses[429] == 0
    control = flood_control(sandbox.app.bot)
    assert control is not None and control.stats.paced >= 1


async def test_when_telegram_is_stricter_than_the_pacer_429s_are_waited_out(sandbox) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    sandbox.set_rate_limits(True, chat_burst=1, chat_per_second=2)  # stricter than the bot's pace
    replies = await citizen.send("/quiz")
    assert "Before you take part" in replies[-1].text
    control = flood_control(sandbox.app.bot)
    assert control is not None
    assert sandbox.emulator.stats.statuses[429] == control.stats.rate_limited >= 1
    assert control.stats.retried == control.stats.rate_limited and control.stats.gave_up == 0
    assert control.stats.waited_seconds >= 1


async def test_the_certificate_comes_after_the_results_and_every_review(sandbox) -> None:
    citizen = await _registered(sandbox)
    await citizen.press("▶️ Start now")
    for _ in range(3):
        wrong = [b for b in citizen.last.buttons if b.get("callback_data", "").startswith("qa:")]
        await citizen.press(wrong[-1]["text"], citizen.last)
    sandbox.set_rate_limits(True, chat_burst=2, chat_per_second=2)
    replies = await citizen.send("1500")  # the prediction: then the result, the reviews and the certificate
    assert any("Score:" in message.text for message in replies)
    assert "document" in replies[-1].data and replies[-1].data["document"]["file_name"] == "certificate.png"
    control = flood_control(sandbox.app.bot)
    assert control is not None and control.stats.gave_up == 0


async def _attempt(sandbox) -> QuizAttempt | None:
    async with sandbox.app.dispatcher["session_factory"]() as session:
        return await session.scalar(select(QuizAttempt))


async def test_the_first_question_is_timed_from_its_delivery(sandbox) -> None:
    citizen = await _registered(sandbox)
    sandbox.set_rate_limits(True, chat_burst=1, chat_per_second=0.25)
    await sandbox.app.bot.send_message(citizen.id, "(news)")  # Telegram's bucket for this chat is now empty
    pressed = datetime.now(UTC)
    replies = await citizen.press("▶️ Start now")
    assert re.search(r"Question 1/3", replies[-1].text)
    control = flood_control(sandbox.app.bot)
    assert control is not None and control.stats.waited_seconds >= 3  # the question waited out a 429
    attempt = await _attempt(sandbox)
    assert attempt is not None
    started = attempt.started_at.replace(tzinfo=UTC)
    assert started >= pressed + timedelta(seconds=3)  # not when the attempt was created
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=10)


async def test_a_first_question_that_never_arrives_costs_no_attempt(sandbox) -> None:
    citizen = await _registered(sandbox)
    sandbox.emulator.set_faults(error_rate=1.0, error_statuses=(500,), methods={"sendMessage", "editMessageText"})
    await citizen.press("▶️ Start now")
    async with sandbox.app.dispatcher["session_factory"]() as session:
        assert await session.scalar(select(func.count()).select_from(QuizAttempt)) == 0
    # the press was answered once, before the send failed, and never again
    assert sandbox.emulator.api_calls["answerCallbackQuery"] == len(citizen.toasts)
    sandbox.emulator.set_faults()
    replies = await citizen.press("▶️ Start now")
    assert "Question 1/3" in replies[-1].text
    attempt = await _attempt(sandbox)
    assert attempt is not None and attempt.number == 1
