"""The quiz end to end through the Bot API emulator: register → attempt → prediction → result → certificate."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import ROOT
from bot.db.quiz import QuizAnswer, QuizAttempt, QuizParticipant
from bot.domain.units import import_units
from bot.features import stores
from tests.quiz_support import contest_yaml, make_bank


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=10)])
    return settings.model_copy(update={"quiz_bank_dir": bank, "quiz_sweep_seconds": 0.2})


async def _import_units(sandbox) -> None:
    from bot.db.uow import UnitOfWork

    uow = UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())
    await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    await uow.close()


async def _scalar(sandbox, query):
    async with sandbox.app.dispatcher["session_factory"]() as session:
        return await session.scalar(query)


async def _register(sandbox, citizen, name="Nguyễn Thị Lan", payload="unit_bk-tp-ducxuan"):
    await citizen.start(payload=payload)
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1990")  # the birth year first: nobody too young gives a name or phone
    await citizen.send(name)
    return await citizen.share_contact("+84912345678")


async def _finish_registration(citizen):
    return await citizen.press("Residents")


async def _start_contest(citizen):
    """From the registration summary: the rules first, then the timer starts."""
    replies = await citizen.press("▶️ Start the contest")
    assert "Before you start" in replies[-1].text, replies[-1].describe()
    return await citizen.press("▶️ Start now")


def _answer_buttons(message):
    return [b for b in message.buttons if b.get("callback_data", "").startswith("qa:")]


async def test_register_take_contest_predict_and_get_result_rank_and_certificate(sandbox):
    await _import_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    replies = await _register(sandbox, citizen)
    assert "group" in replies[-1].text
    replies = await _finish_registration(citizen)
    summary = replies[-1]
    assert "Nguyễn Thị Lan" in summary.text and "Đức Xuân" in summary.text  # unit prefilled from the deep link
    participant = await _scalar(sandbox, select(QuizParticipant))
    assert participant.phone == "+84912345678" and participant.consent_at is not None

    replies = await _start_contest(citizen)
    question = replies[-1]
    assert re.search(r"Question 1/3 · \d+:\d\d left", question.text)
    for number in range(1, 4):
        buttons = _answer_buttons(citizen.last)
        assert buttons, citizen.last.describe()
        replies = await citizen.press(buttons[0]["text"], citizen.last)
        if number < 3:
            assert f"Question {number + 1}/3" in replies[-1].text
    assert "How many people" in citizen.last.text
    replies = await citizen.send("12x")
    assert "whole number" in replies[-1].text
    replies = await citizen.send("1500")
    texts = "\n".join(message.text for message in replies)
    assert "Score:" in texts and "Current rank: 1 of 1" in texts and "Your prediction: 1,500" in texts
    certificate = [message for message in replies if "document" in message.data]
    assert certificate and certificate[0].data["document"]["file_name"] == "certificate.png"
    stored = sandbox.emulator.get_file(certificate[0].data["document"]["file_id"])
    assert stored.data[:8] == b"\x89PNG\r\n\x1a\n"
    attempt = await _scalar(sandbox, select(QuizAttempt))
    assert attempt.status == "finished" and attempt.prediction == 1500 and attempt.answered == 3

    replies = await citizen.send("/top")
    assert "1. N.T.L." in replies[-1].text and "Your rank: 1" in replies[-1].text
    assert "Đức Xuân" in replies[-1].text  # units table

    from bot.transport.session import _KEPT

    assert _KEPT  # the response classes the bot used are held, so garbage collection cannot drop them


async def test_someone_elses_contact_is_refused(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("1985")
    await citizen.send("Trần Văn Bình")
    replies = await citizen.share_contact("+84900000001", own=False)
    assert "someone else's" in replies[-1].text
    assert (await _scalar(sandbox, select(QuizParticipant.phone))) is None
    await citizen.share_contact("+84900000002")
    assert (await _scalar(sandbox, select(QuizParticipant.phone))) == "+84900000002"


async def test_integrity_double_tap_stale_foreign_and_forged_presses_change_nothing(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(sandbox, citizen, payload=None)
    await _finish_registration(citizen)
    await _start_contest(citizen)
    first = citizen.last
    data = _answer_buttons(first)[0]["callback_data"]
    await citizen.press_data(data, first)
    # the same press again (double tap / Telegram re-sending the callback)
    await citizen.press_data(data, first)
    assert citizen.toasts[-1] == "This question is already answered."
    # a button of an older question in the same attempt, with another option
    attempt_id, position, _option = data.split(":")[1:]
    await citizen.press_data(f"qa:{attempt_id}:{position}:1", first)
    assert citizen.toasts[-1] == "This question is already answered."
    # a question not reached yet, and an option that does not exist
    await citizen.press_data(f"qa:{attempt_id}:2:0", first)
    assert citizen.toasts[-1] == "This question is closed. Please use the newest message."
    await citizen.press_data(f"qa:{attempt_id}:1:9", first)
    assert citizen.toasts[-1] == "This question is closed. Please use the newest message."
    # forged data that does not parse
    await citizen.press_data("qa:1:x:0", first)
    await citizen.press_data("qa:" + "9" * 70, first)
    assert citizen.toasts[-1].startswith("This button is out of date")
    # another person's attempt
    intruder = sandbox.citizen(language_code="en")
    await intruder.start()
    await intruder.send("/top")
    await intruder.press_data(f"qa:{attempt_id}:1:0", intruder.last)
    assert intruder.toasts[-1].startswith("This button is out of date")

    assert await _scalar(sandbox, select(func.count()).select_from(QuizAnswer)) == 1
    assert (await _scalar(sandbox, select(QuizAttempt.answered))) == 1
    # a concurrent burst of the same press: still one answer
    second = citizen.last
    data = _answer_buttons(second)[0]["callback_data"]
    updates = [citizen.emulator.press(citizen.id, second.message_id, data) for _ in range(5)]
    await asyncio.gather(*(sandbox.processed(update) for update in updates))
    assert await _scalar(sandbox, select(func.count()).select_from(QuizAnswer)) == 2
    assert (await _scalar(sandbox, select(QuizAttempt.answered))) == 2


async def test_attempt_resumes_after_the_bot_is_killed_with_the_time_really_left(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(sandbox, citizen, payload=None)
    await _finish_registration(citizen)
    await _start_contest(citizen)
    await citizen.press(_answer_buttons(citizen.last)[0]["text"], citizen.last)
    before = citizen.last
    await sandbox.kill_bot()
    # time passes while the bot is down: move the deadline closer instead of sleeping
    async with _session(sandbox.settings) as session:
        attempt = await session.scalar(select(QuizAttempt))
        attempt.deadline_at = attempt.deadline_at - timedelta(minutes=7)
        await session.commit()
    await sandbox.start_bot()
    replies = await citizen.send("/quiz")
    assert "in progress" in replies[0].text
    assert "Question 2/3" in replies[-1].text
    left = re.search(r"(\d+):(\d\d) left", replies[-1].text)
    assert left and int(left.group(1)) <= 3
    # the button on the message sent before the crash still answers the same question
    replies = await citizen.press(_answer_buttons(before)[0]["text"], before)
    assert "Question 3/3" in replies[-1].text


async def test_deadline_closes_an_idle_attempt_and_tells_the_citizen(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(sandbox, citizen, payload=None)
    await _finish_registration(citizen)
    await _start_contest(citizen)
    question = citizen.last
    await citizen.press(_answer_buttons(question)[0]["text"], question)
    async with _session(sandbox.settings) as session:
        attempt = await session.scalar(select(QuizAttempt))
        attempt.deadline_at = attempt.started_at + timedelta(seconds=1)
        await session.commit()
    message = await sandbox.emulator.wait_for_message(citizen.id, lambda m: "Time is up" in m.text, timeout=5)
    assert re.search(r"Score: [01] of 3", message.text)
    attempt = await _scalar(sandbox, select(QuizAttempt))
    assert attempt.status == "expired" and attempt.answered == 1
    # a late press changes nothing
    await citizen.press_data(f"qa:{attempt.id}:1:0", question)
    assert citizen.toasts[-1] == "This question is closed. Please use the newest message."
    assert await _scalar(sandbox, select(func.count()).select_from(QuizAnswer)) == 1


async def test_practice_needs_no_registration_and_explains_each_answer(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    await citizen.send("/quiz")
    replies = await citizen.press("📝 Luyện tập không cần đăng ký")
    assert "Câu 1/10" in replies[-1].text
    replies = await citizen.press(_answer_buttons(citizen.last)[0]["text"], citizen.last)
    assert "💡" in replies[-1].text
    replies = await citizen.press("Câu tiếp theo ▶️")
    assert "Câu 2/10" in replies[-1].text
    assert await _scalar(sandbox, select(QuizParticipant.id)) is None
    assert (await _scalar(sandbox, select(QuizAttempt.mode))) == "practice"


async def _take_attempt(citizen, prediction="900"):
    await _start_contest(citizen)
    for _ in range(3):
        await citizen.press(_answer_buttons(citizen.last)[0]["text"], citizen.last)
    return await citizen.send(prediction)


async def test_privacy_and_forget_anonymise_but_keep_scores(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(sandbox, citizen, payload=None)
    await _finish_registration(citizen)
    replies = await citizen.send("/privacy")
    assert "+84912345678" in replies[-1].text and "1990" in replies[-1].text
    await _take_attempt(citizen)
    top = (await citizen.send("/top"))[-1].text
    assert "1. N.T.L." in top and "Nguyễn Thị Lan" not in top  # others never see the full name
    await citizen.send("/forget")
    replies = await citizen.press("🗑 Yes, erase them")
    assert "erased" in replies[-1].text
    participant = await _scalar(sandbox, select(QuizParticipant))
    assert participant.full_name is None and participant.phone is None and participant.erased_at is not None
    top = (await citizen.send("/top"))[-1].text
    assert "N.T.L." not in top and "1. Anonymous participant" in top
    assert (await _scalar(sandbox, select(QuizAttempt.status))) == "finished"
    assert "+84912345678" not in (await citizen.send("/privacy"))[-1].text


async def test_buttons_of_a_finished_attempt_are_refused_and_details_lock(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(sandbox, citizen, payload=None)
    await _finish_registration(citizen)
    await _start_contest(citizen)
    old = citizen.last
    old_data = _answer_buttons(old)[0]["callback_data"]
    for _ in range(3):
        await citizen.press(_answer_buttons(citizen.last)[0]["text"], citizen.last)
    await citizen.send("1000")
    replies = await citizen.send("/quiz")
    assert "✏️ Edit my details" not in [b["text"] for b in replies[-1].buttons]  # locked after the first attempt
    await _start_contest(citizen)
    assert "Question 1/3" in citizen.last.text
    await citizen.press_data(old_data, old)
    assert citizen.toasts[-1] == "This question is closed. Please use the newest message."
    assert await _scalar(sandbox, select(func.count()).select_from(QuizAnswer)) == 3


def _session(settings):
    from bot.db.engine import create_engine, create_session_factory

    class _Scope:
        async def __aenter__(self):
            self.engine = create_engine(settings.database_url)
            self.session = create_session_factory(self.engine)()
            return self.session

        async def __aexit__(self, *exc):
            await self.session.close()
            await self.engine.dispose()

    return _Scope()
