"""No button label is cut on a 360 px phone: every label of every screen, in every shipped language, fits
MAX_LABEL characters (its icon aside) by design; the full text is in the message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ROOT
from bot.domain import units
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.records import GuideProgress, ProgressStatus
from bot.domain.quiz.ranking import Entry, Ranked
from bot.domain.quiz.records import Attempt, AttemptMode, AttemptStatus, Participant
from bot.domain.quiz.sampling import Drawn
from bot.domain.quiz.schema import load_quiz_bank
from bot.domain.quiz.service import Leaderboard, Refusal, Result
from bot.domain.records import UnitRecord
from bot.domain.smalltalk import Talk
from bot.i18n import catalogs, use_locale
from bot.ui import menu
from bot.ui.callbacks import UnitPurpose
from bot.ui.labels import MAX_LABEL, fits, text_of, width
from bot.ui.screens import common, guides, quiz
from bot.ui.view import View
from tests.fakes import FakeWork

CATALOGUE = load_catalogue(ROOT / "procedures")[0]
BANK = load_quiz_bank(ROOT / "quiz_bank", demo_contests=True)[0]
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
UNIT = UnitRecord("tn-ducxuan", "Đức Xuân", "ward", "tn", help_name="Tổ công nghệ số", help_phone="0000")


def _progress(guide_id: str, step: int) -> GuideProgress:
    guide = CATALOGUE.guides[guide_id]
    return GuideProgress(1, guide_id, step, frozenset({0}), guide.version, ProgressStatus.active, NOW)


def _attempt(contest_id: str, mode: AttemptMode = AttemptMode.contest) -> Attempt:
    contest = BANK.contests[contest_id]
    items = tuple(
        Drawn(question_id, (0, 1, 2, 3)[: len(BANK.questions[question_id].options)])
        for question_id in list(BANK.questions)[:3]
    )
    return Attempt(
        1, contest.id, 1, 1, mode, items, NOW, NOW + timedelta(minutes=5), NOW, AttemptStatus.finished, 1, 3, 61_000, 9
    )


async def _picker_screens() -> list[View]:
    work = FakeWork()
    await units.import_units(work, (ROOT / "data" / "units" / "thai-nguyen-2025.csv").read_text(encoding="utf-8"))
    await units.import_units(work, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    views = []
    for parent in ("", "tn", "bk", "bk-tp"):
        top = await units.picker(work, parent)
        assert top is not None
        for purpose in UnitPurpose:
            views.append(common.unit_picker(purpose, top, UNIT))
        for letter in top.letters:
            page = 0
            while (screen := await units.picker(work, parent, letter, page)) is not None:
                views.append(common.unit_picker(UnitPurpose.help, screen))
                page += 1
    return views


def _screens() -> Iterator[View]:
    yield common.main_menu()
    yield common.language_picker("vi")
    for unit, contact in ((None, None), (UNIT, UNIT), (UNIT, None)):
        yield common.help_view(unit, contact, "0000")
    yield from (common.small_talk(talk) for talk in Talk)
    yield common.unknown_input()
    yield common.no_units()
    yield guides.home(CATALOGUE.categories, None)
    for guide in CATALOGUE.guides.values():
        for step in range(len(guide.steps) + 1):
            yield guides.home(CATALOGUE.categories, (guide, _progress(guide.id, step)))
            yield guides.overview(guide, _progress(guide.id, step))
            if step:
                yield guides.step(guide, step)
                yield guides.stuck(guide, step, UNIT, UNIT, "0000")
                yield guides.stuck(guide, step, None, None, "")
        yield guides.finished(guide)
        yield guides.ask_reason(guide)
    for category in CATALOGUE.categories:
        members = CATALOGUE.in_category(category.id)
        for page in range(-(-len(members) // guides.PAGE_SIZE)):
            yield guides.guide_list(category, members, page)
    yield guides.search_results("khai sinh", list(CATALOGUE.guides.values())[:5])
    yield guides.no_results("xyz", CATALOGUE.categories)
    yield guides.thanks()
    labels = {guide_id: guide.button(None) for guide_id, guide in CATALOGUE.guides.items()}
    person = Participant(1, "Nguyễn Thị Lan", "+84912345678", 1990, "citizens", NOW, "x", None)
    yield quiz.consent()
    yield quiz.declined(stored_before=True)
    yield quiz.edit_menu()
    yield quiz.forget_confirm(7)
    yield quiz.nothing_to_forget()
    yield quiz.ask_group(BANK.groups())
    for contest in BANK.contests.values():
        yield quiz.too_young(contest, 2020)
        yield quiz.contest_rules(contest, 1, NOW)
        for reason in Refusal:
            yield quiz.refusal(reason, contest)
        for left in (None, 0, 1):
            yield quiz.registration_summary(person, UNIT, BANK.groups()[0], False, contest, left)
            attempt = _attempt(contest.id)
            rank = Ranked(1, Entry(1, 1, 1, 61_000, NOW, name="Nguyễn Thị Lan"), "first")
            wrong = [(BANK.questions[item.question_id], 0) for item in attempt.items]
            result = Result(attempt, contest, rank, 5, wrong)
            yield quiz.result(result, left, can_start=True)
            yield from quiz.wrong_answers(result, labels)
        yield quiz.leaderboard(Leaderboard(contest, [rank], rank, 1, []))
    for question_id, entry in BANK.questions.items():
        attempt = Attempt(
            1, "demo", 1, 1, AttemptMode.contest, (Drawn(question_id, tuple(range(len(entry.options)))),),
            NOW, NOW + timedelta(minutes=5), None, AttemptStatus.in_progress, 0, 0, None, None,
        )  # fmt: skip
        yield quiz.question(attempt, BANK, NOW)
        yield quiz.practice_feedback(attempt, entry, 0, False, labels)
    yield quiz.privacy(person, UNIT, BANK.groups()[0])


def _labels(view: View) -> list[str]:
    return [button.label for row in view.buttons for button in row]


@pytest.mark.parametrize("language", ["vi", "en", "th"])
async def test_every_button_label_fits_a_phone(language: str):
    assert language in catalogs().available
    with use_locale(language):
        views = [*_screens(), *await _picker_screens()]
        too_long = sorted({label for view in views for label in _labels(view) if not fits(label)})
        keyboard = [label for row in menu.keyboard() for label in row]
    assert len(views) > 300
    assert too_long == [], f"longer than {MAX_LABEL}: {[(label, width(text_of(label))) for label in too_long]}"
    assert all(fits(label) for label in keyboard)


def test_width_counts_what_a_person_sees():
    assert width("Đức Xuân") == 8
    assert width("ขอบคุณครับ") == 8  # vowels and tones above and below take no room
    assert text_of("📋 Khai sinh") == "Khai sinh" and text_of("▶️ Start now") == "Start now"
