"""What the emulator learned for announcements: users who format texts, send documents, forward messages;
a log of the sends refused with 429; copies per chat."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramRetryAfter

from tests.sandbox_fixtures import ManualClock, emulator_with_bot

USER, AUTHOR = 424201, 424202


@pytest.mark.asyncio
async def test_formatted_texts_documents_and_forwards_arrive_as_from_a_client() -> None:
    async with emulator_with_bot() as (emu, _bot):
        emu.add_user(USER, "Mai")
        emu.add_user(AUTHOR, "Tuấn")
        text = emu.send_formatted(USER, "<b>Hội thi</b> <a href='https://dx.gov.vn'>mở</a>")["message"]
        assert text["text"] == "Hội thi mở"
        assert [(e["type"], e["offset"], e["length"]) for e in text["entities"]] == [
            ("bold", 0, 7),
            ("text_link", 8, 2),
        ]
        document = emu.send_document_from_user(
            USER, b"%PDF-1.4", "lich-thi.pdf", "application/pdf", "<i>Lịch</i>", caption_html=True
        )["message"]
        assert document["document"]["file_name"] == "lich-thi.pdf" and document["caption"] == "Lịch"
        assert document["caption_entities"][0]["type"] == "italic"
        stored = emu.get_file(document["document"]["file_id"])
        assert stored is not None and stored.data == b"%PDF-1.4"
        photo = emu.send_photo_from_user(USER, caption="<b>x</b>", caption_html=True)["message"]
        assert photo["caption"] == "x" and photo["caption_entities"][0]["type"] == "bold"
        forwarded = emu.forward_from(USER, AUTHOR, "xin chào")["message"]
        assert (
            forwarded["forward_origin"]["type"] == "user" and forwarded["forward_origin"]["sender_user"]["id"] == AUTHOR
        )
        hidden = emu.forward_from(USER, AUTHOR, "xin chào", hidden=True)["message"]
        assert hidden["forward_origin"] == {
            "type": "hidden_user",
            "date": hidden["forward_origin"]["date"],
            "sender_user_name": "Tuấn",
        }
        spoiler = emu.send_entities(USER, "bí mật", [{"type": "spoiler", "offset": 0, "length": 6}])["message"]
        assert spoiler["entities"] == [{"type": "spoiler", "offset": 0, "length": 6}]


@pytest.mark.asyncio
async def test_refused_sends_are_logged_with_their_time_scope_and_wait_and_copies_are_counted() -> None:
    clock = ManualClock()
    async with emulator_with_bot(rate_limit=True, clock=clock, global_messages_per_second=2) as (emu, bot):
        for user_id in (USER, AUTHOR):
            emu.add_user(user_id, "X", started=True)
        await bot.send_message(USER, "1")
        await bot.send_message(AUTHOR, "2")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(USER, "3")
        clock.advance(1.0)
        await bot.send_message(USER, "4")
    refused = list(emu.stats.refused)
    assert [(r.at, r.chat_id, r.method, r.scope, r.retry_after) for r in refused] == [
        (clock.now - 1.0, USER, "sendMessage", "global", 1)
    ]
    assert emu.stats.copies() == {USER: 2, AUTHOR: 1}
    emu.stats.reset()
    assert not emu.stats.refused and not emu.stats.copies()
