"""The Bot API emulator, exercised by real aiogram bots over HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)

from bench.echo_bot import build_echo_dispatcher
from bot.sandbox.emulator import TINY_PNG, BotAPIEmulator
from tests.sandbox_fixtures import TOKEN, ManualClock, bot, emulator, emulator_with_bot, make_bot, polling

__all__ = ["bot", "emulator"]  # pytest fixtures, requested by name

USER = 1001


def menu_markup(data: str = "open") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Open", callback_data=data)]])


def demo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Hello, <b>{message.from_user.first_name}</b>! arg={command.args}", parse_mode="HTML")

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
async def test_start_command_reply_arrives(emulator: BotAPIEmulator) -> None:
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
    emulator: BotAPIEmulator,
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
async def test_contact_own_and_foreign(emulator: BotAPIEmulator) -> None:
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
async def test_echo_bot_baseline_and_next_reply(emulator: BotAPIEmulator) -> None:
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
    emulator: BotAPIEmulator,
) -> None:
    emulator.add_user(USER, "Lan")
    with pytest.raises(AssertionError, match=r"timed out after 0.05s .* chat 1001"):
        await emulator.wait_for_message(USER, timeout=0.05)


# --------------------------------------------------------------------------- error texts


@pytest.mark.asyncio
async def test_message_length_errors(emulator: BotAPIEmulator, bot: Bot) -> None:
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
    emulator: BotAPIEmulator,
    bot: Bot,
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
async def test_edit_and_delete_errors(emulator: BotAPIEmulator, bot: Bot) -> None:
    await started_chat(emulator)
    sent = await bot.send_message(USER, "Menu", reply_markup=menu_markup())
    with pytest.raises(TelegramBadRequest) as same_text:
        await bot.edit_message_text("Menu", chat_id=USER, message_id=sent.message_id, reply_markup=menu_markup())
    with pytest.raises(TelegramBadRequest) as same_markup:
        await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id, reply_markup=menu_markup())
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
async def test_chat_not_found_and_blocked(emulator: BotAPIEmulator, bot: Bot) -> None:
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
async def test_html_entities_and_parse_errors(emulator: BotAPIEmulator, bot: Bot) -> None:
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
        'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        'Bad Request: can\'t parse entities: Unsupported start tag "user@example.org" at byte offset 2',
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 0',
    ]


@pytest.mark.asyncio
async def test_rate_limit_returns_retry_after() -> None:
    async with emulator_with_bot(rate_limit=True, chat_messages_per_second=2, chat_burst=2) as (emu, bot):
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
    emulator: BotAPIEmulator,
    bot: Bot,
) -> None:
    await started_chat(emulator)
    payload = "Biên nhận hồ sơ #42".encode() * 100
    sent = await bot.send_document(
        USER, BufferedInputFile(payload, "bien-nhan.pdf"), caption="<i>receipt</i>", parse_mode="HTML"
    )
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
async def test_get_updates_offset_and_long_polling(emulator: BotAPIEmulator) -> None:
    emulator.add_user(USER, "Lan")
    first = emulator.send_text(USER, "one")["update_id"]
    second = emulator.send_text(USER, "two")["update_id"]
    async with aiohttp.ClientSession() as session:
        _, both = await call(session, emulator, "getUpdates")
        _, limited = await call(session, emulator, "getUpdates", limit=1)
        _, after_first = await call(session, emulator, "getUpdates", offset=first + 1)
        _, drained = await call(session, emulator, "getUpdates", offset=second + 1)

        started = time.monotonic()
        poll = asyncio.create_task(call(session, emulator, "getUpdates", offset=second + 1, timeout=10))
        await asyncio.sleep(0.2)
        third = emulator.send_text(USER, "three")["update_id"]
        _, woken = await asyncio.wait_for(poll, 5)
        waited = time.monotonic() - started

        _, filtered = await call(session, emulator, "getUpdates", offset=third + 1, allowed_updates=["callback_query"])
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
async def test_request_encodings_and_http_errors(emulator: BotAPIEmulator) -> None:
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
    emulator: BotAPIEmulator,
    bot: Bot,
) -> None:
    await started_chat(emulator)
    user_message_id = emulator.events(USER)[0].message_id
    assert await bot.set_my_commands([BotCommand(command="start", description="Begin")], language_code="vi")
    commands_vi = await bot.get_my_commands(language_code="vi")
    commands_en = await bot.get_my_commands(language_code="en")
    chat = await bot.get_chat(USER)
    assert await bot.send_chat_action(USER, "typing") is True
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share", request_contact=True)]], one_time_keyboard=True
    )
    reply = await bot.send_message(
        USER, "Share?", reply_markup=keyboard, reply_parameters=ReplyParameters(message_id=user_message_id)
    )
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
    emulator: BotAPIEmulator,
    bot: Bot,
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


# --------------------------------------------------------------------------- groups and channels

ALICE, BOB, CAROL, OUTSIDER = 3001, 3002, 3003, 3004
GROUP = -1001234567890
BASIC_GROUP = -4012345
CHANNEL = -1009876543210


async def drain(bot: Bot) -> list[Update]:
    """Every queued update, parsed by aiogram, then confirmed so the next call starts after them."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


