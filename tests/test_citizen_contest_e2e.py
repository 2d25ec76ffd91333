"""A contest as a new citizen meets it: eligibility when the birth year is typed, the rules before the timer,
attempts left on the quiz home and the result, the answers kept in the history, and the review of wrong answers
with buttons to the related guides that open in a new message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.db.quiz import QuizAttempt, QuizParticipant
from bot.domain.quiz.schema import load_quiz_bank
from tests.citizen_support import labels, scalar
from tests.quiz_support import contest_yaml, make_bank

QUOTAS = {"online-safety": 3}  # every question of this topic links a guide


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(quotas=QUOTAS, attempts=2, prediction=False)])
    return settings.model_copy(update={"quiz_bank_dir": bank})


async def _register(citizen, year: str = "1990"):
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    replies = await citizen.send(year)
    if "open to people aged" in replies[-1].text:
        return replies
    await citizen.send("Nguyễn Thị Lan")
    await citizen.share_contact("+84912345678")
    return await citizen.press("Residents")


async def _answer_all_wrong(sandbox, citizen):
    bank = load_quiz_bank(sandbox.settings.quiz_bank_dir)[0]
    attempt = await scalar(sandbox, select(QuizAttempt).where(QuizAttempt.status == "in_progress"))
    items = json.loads(attempt.items)
    replies = []
    for position, (question_id, order) in enumerate(items):
        wrong = next(shown for shown, index in enumerate(order) if index != bank.questions[question_id].correct_index)
        replies = await citizen.press_data(f"qa:{attempt.id}:{position}:{wrong}", citizen.last)
    return replies


async def test_birth_year_out_of_range_is_refused_with_its_reason(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    await citizen.send("/quiz")
    await citizen.press("✅ I agree")
    year = datetime.now(UTC).year
    assert f"1890 would make you {year - 1890} years old" in (await citizen.send("1890"))[-1].text
    assert "has not come yet" in (await citizen.send(str(year + 1)))[-1].text
    assert "four digits" in (await citizen.send("nineteen ninety"))[-1].text
    assert "full name" in (await citizen.send("1990"))[-1].text
    assert (await scalar(sandbox, select(QuizParticipant.birth_year))) == 1990


async def test_someone_too_young_is_told_at_once_and_can_correct_the_year(sandbox):
    citizen = sandbox.citizen(language_code="en")
    replies = await _register(citizen, year=str(datetime.now(UTC).year - 10))
    told = replies[-1]
    assert "open to people aged 15 and over" in told.text and "I will not ask for your name" in told.text
    assert (await scalar(sandbox, select(QuizParticipant.full_name))) is None
    replies = await citizen.press("✏️ Correct my birth year", told)
    assert "In which year were you born?" in replies[-1].text
    assert citizen.emulator.message(citizen.id, told.message_id).text == told.text  # the explanation stays
    replies = await citizen.send("1990")
    assert "full name" in replies[-1].text


async def test_rules_before_the_timer_attempts_left_and_no_start_when_none_are_left(sandbox):
    citizen = sandbox.citizen(language_code="en")
    summary = (await _register(citizen))[-1]
    assert "Open now: Test contest" in summary.text and "Attempts left: 2 of 2." in summary.text
    # The group question keeps its answer in the history.
    group_question = next(m for m in citizen.messages if m.text.startswith("Which participant group"))
    assert group_question.text.endswith("✅ Residents") and not group_question.buttons

    rules = (await citizen.press("▶️ Start the contest"))[-1]
    assert "3 questions, 10 minutes in all." in rules.text and "Attempts left: 2 of 2." in rules.text
    assert "Only your best attempt counts" in rules.text and "timer starts when you tap Start" in rules.text
    assert labels(rules) == ["▶️ Start now", "✖️ Not now"]
    replies = await citizen.press("✖️ Not now", rules)
    assert replies[0].text.endswith("✅ ✖️ Not now") and not replies[0].buttons
    assert await scalar(sandbox, select(func.count()).select_from(QuizAttempt)) == 0

    for attempt, left in ((1, "Attempts left: 1 of 2."), (2, "You have used all 2 attempts in this contest.")):
        rules = (await citizen.press("▶️ Start the contest" if attempt == 1 else "▶️ Next attempt"))[-1]
        replies = await citizen.press("▶️ Start now", rules)
        assert replies[0].text.endswith("✅ ▶️ Start now")  # the rules stay, with the choice
        assert "Question 1/3" in replies[-1].text
        replies = await _answer_all_wrong(sandbox, citizen)
        result = next(m for m in replies if "Score:" in m.text)
        assert left in result.text
        assert ("▶️ Next attempt" in labels(result)) is (attempt == 1)
    summary = (await citizen.send("/quiz"))[-1]
    assert "You have used all 2 attempts" in summary.text and "▶️ Start the contest" not in labels(summary)


async def test_review_buttons_name_the_guide_and_open_it_in_a_new_message(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await _register(citizen)
    await citizen.press("▶️ Start the contest")
    await citizen.press("▶️ Start now")
    replies = await _answer_all_wrong(sandbox, citizen)
    review = next(m for m in replies if "Questions to review" in m.text)
    guide_buttons = [b for b in review.buttons if b["callback_data"].startswith("gn:")]
    assert guide_buttons
    catalogue = sandbox.app.dispatcher["guides"]
    for button in guide_buttons:
        guide = catalogue.guides[button["callback_data"].removeprefix("gn:")]
        assert button["text"] == f"📋 {guide.button('en')}"  # its short title, not its id
        assert guide.id not in button["text"]
    before = review.text
    replies = await citizen.press(guide_buttons[0]["text"], review)
    opened = replies[-1]
    assert opened.message_id != review.message_id and "What to prepare" in opened.text
    assert citizen.emulator.message(citizen.id, review.message_id).text == before  # the review stays
