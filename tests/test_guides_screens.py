"""Guide screens: a short overview with the checklist once, unverified facts as one question line, labels on buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ROOT
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.guides.records import GuideProgress, ProgressStatus
from bot.i18n import use_locale
from bot.ui.callbacks_guides import GuideListCb
from bot.ui.screens.guides import BUTTON_CHARS, _short, guide_list, home, overview, search_results
from bot.ui.view import Choice, Link

CATALOGUE = load_catalogue(ROOT / "procedures")[0]
LANGUAGES = ("vi", "en", "th")


def _progress(guide_id: str, ticked: frozenset[int] = frozenset(), step: int = 0) -> GuideProgress:
    return GuideProgress(
        user_id=1,
        guide_id=guide_id,
        step=step,
        ticked=ticked,
        version=CATALOGUE.guides[guide_id].version,
        status=ProgressStatus.active,
        updated_at=datetime(2026, 12, 2, tzinfo=UTC),
    )


def _labels(view) -> list[str]:
    return [button.label for row in view.buttons for button in row]


@pytest.mark.parametrize("guide_id", sorted(CATALOGUE.guides))
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_overview_lists_the_checklist_once_and_hides_editor_notes(guide_id, language):
    guide = CATALOGUE.guides[guide_id]
    with use_locale(language):
        view = overview(guide, _progress(guide_id, ticked=frozenset({0})))
    lines = view.text.splitlines()
    for index, document in enumerate(guide.documents):
        mark = "☑️" if index == 0 else "⬜"
        assert lines.count(f"{mark} {index + 1}. {escape(document.get(language))}") == 1
        assert not any(document.get(language) in label for label in _labels(view))
    ticks = [
        b
        for row in view.buttons
        for b in row
        if isinstance(b, Choice) and b.payload.__class__.__name__ == "GuideTickCb"
    ]
    assert [b.label for b in ticks] == [f"{'☑️' if i == 0 else '⬜'} {i + 1}" for i in range(len(guide.documents))]
    if guide.editor_notes:
        assert guide.editor_notes[:40] not in view.text
    for internal in ("chưa xác minh", "Mã thủ tục", "not verified", "Procedure code: not"):
        assert internal not in view.text
    assert view.text.count("\n") <= 26
    assert len(view.text) <= 4000


def test_what_is_unverified_is_one_plain_line_of_questions():
    guide = CATALOGUE.guides["household-health-insurance"]
    with use_locale("en"):
        text = overview(guide, _progress(guide.id)).text
    line = next(line for line in text.splitlines() if "Ask at the office" in line)
    assert line == "❓ <b>Ask at the office:</b> fee? processing time? deadline? which office?"
    assert "Fees:" not in text and "Processing time:" not in text
    with use_locale("vi"):
        assert "❓ <b>Hỏi tại nơi làm thủ tục:</b> lệ phí?" in overview(guide, _progress(guide.id)).text


def test_a_known_deadline_and_the_review_date_are_shown():
    guide = CATALOGUE.guides["death-registration-linked"]
    with use_locale("en"):
        text = overview(guide, _progress(guide.id)).text
    assert "⏳ <b>Deadline:</b> Within 15 days of the death" in text
    assert "Last checked:" in text and "2026" in text
    never = CATALOGUE.guides["electricity-bill-online"]
    with use_locale("en"):
        assert "Not yet checked against these sources." in overview(never, _progress(never.id)).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_buttons_show_the_short_labels_and_titles_stay_in_the_text(language):
    with use_locale(language):
        topics = home(CATALOGUE.categories, None)
        categories = [
            b.label
            for row in topics.buttons
            for b in row
            if isinstance(b, Choice) and isinstance(b.payload, GuideListCb)
        ]
        assert categories == [f"{category.icon} {category.label.get(language)}" for category in CATALOGUE.categories]
        family = CATALOGUE.category("family")
        guides = CATALOGUE.in_category("family")
        listing = guide_list(family, guides, 0)
        assert [guide.label.get(language) for guide in guides] == _labels(listing)[: len(guides)]
        assert family.title.get(language) in listing.text
        found = search_results("khai sinh", guides)
        assert guides[0].label.get(language) in _labels(found)
        guide = guides[0]
        resume = home(CATALOGUE.categories, (guide, _progress(guide.id, step=2)))
        assert "2" in _labels(resume)[0]  # "▶️ Continue at step 2": short; the guide is named in the text
        assert escape(guide.title.get(language)) in resume.text


@given(
    st.lists(st.sampled_from(["khai", "sinh", "đăng", "ký", "thường", "trú", "Việt", "Nam", "a", "bảo"]), min_size=1)
)
def test_a_shortened_button_never_cuts_a_word(words):
    text = " ".join(words)
    short = _short(text, 20)
    assert len(short) <= 20
    if short != text:
        kept = short.removesuffix("…").split()
        assert kept == words[: len(kept)] or (len(kept) == 1 and len(words[0]) >= 20)


def test_every_guide_button_fits_without_cutting():
    for guide in CATALOGUE.guides.values():
        for language in LANGUAGES:
            assert _short(guide.button(language)) == guide.button(language)
            assert len(guide.button(language)) <= min(28, BUTTON_CHARS)
        for step in guide.steps:
            if step.link:
                with use_locale("vi"):
                    link = next(
                        b for row in overview(guide, _progress(guide.id)).buttons for b in row if isinstance(b, Link)
                    )
                assert "…" not in link.label
