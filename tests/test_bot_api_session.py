"""The bot's HTTP session to the Bot API: JSON bodies, files as forms, replies without echoed keyboards."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.emulator import BotAPIEmulator
from bot.transport.session import BotAPISession, drop_echoed_keyboards
from tests.sandbox_fixtures import TOKEN, emulator

__all__ = ["emulator"]  # pytest fixture, requested by name

USER = 2001


def _markup(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=item, callback_data=item)] for item in data]
    )


@pytest.mark.asyncio
async def test_calls_go_as_json_and_keyboards_still_arrive(emulator: BotAPIEmulator) -> None:
    emulator.add_user(USER, "Lan")
    emulator.send_text(USER, "hi")
    bot = Bot(
        TOKEN,
        session=BotAPISession(api=TelegramAPIServer.from_base(emulator.base_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    try:
        # parse_mode comes from the bot's defaults, as aiogram's own encoder would send it.
        sent = await bot.send_message(
            USER, "Chọn <b>một</b>", reply_markup=_markup("a", "b"), disable_notification=False
        )
        edited = await bot.edit_message_text(
            "Đã chọn", chat_id=USER, message_id=sent.message_id, reply_markup=_markup("c")
        )
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text("Đã chọn", chat_id=USER, message_id=sent.message_id, reply_markup=_markup("c"))
    finally:
        await bot.session.close()

    assert emulator.body_types["application/json"] == 3
    assert "multipart/form-data" not in emulator.body_types
    stored = emulator.chat(USER).bot_messages[sent.message_id]
    assert stored.text == "Đã chọn"
    assert [button["callback_data"] for button in stored.buttons] == ["c"]
    # The reply keeps everything but the keyboard the bot itself just sent.
    assert sent.text == "Chọn một" and sent.entities and sent.entities[0].type == "bold"
    assert sent.reply_markup is None and edited.reply_markup is None


@pytest.mark.asyncio
async def test_files_still_go_as_a_form(emulator: BotAPIEmulator) -> None:
    emulator.add_user(USER, "Lan")
    emulator.send_text(USER, "hi")
    bot = Bot(TOKEN, session=BotAPISession(api=TelegramAPIServer.from_base(emulator.base_url)))
    try:
        sent = await bot.send_document(
            USER, BufferedInputFile(b"a,b\n1,2\n", filename="results.csv"), caption="Kết quả"
        )
    finally:
        await bot.session.close()

    assert emulator.body_types["multipart/form-data"] == 1
    assert sent.document is not None and sent.document.file_name == "results.csv"
    assert sent.caption == "Kết quả"


def test_only_keyboards_are_dropped() -> None:
    message = {"message_id": 1, "text": "x", "reply_markup": {"inline_keyboard": []}}
    updates = [
        {"update_id": 1, "callback_query": {"id": "1", "data": "d", "message": dict(message)}},
        {"update_id": 2, "message": {"message_id": 2, "text": "y"}},
    ]
    drop_echoed_keyboards(message)
    drop_echoed_keyboards(updates)
    drop_echoed_keyboards(True)

    assert message == {"message_id": 1, "text": "x"}
    assert updates[0]["callback_query"] == {"id": "1", "data": "d", "message": {"message_id": 1, "text": "x"}}
    assert updates[1] == {"update_id": 2, "message": {"message_id": 2, "text": "y"}}


def test_unset_defaults_are_left_out_rather_than_sent_as_null():
    import orjson
    from aiogram.methods import SendMessage

    session = BotAPISession()
    bare = Bot(TOKEN, session=session)
    with_html = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    method = SendMessage(chat_id=USER, text="Xin chào", reply_markup=_markup("a"))

    plain_body = orjson.loads(session._json_body(bare, method))
    html_body = orjson.loads(session._json_body(with_html, method))

    assert "parse_mode" not in plain_body and None not in plain_body.values()
    assert html_body["parse_mode"] == "HTML"
    assert plain_body["reply_markup"] == {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
