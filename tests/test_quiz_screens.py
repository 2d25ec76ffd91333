"""Question screens: long options move into the text with letter buttons; payloads stay within 64 bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import ROOT
from bot.domain.quiz.records import Attempt
from bot.domain.quiz.sampling import Drawn
from bot.domain.quiz.schema import load_quiz_bank
from bot.i18n import use_locale
from bot.ui.callbacks import UnitChooseCb, UnitLevelCb, UnitPurpose
from bot.ui.callbacks_quiz import AnswerCb, NextQuestionCb
from bot.ui.labels import fits
from bot.ui.payloads import INT_MAX
from bot.ui.screens.quiz import question

BANK = load_quiz_bank(ROOT / "quiz_bank")[0]
NOW = datetime(2023, 9, 20, 8, 0, tzinfo=UTC)


def _attempt(question_id: str) -> Attempt:
    options = len(BANK.questions[question_id].options)
    order = tuple(reversed(range(options)))
    return Attempt(
        id=123456789,
        contest_id="backan-dx-2023",
        user_id=1,
        number=1,
        mode="contest",
        items=(Drawn(question_id, order),),
        started_at=NOW,
        deadline_at=NOW + timedelta(minutes=12, seconds=34),
        finished_at=None,
        status="in_progress",
        correct=0,
        answered=0,
        duration_ms=None,
        prediction=None,
    )


def _with(long: bool) -> str:
    for question_id, entry in BANK.questions.items():
        if (not all(fits(option.vi) and fits(option.get("en")) for option in entry.options)) == long:
            return question_id
    raise AssertionError("the bank has no such question")


def test_long_options_are_listed_in_the_text_with_letter_buttons():
    question_id = _with(long=True)
    with use_locale("vi"):
        view = question(_attempt(question_id), BANK, NOW)
    entry = BANK.questions[question_id]
    labels = [button.label for row in view.buttons for button in row]
    assert labels == ["A", "B", "C", "D", "E", "F"][: len(entry.options)]
    assert "Câu 1/1 · còn 12:34" in view.text
    assert f"<b>A.</b> {entry.options[-1].vi}".replace('"', "&quot;")[:20] in view.text  # shuffled: last first


def test_short_options_are_the_buttons_in_the_shuffled_order():
    question_id = _with(long=False)
    with use_locale("en"):
        view = question(_attempt(question_id), BANK, NOW)
    entry = BANK.questions[question_id]
    labels = [button.label for row in view.buttons for button in row]
    assert labels == [option.get("en") for option in reversed(entry.options)]
    payload = view.buttons[0][0].payload
    assert AnswerCb.unpack(payload.pack()) == AnswerCb(attempt=123456789, position=0, option=0)


def test_payloads_fit_telegrams_64_bytes():
    assert len(AnswerCb(attempt=INT_MAX, position=99, option=5).pack().encode()) <= 64
    assert len(NextQuestionCb(attempt=INT_MAX, position=99).pack().encode()) <= 64
    purpose = UnitPurpose.registration
    assert len(UnitLevelCb(purpose=purpose, parent="x" * 32, letter="Đ", page=99).pack().encode()) <= 64
    assert len(UnitChooseCb(purpose=purpose, code="x" * 32).pack().encode()) <= 64
