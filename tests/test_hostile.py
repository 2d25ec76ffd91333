"""Hostile and odd input through the real transport: each case once, by hand (tests/test_fuzz.py generates them).

Groups and channels, anonymous administrators, presses on somebody else's buttons or on messages the bot can
no longer reach, forged numbers out of range, repeated presses, failing handlers, the bot blocked: every press
is answered exactly once, no Bot API call fails because of the bot, nothing is logged as an error, and no
citizen's record, answers or chat change.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.models import User
from bot.db.quiz import QuizAttempt
from bot.sandbox.emulator import CALLBACK_EXPIRED, NOT_MODIFIED
from bot.transport.chats import GroupNotes
from bot.ui.payloads import Payload
from tests.e2e import EVERY_UPDATE, Sandbox
from tests.quiz_support import contest_yaml, make_bank

GROUP = -100500
NOT_YOURS = "Sorry, this button belongs to someone else."
PRIVATELY = "Please write to me in a private chat."
STALE = "This button is out of date. Please use the latest message or /menu."


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    return settings.model_copy(update={"quiz_bank_dir": bank, "quiz_sweep_seconds": 0.2})


@pytest.fixture
async def sandbox(settings):
    """The bot receiving every kind of update, as in webhook mode (polling asks only for the kinds it handles)."""
    running = await Sandbox(settings, allowed_updates=EVERY_UPDATE).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture):
    """What the bot logged as an error, or with a traceback, while the test ran."""
    caplog.set_level(logging.INFO)

    def logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    return logged


async def _users(sandbox) -> list[tuple[str, str, str]]:
    async with sandbox.app.dispatcher["session_factory"]() as session:
        rows = await session.execute(select(User.platform_user_id, User.chat_id, User.status).order_by(User.id))
        return [tuple(row) for row in rows]


def _replies_in(sandbox, chat_id: int, after: int) -> list[Any]:
    return [e for e in sandbox.emulator.events(chat_id, after_event=after) if e.kind in ("sent", "edited")]


def _no_bad_calls(sandbox) -> None:
    stats = sandbox.emulator.stats
    assert stats.statuses[400] == 0, stats.errors
    assert stats.errors[CALLBACK_EXPIRED] == 0  # nothing answered twice (or too late)


async def _registered(sandbox, language: str = "en"):
    citizen = sandbox.citizen(language_code=language)
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1990")
    await citizen.send("Nguyễn Thị Lan")
    await citizen.share_contact("+84912345678")
    await citizen.press("Residents")
    return citizen


async def _start_contest(citizen) -> None:  # type: ignore[no-untyped-def]
    """The rules first, then the timer starts."""
    await citizen.press("▶️ Start the contest")
    await citizen.press("▶️ Start now")


# ---------------------------------------------------------------- errors: one answer per press


async def test_a_failing_handler_answers_a_press_once_whether_or_not_it_had(sandbox, errors) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/menu")
    sandbox.emulator.set_faults(error_rate=1.0, error_statuses=(500,), methods={"sendMessage"})
    answers = sandbox.emulator.api_calls["answerCallbackQuery"]
    # Help sends its screen before answering: it fails, and the error handler answers with the apology.
    await citizen.press("❓ Help")
    assert citizen.toasts[-1].startswith("Sorry, something went wrong")
    # Practice answers the press first, then fails to send the question: no second answer.
    sandbox.emulator.set_faults()
    await citizen.send("/quiz")
    sandbox.emulator.set_faults(error_rate=1.0, error_statuses=(500,), methods={"sendMessage"})
    await citizen.press("📝 Practise, no sign-up")
    assert citizen.toasts[-1] == ""
    assert sandbox.emulator.api_calls["answerCallbackQuery"] == answers + 2
    assert sandbox.emulator.stats.errors[CALLBACK_EXPIRED] == 0
    assert len(errors()) >= 2  # the failures themselves are logged, with the update and the user


# ---------------------------------------------------------------- presses on messages the bot cannot reach


async def test_a_press_on_an_unreachable_message_sends_the_screen_anew(sandbox, errors) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    menu = citizen.message_with_button("❓ Help")
    edits = sandbox.emulator.api_calls["editMessageText"]
    for message_id in (0, menu.message_id):  # an InaccessibleMessage: id 0 (too old), or a deleted message's
        before = sandbox.emulator.event_count(citizen.id)
        update = sandbox.emulator.press_inaccessible(citizen.id, message_id, "m:guides")
        await sandbox.processed(update)
        sent = _replies_in(sandbox, citizen.id, before)
        assert [event.kind for event in sent] == ["sent"]
        assert "Public services" in (sent[0].message or {}).get("text", "")
    assert sandbox.emulator.api_calls["editMessageText"] == edits  # message 0 was never edited
    _no_bad_calls(sandbox)
    assert errors() == []


# ---------------------------------------------------------------- repeated presses


async def test_a_press_on_a_screen_already_shown_makes_no_edit(sandbox, errors) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    menu = citizen.message_with_button("📋 Public services")
    await citizen.press("📋 Public services", menu)
    edits = sandbox.emulator.api_calls["editMessageText"]
    home = sandbox.emulator.message(citizen.id, menu.message_id)
    data = home.buttons[0]["callback_data"]
    # the same button again, twice, and a double tap whose second press still carries the older message
    update = sandbox.emulator.press(citizen.id, menu.message_id, "m:guides")
    await sandbox.processed(update)
    first = sandbox.emulator.press(citizen.id, menu.message_id, data)
    second = sandbox.emulator.press(citizen.id, menu.message_id, data)
    await sandbox.processed(first)
    await sandbox.processed(second)
    assert sandbox.emulator.api_calls["editMessageText"] == edits + 1  # only the first press of the topic
    assert sandbox.emulator.stats.errors[NOT_MODIFIED] == 0
    _no_bad_calls(sandbox)
    assert errors() == []


# ---------------------------------------------------------------- numbers out of range


def _forged(payload_type: type[Payload], field_name: str) -> str:
    """A payload of this type whose `field_name` is a 60-digit number and the rest plausible."""
    parts = [payload_type.prefix]
    hints = payload_type._types()
    for name, kind in hints:
        if name == field_name:
            parts.append("9" * 60)
        elif kind is int:
            parts.append("1")
        elif kind is bool:
            parts.append("0")
        elif isinstance(kind, type) and issubclass(kind, StrEnum):
            parts.append(next(iter(kind)).value)
        else:
            parts.append("x")
    return ":".join(parts)


async def test_huge_numbers_in_button_data_are_refused_before_the_database(sandbox, errors) -> None:
    citizen = await _registered(sandbox)
    await _start_contest(citizen)
    forged = ["qa:" + "9" * 60 + ":0:3"]
    for payload_type in Payload._by_prefix.values():
        if not payload_type.__module__.startswith("bot."):
            continue  # a payload a test declared for itself (tests/test_zalo.py), not one the bot offers
        forged += [_forged(payload_type, name) for name, kind in payload_type._types() if kind is int]
    assert len(forged) >= 7
    for data in forged:
        await citizen.press_data(data, citizen.last)
        assert citizen.toasts[-1] == STALE, data
    async with sandbox.app.dispatcher["session_factory"]() as session:
        attempt = await session.scalar(select(QuizAttempt))
    assert attempt is not None and attempt.answered == 0
    _no_bad_calls(sandbox)
    assert errors() == []


# ---------------------------------------------------------------- somebody else's buttons


async def test_presses_on_someone_elses_buttons_change_nothing_anywhere(sandbox, errors) -> None:
    victim = await _registered(sandbox)
    await victim.send("/menu")
    await victim.send("/quiz")
    intruder = sandbox.citizen(language_code="en")
    await intruder.start()
    users = await _users(sandbox)
    before_victim = sandbox.emulator.event_count(victim.id)
    before_intruder = sandbox.emulator.event_count(intruder.id)
    presses = 0
    for message in victim.messages:
        for button in message.buttons:
            if "callback_data" not in button:
                continue
            data = button["callback_data"]
            update = sandbox.emulator.press(intruder.id, message.message_id, data, chat_id=victim.id, forged=True)
            await sandbox.processed(update)
            presses += 1
            assert intruder.toasts[-1] == NOT_YOURS, data
    assert presses >= 8
    assert _replies_in(sandbox, victim.id, before_victim) == []
    assert _replies_in(sandbox, intruder.id, before_intruder) == []
    assert await _users(sandbox) == users
    _no_bad_calls(sandbox)
    assert errors() == []


# ---------------------------------------------------------------- groups and channels


async def test_a_group_gets_one_short_note_and_nothing_from_it_is_stored(sandbox, errors) -> None:
    emulator = sandbox.emulator
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    other = sandbox.citizen(language_code="vi")
    emulator.add_group(GROUP, "Thôn Bản Vàng", owner=citizen.id, members=[other.id])
    users = await _users(sandbox)
    await sandbox.processed(emulator.add_bot_to_chat(GROUP, by=citizen.id))
    notes = emulator.messages(GROUP)
    assert len(notes) == 1 and "https://t.me/sandbox_bot" in notes[0].text
    assert notes[0].buttons[0]["url"] == "https://t.me/sandbox_bot"
    # Asked again and again, by anyone, in any way: no second note within the interval.
    for update in (
        emulator.send_text(citizen.id, "/quiz", chat_id=GROUP),
        emulator.send_text(other.id, "/start@sandbox_bot unit_tn-ducxuan", chat_id=GROUP),
        emulator.send_anonymous_admin(GROUP, "/help"),
        emulator.send_text(other.id, "trả lời bot", chat_id=GROUP, reply_to=notes[0].message_id),
    ):
        await sandbox.processed(update)
    assert len(emulator.messages(GROUP)) == 1
    # A press in the group (the note has only a link; this one is forged) is answered privately.
    await sandbox.processed(emulator.press(other.id, notes[0].message_id, "m:help", chat_id=GROUP))
    assert other.toasts[-1] == "Mời bạn nhắn riêng cho tôi."  # in their language
    assert len(emulator.messages(GROUP)) == 1
    assert await _users(sandbox) == users  # nobody's chat became the group; nobody new was recorded
    _no_bad_calls(sandbox)
    assert errors() == []


def test_group_notes_are_rate_limited_per_group() -> None:
    now = [0.0]
    notes = GroupNotes(interval=600, size=2, clock=lambda: now[0])
    assert notes.due(GROUP) and not notes.due(GROUP) and notes.due(GROUP - 1)
    now[0] = 599
    assert not notes.due(GROUP)
    now[0] = 600
    assert notes.due(GROUP)


async def test_channels_get_nothing_ever(sandbox, errors) -> None:
    emulator = sandbox.emulator
    owner = sandbox.citizen(language_code="en")
    emulator.add_channel(-100600, "Tin xã", owner=owner.id)
    await sandbox.processed(emulator.add_bot_to_chat(-100600, by=owner.id))
    post = emulator.post_to_channel(-100600, "/start")
    await sandbox.processed(post)
    await sandbox.processed(emulator.edit_channel_post(-100600, post["channel_post"]["message_id"], "/help"))
    assert emulator.messages(-100600) == []
    assert await _users(sandbox) == []
    _no_bad_calls(sandbox)
    assert errors() == []


async def test_a_citizen_who_writes_in_a_group_still_gets_their_results_privately(sandbox, errors) -> None:
    emulator = sandbox.emulator
    citizen = await _registered(sandbox)
    await _start_contest(citizen)
    emulator.add_group(GROUP, "Hội phụ nữ", owner=citizen.id, type="group")
    await sandbox.processed(emulator.add_bot_to_chat(GROUP, by=citizen.id, admin=True))  # it reads everything
    for text in ("Chào cả nhà", "/quiz", "/top"):
        await sandbox.processed(emulator.send_text(citizen.id, text, chat_id=GROUP))
    assert (await _users(sandbox))[0][1] == str(citizen.id)
    async with sandbox.app.dispatcher["session_factory"]() as session:
        attempt = await session.scalar(select(QuizAttempt))
        attempt.deadline_at = attempt.started_at + timedelta(seconds=1)
        await session.commit()
    await emulator.wait_for_message(citizen.id, lambda m: "Time is up" in m.text, timeout=5)
    assert [m.text for m in emulator.messages(GROUP) if "Time is up" in m.text or "Score" in m.text] == []
    assert len(emulator.messages(GROUP)) == 1  # the note, once
    _no_bad_calls(sandbox)
    assert errors() == []


async def test_blocking_and_unblocking_the_bot_is_recorded(sandbox, errors) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await sandbox.processed(sandbox.emulator.block(citizen.id))
    assert (await _users(sandbox))[0][2] == "blocked"
    await sandbox.processed(sandbox.emulator.unblock(citizen.id))
    assert (await _users(sandbox))[0][2] == "active"
    # Someone the bot never heard from blocks it: nothing is recorded about them.
    stranger = sandbox.citizen(language_code="en")
    await sandbox.processed(sandbox.emulator.block(stranger.id))
    assert len(await _users(sandbox)) == 1
    assert errors() == []


# ---------------------------------------------------------------- digits that are not digits


async def test_superscripts_and_other_scripts_digits_in_a_birth_year_or_a_prediction(sandbox, errors) -> None:
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    replies = await citizen.send("¹⁹⁹⁰")  # digits to str.isdigit(), not to int()
    assert replies[-1].text.startswith("Please type a birth year with four digits")
    await citizen.send("１９９０")  # fullwidth digits, as some keyboards type them: 1990
    await citizen.send("Nguyễn Thị Lan")
    replies = await citizen.share_contact("+84912345678")
    assert "Residents" in [b["text"] for b in replies[-1].buttons]
    await citizen.press("Residents")
    await _start_contest(citizen)
    for _ in range(3):
        answers = [b for b in citizen.last.buttons if b.get("callback_data", "").startswith("qa:")]
        await citizen.press(answers[0]["text"], citizen.last)
    replies = await citizen.send("²")
    assert replies[-1].text.startswith("Please type a whole number between 0 and")
    replies = await citizen.send("١٥٠٠")  # Arabic-Indic digits: 1500
    assert any("Your prediction: 1,500" in message.text for message in replies)
    _no_bad_calls(sandbox)
    assert errors() == []


async def test_results_go_to_the_private_chat_even_where_an_older_version_stored_a_group(sandbox, errors) -> None:
    emulator = sandbox.emulator
    citizen = await _registered(sandbox)
    await _start_contest(citizen)
    emulator.add_group(GROUP, "Hội phụ nữ", owner=citizen.id, type="group")
    await sandbox.processed(emulator.add_bot_to_chat(GROUP, by=citizen.id, admin=True))
    async with sandbox.app.dispatcher["session_factory"]() as session:
        user = await session.scalar(select(User))
        user.chat_id = str(GROUP)  # what a message in a group did before
        attempt = await session.scalar(select(QuizAttempt))
        attempt.deadline_at = attempt.started_at + timedelta(seconds=1)
        await session.commit()
    await emulator.wait_for_message(citizen.id, lambda m: "Time is up" in m.text, timeout=5)
    assert [m.text for m in emulator.messages(GROUP) if "Time is up" in m.text] == []
    # After an upgrade (a fresh process), the next private message puts the private chat back in the record.
    await sandbox.restart_bot()
    await citizen.send("/help")
    assert (await _users(sandbox))[0][1] == str(citizen.id)
    assert errors() == []
