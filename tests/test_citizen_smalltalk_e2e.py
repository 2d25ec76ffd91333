"""Typed small talk gets a short friendly answer and the menu, never a guide; a request with no relevant guide
gets "nothing found" and the topics."""

from __future__ import annotations

import pytest


def _guide_buttons(message) -> list[str]:
    return [b["callback_data"] for b in message.buttons if b.get("callback_data", "").startswith("go:")]


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("vi", "xin chào bot", "Xin chào!"),
        ("vi", "cảm ơn", "Không có gì!"),
        ("vi", "cam on ban nhe", "Không có gì!"),
        ("en", "Hello!", "Hello!"),
        ("en", "thank you very much", "You are welcome!"),
        ("th", "สวัสดีครับ", "สวัสดี!"),
        ("th", "ขอบคุณค่ะ", "ยินดีค่ะ!"),
    ],
)
async def test_small_talk_gets_a_friendly_answer_and_the_menu(sandbox, language, text, answer):
    citizen = sandbox.citizen(language_code=language)
    await citizen.start()
    for browsing in (False, True):  # outside and inside the guides section
        if browsing:
            await citizen.press_data("m:guides", citizen.last)
        replies = await citizen.send(text)
        assert len(replies) == 1
        assert replies[0].text.startswith(answer), replies[0].text
        assert not _guide_buttons(replies[0])
        assert any(b.get("callback_data") == "m:guides" for b in replies[0].buttons)  # the menu


async def test_a_request_without_a_relevant_guide_gets_nothing_found_and_the_topics(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    replies = await citizen.send("hôm nay trời đẹp")
    assert "không tìm thấy" in replies[0].text and not _guide_buttons(replies[0])
    assert any(b.get("callback_data", "").startswith("gk:") for b in replies[0].buttons)
    replies = await citizen.send("tôi muốn làm khai sinh cho con")
    assert _guide_buttons(replies[0]) == ["go:birth-residence-insurance"]