def add_people(emu: BotAPIEmulator) -> None:
    for user_id, name in ((ALICE, "Lan"), (BOB, "Minh"), (CAROL, "Hoa"), (OUTSIDER, "Tuấn")):
        emu.add_user(user_id, name)


async def group_with_bot(emu: BotAPIEmulator, bot: Bot, admin: bool = False) -> None:
    """GROUP owned by Alice with Bob in it and the bot added; the updates so far are consumed."""
    add_people(emu)
    emu.add_group(GROUP, "Xã Yên Thịnh", owner=ALICE, members=[BOB])
    emu.add_bot_to_chat(GROUP, admin=admin)
    await drain(bot)


@pytest.mark.asyncio
async def test_group_messages_reach_the_bot_as_telegram_delivers_them(emulator: BotAPIEmulator, bot: Bot) -> None:
    add_people(emulator)
    emulator.add_group(GROUP, "Xã Yên Thịnh", owner=ALICE, members=[BOB])
    emulator.add_bot_to_chat(GROUP)
    emulator.join_group(CAROL, GROUP)
    emulator.send_text(BOB, "/help@sandbox_bot", chat_id=GROUP)
    emulator.send_text(CAROL, "xin chào mọi người", chat_id=GROUP)  # privacy mode hides it
    emulator.send_text(BOB, "/start@other_bot", chat_id=GROUP)  # meant for another bot
    sent = await bot.send_message(GROUP, "Chào cả nhóm")
    emulator.send_text(CAROL, "cảm ơn", chat_id=GROUP, reply_to=sent.message_id)
    with pytest.raises(ValueError, match="not a member"):
        emulator.send_text(OUTSIDER, "spam", chat_id=GROUP)
    updates = await drain(bot)

    added, bot_joined, carol_joined, command, reply = updates
    assert added.my_chat_member is not None
    assert (added.my_chat_member.old_chat_member.status, added.my_chat_member.new_chat_member.status) == (
        "left",
        "member",
    )
    assert added.my_chat_member.from_user.id == ALICE and added.my_chat_member.chat.type == "supergroup"
    assert bot_joined.message.new_chat_members[0].id == sent.from_user.id
    assert carol_joined.message.new_chat_members[0].id == CAROL
    assert (command.message.chat.id, command.message.chat.title) == (GROUP, "Xã Yên Thịnh")
    assert command.message.from_user.id == BOB and command.message.text == "/help@sandbox_bot"
    assert reply.message.reply_to_message.message_id == sent.message_id
    assert (sent.chat.id, sent.chat.type) == (GROUP, "supergroup")
    # The group holds every message, whether the bot saw it or not.
    texts = [e.message.get("text") for e in emulator.events(GROUP) if e.kind == "incoming" and e.message]
    assert "xin chào mọi người" in texts and "/start@other_bot" in texts
    assert [m.text for m in emulator.messages(GROUP)] == ["Chào cả nhóm"]


@pytest.mark.asyncio
async def test_group_privacy_off_or_bot_admin_sees_every_message(emulator: BotAPIEmulator, bot: Bot) -> None:
    await group_with_bot(emulator, bot, admin=True)
    emulator.send_text(BOB, "chào", chat_id=GROUP)
    as_admin = await drain(bot)
    emulator.add_group(BASIC_GROUP, "Tổ 5", owner=ALICE, members=[CAROL], type="group")
    emulator.add_bot_to_chat(BASIC_GROUP)
    await drain(bot)
    emulator.send_text(CAROL, "chào tổ", chat_id=BASIC_GROUP)
    hidden = await drain(bot)
    emulator.group_privacy = False
    emulator.send_text(CAROL, "chào lần nữa", chat_id=BASIC_GROUP)
    visible = await drain(bot)
    me = await bot.get_me()

    assert [u.message.text for u in as_admin] == ["chào"]
    assert hidden == []
    assert [(u.message.chat.type, u.message.text) for u in visible] == [("group", "chào lần nữa")]
    assert me.can_read_all_group_messages is True


