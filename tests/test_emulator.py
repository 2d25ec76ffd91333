"""The Bot API emulator, exercised by real aiogram bots over HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from bench.echo_bot import build_echo_dispatcher
from bot.sandbox.emulator import TINY_PNG, BotAPIEmulator
from tests.sandbox_fixtures import TOKEN, bot, emulator, emulator_with_bot, make_bot, polling

__all__ = ["bot", "emulator"]  # pytest fixtures, requested by name

USER = 1001


def menu_markup(data: str = "open") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Open", callback_data=data)]]
    )


def demo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(
            f"Hello, <b>{message.from_user.first_name}</b>! arg={command.args}", parse_mode="HTML"
        )

    @router.message(F.text == "menu")
    async def menu(message: Message) -> None:
        await message.answer("Menu", reply_markup=menu_markup())

    @router.callback_query(F.data == "open")
    async def opened(callback: CallbackQuery) -> None:
        await callback.answer("Opened!")
        await callback.message.edit_text("Menu: opened")

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        own = message.contact.user_id == message.from_user.id
        await message.answer(f"own={own} phone={message.contact.phone_number}")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def started_chat(emu: BotAPIEmulator, user_id: int = USER) -> None:
    """Add a user who already wrote to the bot, so the bot may message them."""
    emu.add_user(user_id, "Lan")
    emu.send_text(user_id, "hi")


# --------------------------------------------------------------------------- conversations


@pytest.mark.asyncio
async def test_start_command_reply_arrives(emulator: BotAPIEmulator) -> None:  # noqa: F811
    emulator.add_user(USER, "Lan", language_code="vi")
    async with polling(emulator, demo_dispatcher(), make_bot(emulator)):
        update = emulator.send_text(USER, "/start unit_123")
        reply = await emulator.wait_for_message(USER)

    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert reply.text == "Hello, Lan! arg=unit_123"
    assert reply.entities == [{"type": "bold", "offset": 7, "length": 3}]
    assert reply.data["from"]["id"] == int(TOKEN.split(":")[0])


@pytest.mark.asyncio
async def test_inline_press_answers_callback_and_edits_in_place(
    emulator: BotAPIEmulator,  # noqa: F811
) -> None:
    emulator.add_user(USER, "Lan")
    async with polling(emulator, demo_dispatcher(), make_bot(emulator)):
        emulator.send_text(USER, "menu")
        menu = await emulator.wait_for_message(USER, lambda m: m.text == "Menu")
        mark = emulator.event_count(USER)
        emulator.press_button(USER, menu.message_id, "Open")
        answer = await emulator.wait_for_event(USER, "callback_answer", after_event=mark)
        edited = await emulator.wait_for_message(USER, lambda m: m.edit_count > 0, after_event=mark)

    assert answer.answer is not None and answer.answer["text"] == "Opened!"
    assert emulator.callback_answers(USER)[0]["show_alert"] is False
    assert edited.message_id == menu.message_id
    assert edited.text == "Menu: opened"
    assert edited.inline_keyboard == []  # editMessageText without markup drops the keyboard
    assert [m.message_id for m in emulator.messages(USER)] == [menu.message_id]


@pytest.mark.asyncio
async def test_contact_own_and_foreign(emulator: BotAPIEmulator) -> None:  # noqa: F811
    emulator.add_user(USER, "Lan", phone_number="+84901234567")
    async with polling(emulator, demo_dispatcher(), make_bot(emulator)):
        own = emulator.send_contact(USER)
        await emulator.wait_for_message(USER, lambda m: m.text.startswith("own=True"))
        foreign = emulator.send_contact(USER, "+84900000000", own=False)
        reply = await emulator.wait_for_message(USER, lambda m: m.text.startswith("own=False"))

    assert own["message"]["contact"]["user_id"] == USER
    assert foreign["message"]["contact"]["user_id"] != USER
    assert reply.text == "own=False phone=+84900000000"


@pytest.mark.asyncio
async def test_echo_bot_baseline_and_next_reply(emulator: BotAPIEmulator) -> None:  # noqa: F811
    emulator.add_user(USER, "Lan")
    async with polling(emulator, build_echo_dispatcher(), make_bot(emulator)):
        waiting = emulator.next_reply(USER)
        emulator.send_text(USER, "xin chào")
        echoed = await asyncio.wait_for(waiting, 5)
        echoed_text = echoed.text  # the message object itself follows later edits
        emulator.press(USER, echoed.message_id, "echo:1")
        edited = await emulator.wait_for_reply(USER)

    assert echoed_text == "xin chào"
    assert edited.message_id == echoed.message_id and edited.text == "echo #1"
    assert emulator.api_calls["sendMessage"] == 1
    assert emulator.api_calls["editMessageText"] == 1


@pytest.mark.asyncio
async def test_wait_for_message_times_out_with_description(
    emulator: BotAPIEmulator,  # noqa: F811
) -> None:
    emulator.add_user(USER, "Lan")
    with pytest.raises(AssertionError, match=r"timed out after 0.05s .* chat 1001"):
        await emulator.wait_for_message(USER, timeout=0.05)


# --------------------------------------------------------------------------- error texts


@pytest.mark.asyncio
async def test_message_length_errors(emulator: BotAPIEmulator, bot: Bot) -> None:  # noqa: F811
    await started_chat(emulator)
    with pytest.raises(TelegramBadRequest) as too_long:
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest) as empty:
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest) as caption:
        await bot.send_photo(USER, BufferedInputFile(TINY_PNG, "p.png"), caption="c" * 1025)
    # Tags do not count towards the limit: only the parsed text does.
    fits = await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    assert too_long.value.message == "Bad Request: message is too long"
    assert empty.value.message == "Bad Request: message text is empty"
    assert caption.value.message == "Bad Request: message caption is too long"
    assert len(fits.text) == 4096


@pytest.mark.asyncio
async def test_callback_data_limits_are_in_utf8_bytes(
    emulator: BotAPIEmulator, bot: Bot  # noqa: F811
) -> None:
    await started_chat(emulator)
    errors = []
    for data in ("đ" * 33, ""):  # 33 characters but 66 bytes; empty
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, "menu", reply_markup=menu_markup(data))
        errors.append(error.value.message)
    accepted = await bot.send_message(USER, "menu", reply_markup=menu_markup("đ" * 32))

    assert errors == ["Bad Request: BUTTON_DATA_INVALID"] * 2
    assert accepted.reply_markup.inline_keyboard[0][0].callback_data == "đ" * 32


@pytest.mark.asyncio
async def test_edit_and_delete_errors(emulator: BotAPIEmulator, bot: Bot) -> None:  # noqa: F811
    await started_chat(emulator)
    sent = await bot.send_message(USER, "Menu", reply_markup=menu_markup())
    with pytest.raises(TelegramBadRequest) as same_text:
        await bot.edit_message_text("Menu", chat_id=USER, message_id=sent.message_id,
                                    reply_markup=menu_markup())
    with pytest.raises(TelegramBadRequest) as same_markup:
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id,
                                            reply_markup=menu_markup())
    with pytest.raises(TelegramBadRequest) as missing_edit:
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(TelegramBadRequest) as deleted_twice:
        await bot.delete_message(USER, sent.message_id)

    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    assert same_text.value.message == not_modified
    assert same_markup.value.message == not_modified
    assert missing_edit.value.message == "Bad Request: message to edit not found"
    assert deleted_twice.value.message == "Bad Request: message to delete not found"
    assert emulator.messages(USER) == [] and emulator.messages(USER, include_deleted=True)[0].deleted


@pytest.mark.asyncio
async def test_callback_answer_errors() -> None:
    async with emulator_with_bot(callback_answer_timeout=0.1) as (emu, bot):
        await started_chat(emu)
        sent = await bot.send_message(USER, "Menu", reply_markup=menu_markup())
        fresh = emu.press(USER, sent.message_id, "open")["callback_query"]["id"]
        stale = emu.press(USER, sent.message_id, "open")["callback_query"]["id"]
        assert await bot.answer_callback_query(fresh, text="ok") is True
        await asyncio.sleep(0.15)
        messages = []
        for query_id in (fresh, stale, "12345"):  # answered twice, too old, unknown
            with pytest.raises(TelegramBadRequest) as error:
                await bot.answer_callback_query(query_id)
            messages.append(error.value.message)

    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert messages == [expected] * 3
    assert [a["text"] for a in emu.callback_answers(USER)] == ["ok"]


@pytest.mark.asyncio
async def test_chat_not_found_and_blocked(emulator: BotAPIEmulator, bot: Bot) -> None:  # noqa: F811
    emulator.add_user(2002, "Silent")  # never wrote to the bot
    await started_chat(emulator)
    emulator.block(USER)
    errors = []
    for chat_id in (2002, 424242):
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(chat_id, "hello")
        errors.append(error.value.message)
    with pytest.raises(TelegramForbiddenError) as blocked:
        await bot.send_message(USER, "hello")
    emulator.unblock(USER)
    delivered = await bot.send_message(USER, "welcome back")

    assert errors == ["Bad Request: chat not found"] * 2
    assert blocked.value.message == "Forbidden: bot was blocked by the user"
    assert delivered.chat.id == USER


@pytest.mark.asyncio
async def test_html_entities_and_parse_errors(emulator: BotAPIEmulator, bot: Bot) -> None:  # noqa: F811
    await started_chat(emulator)
    sent = await bot.send_message(
        USER,
        '😀 <b>Đơn</b> &lt;3&gt; <a href="https://example.org/?a=1&amp;b=2">link</a> '
        '<tg-spoiler>x</tg-spoiler><pre><code class="language-python">1</code></pre>',
        parse_mode="HTML",
    )
    errors = []
    for html in ("<b>bold", "<b>x</i>", "a <user@example.org> b", "<br>"):
        with pytest.raises(TelegramBadRequest) as error:
            await bot.send_message(USER, html, parse_mode="HTML")
        errors.append(error.value.message)

    assert sent.text == "😀 Đơn <3> link x1"
    entities = [(e.type, e.offset, e.length) for e in sent.entities]
    # The emoji is two UTF-16 code units, so everything after it shifts by one.
    assert entities == [("bold", 3, 3), ("text_link", 11, 4), ("spoiler", 16, 1), ("pre", 17, 1)]
    assert sent.entities[1].url == "https://example.org/?a=1&b=2"
    assert sent.entities[3].language == "python"
    assert errors == [
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, "
        'expected "</b>", found "</i>"',
        "Bad Request: can't parse entities: Unsupported start tag \"user@example.org\" "
        "at byte offset 2",
        "Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 0",
    ]


@pytest.mark.asyncio
async def test_rate_limit_returns_retry_after() -> None:
    async with emulator_with_bot(rate_limit=True, chat_messages_per_second=2) as (emu, bot):
        await started_chat(emu)
        await bot.send_message(USER, "one")
        await bot.send_message(USER, "two")
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.send_message(USER, "three")

    assert limited.value.retry_after == 1
    assert limited.value.message.endswith("Original description: Too Many Requests: retry after 1")
    assert [m.text for m in emu.messages(USER)] == ["one", "two"]


# --------------------------------------------------------------------------- files


@pytest.mark.asyncio
async def test_document_upload_and_download_roundtrip(
    emulator: BotAPIEmulator, bot: Bot  # noqa: F811
) -> None:
    await started_chat(emulator)
    payload = "Biên nhận hồ sơ #42".encode() * 100
    sent = await bot.send_document(USER, BufferedInputFile(payload, "bien-nhan.pdf"),
                                   caption="<i>receipt</i>", parse_mode="HTML")
    resent = await bot.send_document(USER, sent.document.file_id)
    file = await bot.get_file(sent.document.file_id)
    downloaded = await bot.download_file(file.file_path)
    photo = await bot.send_photo(USER, BufferedInputFile(TINY_PNG, "dot.png"))
    with pytest.raises(TelegramBadRequest) as wrong_id:
        await bot.send_document(USER, "no-such-file-id")

    assert sent.document.file_name == "bien-nhan.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.document.file_size == len(payload)
    assert sent.caption == "receipt" and sent.caption_entities[0].type == "italic"
    assert resent.document.file_id == sent.document.file_id
    assert downloaded.read() == payload
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 1)
    assert wrong_id.value.message == "Bad Request: wrong file identifier/HTTP URL specified"


# --------------------------------------------------------------------------- raw HTTP


async def call(session: aiohttp.ClientSession, emu: BotAPIEmulator, method: str, **params):
    async with session.post(f"{emu.base_url}/bot{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


@pytest.mark.asyncio
async def test_get_updates_offset_and_long_polling(emulator: BotAPIEmulator) -> None:  # noqa: F811
    emulator.add_user(USER, "Lan")
    first = emulator.send_text(USER, "one")["update_id"]
    second = emulator.send_text(USER, "two")["update_id"]
    async with aiohttp.ClientSession() as session:
        _, both = await call(session, emulator, "getUpdates")
        _, limited = await call(session, emulator, "getUpdates", limit=1)
        _, after_first = await call(session, emulator, "getUpdates", offset=first + 1)
        _, drained = await call(session, emulator, "getUpdates", offset=second + 1)

        started = time.monotonic()
        poll = asyncio.create_task(
            call(session, emulator, "getUpdates", offset=second + 1, timeout=10)
        )
        await asyncio.sleep(0.2)
        third = emulator.send_text(USER, "three")["update_id"]
        _, woken = await asyncio.wait_for(poll, 5)
        waited = time.monotonic() - started

        _, filtered = await call(
            session, emulator, "getUpdates", offset=third + 1, allowed_updates=["callback_query"]
        )
        emulator.send_text(USER, "ignored")
        _, still_empty = await call(session, emulator, "getUpdates", offset=third + 1)

    assert [u["update_id"] for u in both["result"]] == [first, second]
    assert [u["update_id"] for u in limited["result"]] == [first]
    assert [u["update_id"] for u in after_first["result"]] == [second]
    assert drained == {"ok": True, "result": []}
    assert [u["message"]["text"] for u in woken["result"]] == ["three"]
    assert 0.2 <= waited < 2  # woke on the update, not at the 10 s timeout
    assert filtered["result"] == [] and still_empty["result"] == []


@pytest.mark.asyncio
async def test_request_encodings_and_http_errors(emulator: BotAPIEmulator) -> None:  # noqa: F811
    await started_chat(emulator)
    base = f"{emulator.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/SENDMESSAGE", data={"chat_id": str(USER), "text": "form"}) as r:
            form = await r.json()
        async with session.get(f"{base}/sendMessage", params={"chat_id": USER, "text": "query"}) as r:
            query = await r.json()
        async with session.post(f"{base}/noSuchMethod") as r:
            unknown = (r.status, await r.json())
        async with session.post(f"{emulator.base_url}/bot1:wrong/getMe") as r:
            unauthorized = (r.status, await r.json())

    assert form["result"]["text"] == "form" and query["result"]["text"] == "query"
    assert unknown == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert unauthorized == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert emulator.api_calls["sendMessage"] == 2


@pytest.mark.asyncio
async def test_commands_chat_info_replies_and_keyboards(
    emulator: BotAPIEmulator, bot: Bot  # noqa: F811
) -> None:
    await started_chat(emulator)
    user_message_id = emulator.events(USER)[0].message_id
    assert await bot.set_my_commands([BotCommand(command="start", description="Begin")],
                                     language_code="vi")
    commands_vi = await bot.get_my_commands(language_code="vi")
    commands_en = await bot.get_my_commands(language_code="en")
    chat = await bot.get_chat(USER)
    assert await bot.send_chat_action(USER, "typing") is True
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share", request_contact=True)]], one_time_keyboard=True
    )
    reply = await bot.send_message(USER, "Share?", reply_markup=keyboard,
                                   reply_parameters=ReplyParameters(message_id=user_message_id))
    shown = emulator.reply_keyboard(USER)
    await bot.send_message(USER, "Thanks", reply_markup=ReplyKeyboardRemove())
    with pytest.raises(TelegramBadRequest) as edit_user_message:
        await bot.edit_message_text("x", chat_id=USER, message_id=user_message_id)
    assert await bot.delete_message(USER, user_message_id) is True

    assert [c.command for c in commands_vi] == ["start"] and commands_en == []
    assert (chat.id, chat.type, chat.first_name) == (USER, "private", "Lan")
    assert reply.reply_to_message.text == "hi"
    assert reply.reply_markup is None  # reply keyboards are not echoed back in Message
    assert shown is not None and shown["keyboard"][0][0]["request_contact"] is True
    assert emulator.reply_keyboard(USER) is None
    assert edit_user_message.value.message == "Bad Request: message can't be edited"
    assert [e.kind for e in emulator.events(USER)][-1] == "deleted"


@pytest.mark.asyncio
async def test_press_button_fails_clearly_and_forged_data_is_delivered(
    emulator: BotAPIEmulator, bot: Bot  # noqa: F811
) -> None:
    await started_chat(emulator)
    sent = await bot.send_message(USER, "Menu", reply_markup=menu_markup())
    forged = emulator.press(USER, sent.message_id, "admin:delete_all")
    with pytest.raises(LookupError, match=r"no inline button 'Close'; buttons: \['Open'\]"):
        emulator.press_button(USER, sent.message_id, "Close")
    raw = emulator.send_raw({"edited_message": {**forged["callback_query"]["message"], "text": "x"}})

    assert forged["callback_query"]["data"] == "admin:delete_all"
    assert forged["callback_query"]["message"]["message_id"] == sent.message_id
    assert raw["update_id"] == forged["update_id"] + 1
