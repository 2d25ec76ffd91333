"""Buttons of a finished step are stale: they get the stale-button toast and change nothing, and no message
states something false about what is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import User
from bot.db.quiz import QuizParticipant
from tests.citizen_support import load_units, scalar, up_to_phone
from tests.quiz_support import contest_yaml, make_bank

STALE = "This button is out of date. Please use the latest message or /menu."


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={"quiz_bank_dir": make_bank(tmp_path / "quiz_bank", [contest_yaml()])})


def _consent_messages(citizen):
    return [m for m in citizen.messages if any(b["text"] == "✖️ No, thank you" for b in m.buttons)]


async def _register(citizen):
    await up_to_phone(citizen)
    await citizen.share_contact("+84912345678")
    return await citizen.press("Residents")


async def test_an_old_no_thanks_after_registering_is_stale_and_says_nothing_false(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.send("/quiz")  # two consent messages, as after tapping the quiz button twice
    first, second = _consent_messages(citizen)
    replies = await citizen.press("✅ I agree", second)
    assert "✅ I agree" in replies[0].text and not replies[0].buttons  # the answered consent keeps the answer
    before = len(citizen.messages)
    await citizen.press("✖️ No, thank you", first)
    await citizen.press("✅ I agree", first)
    assert citizen.toasts[-2:] == [STALE, STALE]
    assert len(citizen.messages) == before
    assert not any("nothing was saved" in m.text for m in citizen.messages)
    assert (await scalar(sandbox, select(QuizParticipant.consent_at))) is not None


async def test_no_thanks_after_forget_does_not_claim_nothing_is_stored(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(citizen)
    await citizen.send("/forget")
    await citizen.press("🗑 Yes, erase them")
    await citizen.send("/quiz")
    replies = await citizen.press("✖️ No, thank you")
    assert "nothing was saved" not in replies[-1].text
    assert "nothing new was saved" in replies[-1].text and "/privacy" in replies[-1].text


async def test_group_and_unit_buttons_of_answered_questions_are_stale(sandbox):
    await load_units(sandbox)
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    await citizen.share_contact("+84912345678")
    group_question = citizen.last
    await citizen.press("Residents", group_question)
    await citizen.press("Đ")
    picker = citizen.last
    await citizen.press("Đức Xuân", picker)
    assert "Your registration" in citizen.last.text
    # The same buttons pressed again (kept by a client, or re-sent): the steps are over.
    await citizen.press_data("qg:officials", group_question)
    assert citizen.toasts[-1] == STALE
    await citizen.press_data("uc:r:tn-backan", picker)
    assert citizen.toasts[-1] == STALE
    await citizen.press_data("ul:r:tn:B:0", picker)
    assert citizen.toasts[-1] == STALE
    assert (await scalar(sandbox, select(QuizParticipant.group_id))) == "citizens"
    assert (await scalar(sandbox, select(User.unit_code))) == "tn-ducxuan"


async def test_editing_a_field_makes_its_question_open_again(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(citizen)
    await citizen.press("✏️ Edit my details")
    replies = await citizen.press("Group")
    assert "What would you like to change?" in replies[0].text and "✅ Group" in replies[0].text
    await citizen.press("Officials")
    assert (await scalar(sandbox, select(QuizParticipant.group_id))) == "officials"


async def test_an_old_erase_confirmation_is_stale_once_erased_or_registered_again(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(citizen)
    await citizen.send("/forget")
    old = citizen.last
    await citizen.send("/forget")
    replies = await citizen.press("🗑 Yes, erase them", citizen.last)
    assert "✅ 🗑 Yes, erase them" in replies[0].text and "erased" in replies[-1].text
    before = len(citizen.messages)
    await citizen.press("🗑 Yes, erase them", old)
    assert citizen.toasts[-1] == STALE and len(citizen.messages) == before
    # Registered again: the confirmation asked before must not erase the new details.
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    await citizen.send("Trần Văn Bình")
    await citizen.share_contact("+84900000002")
    await citizen.press("🗑 Yes, erase them", old)
    assert citizen.toasts[-1] == STALE
    assert (await scalar(sandbox, select(QuizParticipant.full_name))) == "Trần Văn Bình"


async def test_nothing_to_erase_is_said_as_it_is(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.send("/forget")
    assert "nothing to erase" in replies[-1].text
    assert not any(b["text"].startswith("🗑") for b in replies[-1].buttons)


async def test_no_keep_them_erases_nothing(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(citizen)
    await citizen.send("/forget")
    replies = await citizen.press("✖️ No, keep them")
    assert "Nothing was erased" in replies[-1].text
    assert (await scalar(sandbox, select(QuizParticipant.full_name))) == "Nguyễn Thị Lan"


async def test_an_old_language_question_with_the_same_language_sends_nothing(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/language")
    picker = citizen.last
    await citizen.send("/language")
    await citizen.press("English", citizen.last)
    before = len(citizen.messages)
    await citizen.press("English", picker)
    assert len(citizen.messages) == before
    assert picker.message_id in {m.message_id for m in citizen.messages if m.text.startswith("✅")}
