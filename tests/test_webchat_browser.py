"""The web chat page, driven in headless Chromium against a real aiogram bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram import Dispatcher, F, Router
from aiogram.filters import CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.sandbox.emulator import TINY_PNG, BotAPIEmulator
from bot.sandbox.webchat import add_webchat_routes
from tests.sandbox_fixtures import TOKEN, make_bot, polling

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
REPORT = b"%PDF-1.4 sandbox receipt"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]


def page_bot() -> Dispatcher:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text="📱 Share phone", request_contact=True)],
                [KeyboardButton(text="Help")],
            ],
            resize_keyboard=True,
        )
        await message.answer("Welcome!", reply_markup=keyboard)
        menu = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Tap me", callback_data="tap")],
                [InlineKeyboardButton(text="Docs", url="https://example.org/docs")],
            ]
        )
        await message.answer("Menu", reply_markup=menu)

    @router.callback_query(F.data == "tap")
    async def tapped(callback: CallbackQuery) -> None:
        await callback.answer("Tapped!")
        await callback.message.edit_text("Tapped <i>once</i>", parse_mode="HTML")

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        await message.answer(f"Thanks, {message.contact.phone_number}", reply_markup=ReplyKeyboardRemove())

    @router.message(F.sticker)
    async def sticker(message: Message) -> None:
        await message.answer("Please type text, stickers are not understood.")

    @router.message(F.text == "file")
    async def file(message: Message) -> None:
        await message.answer_document(BufferedInputFile(REPORT, "receipt.pdf"))
        await message.answer_photo(BufferedInputFile(TINY_PNG, "dot.png"), caption="dot")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"You said: <b>{message.html_text}</b>", parse_mode="HTML")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


@pytest_asyncio.fixture
async def chat_server() -> AsyncIterator[BotAPIEmulator]:
    emu = BotAPIEmulator(token=TOKEN)
    add_webchat_routes(emu.app, emu)
    await emu.start()
    bot = make_bot(emu)
    try:
        async with polling(emu, page_bot(), bot):
            yield emu
    finally:
        await emu.stop()


@pytest_asyncio.fixture
async def page():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            await browser.close()


def bot_message(page, text: str):
    return page.locator('[data-testid="message"][data-from="bot"]', has_text=text)


@pytest.mark.asyncio
async def test_web_chat_conversation(chat_server: BotAPIEmulator, page) -> None:
    from playwright.async_api import expect

    emu = chat_server
    await page.goto(f"{emu.base_url}/")

    # No users yet: the creation form is open.
    await page.get_by_test_id("user-name").fill("Mai")
    await page.get_by_test_id("user-lang").select_option("en")
    await page.get_by_test_id("user-phone").fill("+84900000001")
    await page.get_by_test_id("user-create").click()
    await expect(page.get_by_test_id("user-select")).to_contain_text("Mai")
    user = emu.users()[0]
    assert (user.first_name, user.language_code) == ("Mai", "en")

    await page.get_by_test_id("message-input").fill("/start")
    await page.get_by_test_id("send-button").click()
    await expect(bot_message(page, "Welcome!")).to_be_visible()
    await expect(page.get_by_test_id("reply-button")).to_have_text(["📱 Share phone", "Help"])

    # Bot output is rendered from entities; user-typed markup stays inert text.
    await page.get_by_test_id("message-input").fill("hi <img src=x onerror=alert(1)>")
    await page.get_by_test_id("message-input").press("Enter")
    echo = bot_message(page, "You said:")
    await expect(echo.locator("strong")).to_have_text("hi <img src=x onerror=alert(1)>")
    assert await page.locator("img[src=x]").count() == 0

    # Inline button: the toast shows and the same bubble is edited in place.
    menu = bot_message(page, "Menu")
    menu_id = await menu.get_attribute("data-message-id")
    await expect(menu.locator('a[data-testid="inline-button"]')).to_have_attribute("href", "https://example.org/docs")
    await menu.get_by_test_id("inline-button").filter(has_text="Tap me").click()
    await expect(page.get_by_test_id("toast")).to_have_text("Tapped!")
    edited = page.locator(f'[data-testid="message"][data-message-id="{menu_id}"]')
    await expect(edited).to_contain_text("Tapped once")
    await expect(edited.locator("em")).to_have_text("once")
    await expect(edited.get_by_test_id("edited")).to_be_visible()
    await expect(bot_message(page, "Menu")).to_have_count(0)
    await expect(edited.get_by_test_id("inline-button")).to_have_count(0)

    # Reply keyboard: a plain button sends its text, request_contact shares the phone.
    await page.get_by_test_id("reply-button").filter(has_text="Help").click()
    await expect(page.locator('[data-from="user"]', has_text="Help")).to_be_visible()
    await expect(bot_message(page, "You said: Help")).to_be_visible()
    await page.get_by_test_id("reply-button").filter(has_text="Share phone").click()
    await expect(bot_message(page, "Thanks, +84900000001")).to_be_visible()
    await expect(page.get_by_test_id("reply-keyboard")).to_be_hidden()

    await page.get_by_test_id("sticker-button").click()
    await expect(bot_message(page, "stickers are not understood")).to_be_visible()

    # Files: a document download link and an inline photo.
    await page.get_by_test_id("message-input").fill("file")
    await page.get_by_test_id("send-button").click()
    link = page.get_by_test_id("document-link")
    await expect(link).to_contain_text("receipt.pdf")
    downloaded = await page.request.get(f"{emu.base_url}{await link.get_attribute('href')}")
    assert await downloaded.body() == REPORT
    photo = page.get_by_test_id("photo")
    await expect(photo).to_be_visible()
    assert await photo.evaluate("img => img.complete && img.naturalWidth") == 1

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-phone.png"), full_page=True)


@pytest.mark.asyncio
async def test_web_chat_switches_users_and_shows_deletions(chat_server: BotAPIEmulator, page) -> None:
    from playwright.async_api import expect

    emu = chat_server
    emu.add_user(11, "Anh", language_code="vi")
    emu.add_user(22, "Somchai", language_code="th")
    emu.send_text(11, "from Anh")
    await emu.wait_for_message(11, lambda m: m.text == "You said: from Anh")

    await page.goto(f"{emu.base_url}/")
    await page.get_by_test_id("user-select").select_option("11")
    await expect(bot_message(page, "You said: from Anh")).to_be_visible()

    await page.get_by_test_id("user-select").select_option("22")
    await expect(page.get_by_test_id("message")).to_have_count(0)
    await page.get_by_test_id("message-input").fill("sawasdee")
    await page.get_by_test_id("send-button").click()
    await expect(bot_message(page, "You said: sawasdee")).to_be_visible()

    # A message the bot deletes disappears from the open chat.
    reply = emu.last_message(22)
    bot = make_bot(emu)
    try:
        await bot.delete_message(22, reply.message_id)
    finally:
        await bot.session.close()
    await expect(bot_message(page, "You said: sawasdee")).to_have_count(0)

    await page.set_viewport_size({"width": 1280, "height": 800})
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-desktop.png"))