@pytest.mark.asyncio
async def test_anonymous_group_admin(emulator: BotAPIEmulator, bot: Bot) -> None:
    await group_with_bot(emulator, bot)
    raw = emulator.send_anonymous_admin(GROUP, "/broadcast hello", author_signature="Chủ tịch xã")
    [update] = await drain(bot)

    message = update.message
    assert message.from_user.id == 1087968824 and message.from_user.is_bot
    assert message.from_user.username == "GroupAnonymousBot"
    assert (message.sender_chat.id, message.sender_chat.type) == (GROUP, "supergroup")
    assert message.author_signature == "Chủ tịch xã"
    assert raw["message"]["entities"][0]["type"] == "bot_command"


@pytest.mark.asyncio
async def test_channel_posts_edits_and_bot_posts(emulator: BotAPIEmulator, bot: Bot) -> None:
    add_people(emulator)
    emulator.add_channel(CHANNEL, "Thông báo xã", owner=ALICE, username="thongbao_xa")
    emulator.post_to_channel(CHANNEL, "before the bot was added")
    with pytest.raises(TelegramForbiddenError) as not_member:
        await bot.send_message(CHANNEL, "x")
    emulator.add_bot_to_chat(CHANNEL)
    post = emulator.post_to_channel(CHANNEL, "Lịch họp thứ Hai", author_signature="Văn phòng")
    emulator.edit_channel_post(CHANNEL, post["channel_post"]["message_id"], "Lịch họp thứ Ba")
    added, channel_post, edited = await drain(bot)
    sent = await bot.send_message("@thongbao_xa", "Đã nhận")

    assert not_member.value.message == "Forbidden: bot is not a member of the channel chat"
    assert added.my_chat_member.new_chat_member.status == "administrator"
    assert added.my_chat_member.new_chat_member.can_post_messages is True
    assert channel_post.channel_post.from_user is None
    assert channel_post.channel_post.sender_chat.id == CHANNEL
    assert (channel_post.channel_post.chat.type, channel_post.channel_post.text) == ("channel", "Lịch họp thứ Hai")
    assert channel_post.channel_post.author_signature == "Văn phòng"
    assert edited.edited_channel_post.message_id == channel_post.channel_post.message_id
    assert edited.edited_channel_post.text == "Lịch họp thứ Ba" and edited.edited_channel_post.edit_date
    assert "from" not in post["channel_post"]
    assert sent.from_user is None and sent.sender_chat.id == CHANNEL


@pytest.mark.asyncio
async def test_user_edits_a_private_message(emulator: BotAPIEmulator, bot: Bot) -> None:
    add_people(emulator)
    original = emulator.send_text(ALICE, "Tôi tên Lan")
    message_id = original["message"]["message_id"]
    emulator.edit_text(ALICE, message_id, "/start Tôi tên Lan Anh")
    with pytest.raises(LookupError):
        emulator.edit_text(ALICE, 999, "x")
    _, edited = await drain(bot)

    assert edited.edited_message.message_id == message_id
    assert edited.edited_message.text == "/start Tôi tên Lan Anh"
    assert edited.edited_message.entities[0].type == "bot_command"
    assert edited.edited_message.edit_date is not None
    events = emulator.events(ALICE)
    assert [e.kind for e in events] == ["incoming", "incoming_edited"]
    assert events[0].message is not None and events[0].message["text"] == "Tôi tên Lan"  # the snapshot stays


