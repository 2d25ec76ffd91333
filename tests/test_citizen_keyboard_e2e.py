"""The big buttons under the chat are always there: a step that replaces them (sharing the phone number) gives
them back however it ends — the number shared, a command, or a button of an older message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.quiz import QuizParticipant
from tests.citizen_support import BIG_BUTTONS_EN, scalar, up_to_phone
from tests.quiz_support import contest_yaml, make_bank

SHARE = "📱 Share my phone number"


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={"quiz_bank_dir": make_bank(tmp_path / "quiz_bank", [contest_yaml()])})


async def test_typing_the_name_and_the_birth_year_keeps_the_big_buttons(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    assert citizen.keyboard_labels == BIG_BUTTONS_EN  # asking the birth year removes nothing
    await citizen.send("1990")
    assert citizen.keyboard_labels == BIG_BUTTONS_EN  # nor does asking the name


async def test_sharing_the_number_brings_the_big_buttons_back(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    assert citizen.keyboard_labels == [SHARE]
    replies = await citizen.share_contact("+84912345678")
    assert "+84912345678" in replies[0].text  # the answer stays in the chat's history
    assert citizen.keyboard_labels == BIG_BUTTONS_EN
    assert "group" in replies[-1].text  # and registration goes on


async def test_a_button_of_an_older_message_leaves_the_step_and_brings_them_back(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    replies = await citizen.press("📋 Public services")  # on the main menu sent after /start
    assert citizen.keyboard_labels == BIG_BUTTONS_EN
    assert any("big buttons are back" in message.text for message in replies)
    # The form is left: text is a search again, not "please share your phone".
    replies = await citizen.send("khai sinh")
    assert any(button.get("callback_data", "").startswith("go:") for button in replies[0].buttons)
    assert await scalar(sandbox, select(QuizParticipant.phone)) is None


@pytest.mark.parametrize("command", ["/help", "/menu", "/start"])
async def test_a_command_leaves_the_step_and_brings_them_back(sandbox, command):
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    await citizen.send(command)
    assert citizen.keyboard_labels == BIG_BUTTONS_EN
    replies = await citizen.send("/quiz")  # the registration resumes where it was, from the database
    assert replies[-1].text.startswith("Please share")
    assert citizen.keyboard_labels == [SHARE]


async def test_typing_instead_of_sharing_asks_again_and_keeps_the_share_button(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await up_to_phone(citizen)
    replies = await citizen.send("0912345678")
    assert replies[-1].text.startswith("Please share") and citizen.keyboard_labels == [SHARE]
    replies = await citizen.send_sticker()
    assert replies[-1].text.startswith("Please share") and citizen.keyboard_labels == [SHARE]


async def test_a_contact_nobody_asked_for_is_not_kept(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.share_contact("+84912345678")
    assert "did not save" in replies[-1].text
    assert citizen.keyboard_labels == BIG_BUTTONS_EN
    assert await scalar(sandbox, select(QuizParticipant.id)) is None
