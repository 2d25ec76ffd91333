"""Small talk is recognised as a whole message in Vietnamese (with or without marks), English and Thai; a guide
search shows only relevant guides."""

from __future__ import annotations

import pytest

from bot.config import ROOT
from bot.domain.guides.catalogue import load_catalogue
from bot.domain.smalltalk import Talk, classify

INDEX = load_catalogue(ROOT / "procedures")[0].index


@pytest.mark.parametrize(
    ("text", "talk"),
    [
        ("xin chào bot", Talk.greeting),
        ("Xin chao", Talk.greeting),
        ("chào bạn nhé", Talk.greeting),
        ("Alo", Talk.greeting),
        ("Hello!", Talk.greeting),
        ("hi there", Talk.greeting),
        ("good morning", Talk.greeting),
        ("สวัสดีครับ", Talk.greeting),
        ("สวัสดีค่ะ", Talk.greeting),
        ("cảm ơn", Talk.thanks),
        ("Cảm ơn bạn nhiều ạ!", Talk.thanks),
        ("cam on", Talk.thanks),
        ("thank you very much", Talk.thanks),
        ("Thanks 🙏", Talk.thanks),
        ("ขอบคุณค่ะ", Talk.thanks),
        ("ขอบคุณมากครับ", Talk.thanks),
        ("tạm biệt", Talk.goodbye),
        ("bye", Talk.goodbye),
        ("ลาก่อน", Talk.goodbye),
        ("ok", Talk.agreement),
        ("dạ vâng", Talk.agreement),
        ("👍", Talk.agreement),
        ("โอเค", Talk.agreement),
        ("bạn là ai?", Talk.identity),
        ("Who are you?", Talk.identity),
        ("คุณคือใคร", Talk.identity),
    ],
)
def test_small_talk_is_recognised(text: str, talk: Talk):
    assert classify(text) is talk


@pytest.mark.parametrize(
    "text",
    [
        "chào bạn, tôi muốn làm khai sinh",  # a greeting with a request is a request
        "khai sinh",
        "thank you, how do I register a birth?",
        "แจ้งเกิด",
        "bot",
        "",
        "xin chào " * 20,  # long: never small talk
    ],
)
def test_requests_are_not_small_talk(text: str):
    assert classify(text) is None


def _found(query: str) -> list[str]:
    return [hit.guide.id for hit in INDEX.search(query)]


@pytest.mark.parametrize(
    "query",
    ["xin chào bot", "cảm ơn", "hôm nay trời đẹp", "làm sao", "ok bạn", "hộ chiếu", "xe máy", "I need help", "ขอบคุณ"],
)
def test_words_that_name_no_procedure_find_nothing(query: str):
    assert _found(query) == []


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("tôi muốn làm khai sinh cho con", "birth-residence-insurance"),
        ("how do I register a birth", "birth-residence-insurance"),
        ("giúp tôi đăng ký tạm trú", "temporary-residence-vneid"),
        ("tiền điện", "electricity-bill-online"),
        ("kích hoạt định danh", "vneid-level2-activation"),
        ("แจ้งเกิด", "birth-residence-insurance"),
    ],
)
def test_real_requests_still_find_their_guide_first(query: str, first: str):
    found = _found(query)
    assert found and found[0] == first
    # Only the relevant ones: a guide sharing one common syllable is not shown.
    assert len(found) <= 4