@pytest.mark.asyncio
async def test_bot_removed_from_groups_and_leaving(emulator: BotAPIEmulator, bot: Bot) -> None:
    await group_with_bot(emulator, bot)
    emulator.add_group(BASIC_GROUP, "Tổ 5", owner=ALICE, type="group")
    emulator.add_bot_to_chat(BASIC_GROUP)
    await drain(bot)
    emulator.remove_bot_from_chat(GROUP)
    emulator.remove_bot_from_chat(BASIC_GROUP)
    kicked, left = await drain(bot)
    errors = []
    for chat_id in (GROUP, BASIC_GROUP):
        with pytest.raises(TelegramForbiddenError) as error:
            await bot.send_message(chat_id, "still here?")
        errors.append(error.value.message)
    emulator.add_group(-1005555, "Chợ", owner=BOB)
    emulator.add_bot_to_chat(-1005555)
    await drain(bot)
    member = await bot.get_chat_member(-1005555, BOB)
    assert await bot.leave_chat(-1005555) is True
    [self_left] = await drain(bot)

    assert kicked.my_chat_member.new_chat_member.status == "kicked"
    assert left.my_chat_member.new_chat_member.status == "left"
    assert errors == [
        "Forbidden: bot was kicked from the supergroup chat",
        "Forbidden: bot is not a member of the group chat",
    ]
    assert member.status == "creator"
    assert self_left.my_chat_member.from_user.id == self_left.my_chat_member.new_chat_member.user.id
    assert self_left.my_chat_member.new_chat_member.status == "left"


@pytest.mark.asyncio
async def test_presses_in_groups_and_forged_presses(emulator: BotAPIEmulator, bot: Bot) -> None:
    await group_with_bot(emulator, bot)
    in_group = await bot.send_message(GROUP, "Bình chọn", reply_markup=menu_markup())
    emulator.press(BOB, in_group.message_id, "open", chat_id=GROUP)
    with pytest.raises(ValueError, match="not a member"):
        emulator.press(OUTSIDER, in_group.message_id, "open", chat_id=GROUP)
    emulator.send_text(ALICE, "hi")
    in_private = await bot.send_message(ALICE, "Menu", reply_markup=menu_markup())
    with pytest.raises(ValueError, match="forged=True"):
        emulator.press(BOB, in_private.message_id, "open", chat_id=ALICE)
    emulator.press(BOB, in_private.message_id, "open", chat_id=ALICE, forged=True)
    group_press, _, forged_press = await drain(bot)
    assert await bot.answer_callback_query(group_press.callback_query.id, text="ok") is True

    assert group_press.callback_query.from_user.id == BOB
    assert group_press.callback_query.message.chat.id == GROUP
    assert forged_press.callback_query.from_user.id == BOB
    assert forged_press.callback_query.message.chat.id == ALICE
    assert [a["text"] for a in emulator.callback_answers(BOB)] == ["ok"]
    assert emulator.events(GROUP)[-1].kind == "callback_answer"


@pytest.mark.asyncio
async def test_press_on_an_inaccessible_message(emulator: BotAPIEmulator, bot: Bot) -> None:
    await started_chat(emulator)
    sent = await bot.send_message(USER, "Menu", reply_markup=menu_markup())
    await bot.delete_message(USER, sent.message_id)
    with pytest.raises(LookupError, match="no live bot message"):
        emulator.press(USER, sent.message_id, "open")
    raw = emulator.press_inaccessible(USER, sent.message_id, "open")
    [_, update] = await drain(bot)

    message = update.callback_query.message
    assert isinstance(message, InaccessibleMessage)
    assert (message.chat.id, message.message_id, message.date) == (USER, sent.message_id, 0)
    assert raw["callback_query"]["message"] == {
        "chat": {"id": USER, "type": "private", "first_name": "Lan"},
        "message_id": sent.message_id,
        "date": 0,
    }
    assert await bot.answer_callback_query(update.callback_query.id) is True


@pytest.mark.asyncio
async def test_contact_card_of_another_person(emulator: BotAPIEmulator, bot: Bot) -> None:
    add_people(emulator)
    vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Trần Hùng\nTEL:+84912345678\nEND:VCARD"
    emulator.send_contact_card(ALICE, "+84912345678", "Hùng", last_name="Trần", vcard=vcard)
    emulator.send_contact_card(ALICE, "+84900000001", "Minh", contact_user_id=BOB)
    stranger, known = await drain(bot)

    assert stranger.message.from_user.id == ALICE
    assert stranger.message.contact.user_id is None
    assert (stranger.message.contact.first_name, stranger.message.contact.last_name) == ("Hùng", "Trần")
    assert stranger.message.contact.vcard == vcard
    assert known.message.contact.user_id == BOB != known.message.from_user.id


