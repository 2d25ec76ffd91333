"""The first minutes of a citizen with the bot, through the emulator over real HTTP."""

from __future__ import annotations

from bot.config import ROOT
from bot.domain.units import import_units
from bot.features import stores

MENU_VI = ["📋 Dịch vụ công", "🏆 Thi tìm hiểu chuyển đổi số", "📢 Thông báo", "❓ Trợ giúp"]


async def _import_sample_units(sandbox) -> None:
    from bot.db.engine import create_engine, create_session_factory
    from bot.db.uow import UnitOfWork

    engine = create_engine(sandbox.settings.database_url)
    uow = UnitOfWork(create_session_factory(engine), stores())
    await import_units(uow, (ROOT / "data" / "units" / "backan-2023.csv").read_text(encoding="utf-8"))
    await uow.close()
    await engine.dispose()


async def _user_row(sandbox, citizen):
    async with sandbox.app.dispatcher["session_factory"]() as session:
        from bot.db.repositories import UserRepository

        return await UserRepository(session).get("telegram", str(citizen.id))


async def test_first_start_asks_language_suggested_from_telegram_then_shows_menu(sandbox):
    citizen = sandbox.citizen(language_code="en")
    replies = await citizen.send("/start")
    picker = replies[-1]
    assert next(button["text"] for button in picker.buttons) == "English"  # suggested first
    assert {button["text"] for button in picker.buttons} >= {"Tiếng Việt", "English", "ไทย"}

    replies = await citizen.press("Tiếng Việt")
    assert picker.message_id in [message.message_id for message in replies]  # the picker is edited in place
    assert "Xin chào" in replies[-2].text
    assert citizen.keyboard_labels == MENU_VI
    assert "Trình đơn chính" in replies[-1].text
    assert (await _user_row(sandbox, citizen)).language == "vi"


async def test_returning_citizen_skips_the_language_question(sandbox):
    citizen = sandbox.citizen(language_code="th")
    await citizen.start()
    replies = await citizen.send("/start")
    assert "สวัสดี" in replies[0].text
    assert not any("lang:" in button.get("callback_data", "") for message in replies for button in message.buttons)


async def test_language_can_be_changed_any_time(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    await citizen.send("/language")
    replies = await citizen.press("ไทย")
    assert "ภาษาไทย" in replies[1].text
    assert citizen.keyboard_labels[0] == "📋 บริการภาครัฐ"
    # and through the menu
    await citizen.send("/menu")
    await citizen.press("🌐 ภาษา")
    replies = await citizen.press("English")
    assert replies[1].text.startswith("Done")
    assert (await _user_row(sandbox, citizen)).language == "en"


async def test_deep_link_records_unit_and_help_shows_its_team(sandbox):
    await _import_sample_units(sandbox)
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start(payload="unit_bk-tp-ducxuan")
    row = await _user_row(sandbox, citizen)
    assert row.unit_code == "bk-tp-ducxuan" and row.source == "unit_bk-tp-ducxuan"
    replies = await citizen.send("/help")
    assert "Tổ công nghệ số cộng đồng" in replies[0].text
    assert "Đức Xuân" in replies[0].text


async def test_unknown_deep_link_is_harmless(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start(payload="unit_nowhere")
    row = await _user_row(sandbox, citizen)
    assert row.unit_code is None and row.source == "unit_nowhere"
    assert "Trình đơn chính" in citizen.last.text


async def test_help_without_unit_offers_hotline(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.send("/help")
    assert "not recorded yet" in replies[0].text
    assert replies[0].text.rstrip().endswith("Province hotline: 0209 3 000 000")
    assert any(button["text"] == "📍 Choose my commune" for button in replies[0].buttons)


async def test_keyboard_button_works_in_an_old_language(sandbox):
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    replies = await citizen.send("❓ Trợ giúp")  # a Vietnamese keyboard left over from before
    assert "How to use" in replies[0].text


async def test_unknown_text_and_sticker_get_a_hint_and_the_menu(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    replies = await citizen.send_sticker()
    assert len(replies) == 1
    assert "chưa hiểu" in replies[0].text
    assert any(button["text"] == "📋 Dịch vụ công" for button in replies[0].buttons)
    # Text is a search: nothing found, and the topics at once.
    replies = await citizen.send("asdfgh")
    assert len(replies) == 1 and "asdfgh" in replies[0].text
    assert any(button.get("callback_data", "").startswith("gk:") for button in replies[0].buttons)


async def test_forged_and_stale_buttons_change_nothing(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()
    before = len(citizen.messages)
    await citizen.press_data("lang:xx")
    await citizen.press_data("garbage-data")
    await citizen.press_data("m:not-an-item")
    assert len(citizen.messages) == before
    assert citizen.toasts[-3:] == ["Nút này đã cũ. Bạn hãy dùng tin nhắn mới nhất hoặc gõ /menu."] * 3
    assert (await _user_row(sandbox, citizen)).language == "vi"


async def test_commands_are_set_in_every_language(sandbox):
    from bot.app import set_commands

    await set_commands(sandbox.app.bot, sandbox.app.dispatcher["features"])
    thai = await sandbox.app.bot.get_my_commands(language_code="th")
    default = await sandbox.app.bot.get_my_commands()
    assert [command.command for command in default] == [
        "start",
        "menu",
        "help",
        "language",
        "quiz",
        "top",
        "privacy",
        "forget",
    ]
    assert default[1].description == "Trình đơn chính"
    assert thai[1].description == "เมนูหลัก"


async def test_failing_command_setup_is_not_fatal(settings, caplog):
    import socket

    from bot.app import build_bot, set_commands
    from bot.features import all_features

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = build_bot(settings.model_copy(update={"bot_api_url": f"http://127.0.0.1:{port}"}), token="1:X")
    await set_commands(bot, all_features())
    await bot.session.close()
    assert "could not set the command list" in caplog.text


async def test_one_failing_update_does_not_stop_the_bot(sandbox, monkeypatch):
    from bot.ui.screens import common

    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    original = common.help_view

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.handlers.help.help_view", broken)
    replies = await citizen.send("/help")
    assert "something went wrong" in replies[0].text
    monkeypatch.setattr("bot.handlers.help.help_view", original)
    replies = await citizen.send("/help")
    assert "How to use" in replies[0].text