@pytest.mark.asyncio
async def test_bot_may_delete_group_messages_only_as_admin(emulator: BotAPIEmulator, bot: Bot) -> None:
    await group_with_bot(emulator, bot)
    command = emulator.send_text(BOB, "/start", chat_id=GROUP)["message"]["message_id"]
    with pytest.raises(TelegramBadRequest) as refused:
        await bot.delete_message(GROUP, command)
    emulator.add_bot_to_chat(GROUP, admin=True)  # promoted
    _, promoted = await drain(bot)  # the command, then the promotion
    deleted = await bot.delete_message(GROUP, command)

    assert refused.value.message == "Bad Request: message can't be deleted"
    assert promoted.my_chat_member.old_chat_member.status == "member"
    assert promoted.my_chat_member.new_chat_member.status == "administrator"
    assert deleted is True


# --------------------------------------------------------------------------- limits and faults


def started_users(emu: BotAPIEmulator, count: int, first: int = 5001) -> list[int]:
    """Users who wrote to the bot before (a broadcast audience); no updates are queued."""
    ids = list(range(first, first + count))
    for user_id in ids:
        emu.add_user(user_id, f"Dân {user_id}", started=True)
    return ids


@pytest.mark.asyncio
async def test_per_chat_limit_allows_a_burst_then_429_until_the_bucket_refills() -> None:
    clock = ManualClock()
    async with emulator_with_bot(rate_limit=True, clock=clock) as (emu, bot):
        await started_chat(emu)
        for i in range(3):  # the default burst
            await bot.send_message(USER, f"#{i}")
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.send_message(USER, "#3")
        async with aiohttp.ClientSession() as session:
            raw = await call(session, emu, "sendMessage", chat_id=USER, text="#3 again")
        clock.advance(1.0)
        await bot.send_message(USER, "#4")
        clock.advance(0.5)
        with pytest.raises(TelegramRetryAfter) as half_refilled:
            await bot.send_message(USER, "#5")
        emu.set_rate_limits(False)
        unlimited = [await bot.send_message(USER, f"free {i}") for i in range(5)]
        with pytest.raises(ValueError):
            emu.set_rate_limits(chat_burst=0)

    assert limited.value.retry_after == 1
    assert raw == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    assert half_refilled.value.retry_after == 1
    assert len(unlimited) == 5
    assert [m.text for m in emu.messages(USER)][:4] == ["#0", "#1", "#2", "#4"]
    assert emu.stats.rate_limited == {"chat": 3}
    assert emu.stats.rate_limited_chats == {USER: 3}
    assert emu.stats.statuses[429] == 3


@pytest.mark.asyncio
async def test_global_limit_and_paid_broadcast() -> None:
    clock = ManualClock()
    async with emulator_with_bot(rate_limit=True, clock=clock, paid_messages_per_second=40) as (emu, bot):
        users = started_users(emu, 45)
        outcomes: list[object] = []
        for user_id in users[:35]:
            try:
                await bot.send_message(user_id, "Thông báo")
                outcomes.append("ok")
            except TelegramRetryAfter as error:
                outcomes.append(error.retry_after)
        paid = [await bot.send_message(u, "Thông báo", allow_paid_broadcast=True) for u in users[30:40]]
        with pytest.raises(TelegramRetryAfter) as paid_ceiling:
            await bot.send_message(users[40], "Thông báo", allow_paid_broadcast=True)
        clock.advance(1.0)
        await bot.send_message(users[44], "Thông báo")

    assert outcomes == ["ok"] * 30 + [1] * 5
    assert len(paid) == 10
    assert paid_ceiling.value.retry_after == 1
    assert emu.stats.rate_limited == {"global": 6}
    assert sum(emu.stats.rate_limited_chats.values()) == 6
    assert emu.stats.paid_sends == 10  # every paid send went beyond the free 30 a second
    assert [s.chat_id for s in emu.stats.sends if s.paid] == users[30:40]


@pytest.mark.asyncio
async def test_group_rate_is_twenty_a_minute() -> None:
    clock = ManualClock()
    async with emulator_with_bot(rate_limit=True, clock=clock) as (emu, bot):
        await group_with_bot(emu, bot)
        for i in range(20):  # one a second: the chat's own bucket never runs dry
            await bot.send_message(GROUP, f"#{i}")
            clock.advance(1.0)
        with pytest.raises(TelegramRetryAfter) as limited:
            await bot.send_message(GROUP, "#20")
        clock.advance(limited.value.retry_after)
        await bot.send_message(GROUP, "after the wait")

    assert limited.value.retry_after == 40  # the first of the 20 leaves the minute 40 s later
    assert emu.stats.rate_limited == {"group": 1}
    assert len(emu.stats.sends_to(GROUP)) == 21
    assert emu.stats.achieved_rate(GROUP) == pytest.approx(20 / 60)


@pytest.mark.asyncio
async def test_blocked_and_deactivated_users_get_403() -> None:
    blocked, gone = 6001, 6002
    async with emulator_with_bot() as (emu, bot):
        emu.add_user(blocked, "Bình", started=True, blocked=True)
        emu.add_user(gone, "Cúc", started=True)
        emu.deactivate(gone)
        errors = []
        for user_id in (blocked, gone):
            with pytest.raises(TelegramForbiddenError) as error:
                await bot.send_message(user_id, "Thông báo")
            errors.append(error.value.message)
        with pytest.raises(TelegramForbiddenError):
            await bot.send_chat_action(gone, "typing")

    assert errors == ["Forbidden: bot was blocked by the user", "Forbidden: user is deactivated"]
    assert emu.stats.statuses[403] == 3
    assert emu.stats.errors["Forbidden: user is deactivated"] == 2
    assert emu.pending_updates == 0  # users made blocked or deactivated send no update


async def _server_error_run(seed: int, after_handling: bool = False) -> tuple[list[str], BotAPIEmulator]:
    async with emulator_with_bot(error_rate=0.3, fault_seed=seed, errors_after_handling=after_handling) as (emu, bot):
        await started_chat(emu)
        outcomes = []
        for i in range(30):
            try:
                await bot.send_message(USER, f"#{i}")
                outcomes.append("ok")
            except TelegramServerError as error:
                outcomes.append(error.message)
        assert len(await bot.get_updates(timeout=0)) == 1  # getUpdates is spared unless named
    return outcomes, emu


@pytest.mark.asyncio
async def test_seeded_server_errors_repeat() -> None:
    first, emu = await _server_error_run(7)
    again, _ = await _server_error_run(7)
    other, _ = await _server_error_run(8)
    after, emu_after = await _server_error_run(7, after_handling=True)

    failures = [o for o in first if o != "ok"]
    assert first == again and first != other
    assert 0 < len(failures) < 30
    assert set(failures) == {"Internal Server Error", "Bad Gateway"}
    assert emu.stats.statuses[500] + emu.stats.statuses[502] == len(failures)
    assert len(emu.messages(USER)) == first.count("ok")  # failed before taking effect
    assert after == first and len(emu_after.messages(USER)) == 30  # failed after the send happened


@pytest.mark.asyncio
async def test_slow_responses() -> None:
    async with emulator_with_bot(response_delay=0.2, fault_methods={"sendMessage"}) as (emu, bot):
        await started_chat(emu)
        started = time.monotonic()
        await bot.send_message(USER, "slow")
        fixed = time.monotonic() - started
        await bot.get_me()  # not named: answered at once
        emu.set_response_delay((0.05, 0.1))
        started = time.monotonic()
        await bot.send_message(USER, "within bounds")
        bounded = time.monotonic() - started
        with pytest.raises(ValueError):
            emu.set_response_delay((0.2, 0.1))

    assert fixed >= 0.2
    assert bounded >= 0.05
    assert emu.stats.delayed == {"sendMessage": 2}


@pytest.mark.asyncio
async def test_counters_of_calls_statuses_and_errors(emulator: BotAPIEmulator, bot: Bot) -> None:
    await started_chat(emulator)
    await bot.send_message(USER, "one")
    await bot.send_message(USER, "two")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(USER, "<b>open", parse_mode="HTML")
    async with aiohttp.ClientSession() as session:
        await call(session, emulator, "noSuchMethod")
    calls, statuses, errors = dict(emulator.stats.calls), dict(emulator.stats.statuses), dict(emulator.stats.errors)
    sends = [(s.chat_id, s.method) for s in emulator.stats.sends]
    emulator.stats.reset()

    assert calls == {"sendMessage": 4}
    assert statuses == {200: 2, 400: 2, 404: 1}
    assert errors == {
        "Bad Request: message text is empty": 1,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"": 1,
        "Not Found": 1,
    }
    assert sends == [(USER, "sendMessage")] * 2
    assert emulator.api_calls == {} and emulator.stats.statuses == {} and not emulator.stats.sends
