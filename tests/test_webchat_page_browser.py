"""The sandbox page on a 360 px phone in headless Chromium: Thai drawn with the served font (the machine has no
Thai system font), a favicon, and nothing cut or wider than the screen."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from bot.sandbox.emulator import BotAPIEmulator
from bot.sandbox.webchat import add_webchat_routes
from tests.sandbox_fixtures import TOKEN, make_bot, polling
from tests.test_webchat_browser import CHROMIUM, CHROMIUM_ARGS, bot_message, page_bot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]
WIDTH = 360


@pytest_asyncio.fixture
async def server() -> AsyncIterator[BotAPIEmulator]:
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
async def phone():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": WIDTH, "height": 740})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            await browser.close()


async def test_fonts_and_favicon_are_served_and_nothing_else(server: BotAPIEmulator):
    async with aiohttp.ClientSession() as http:
        for path in ("/favicon.ico", "/favicon.svg"):
            async with http.get(server.base_url + path) as response:
                assert response.status == 200 and response.content_type == "image/svg+xml"
                assert b"<svg" in await response.read()
        async with http.get(server.base_url + "/fonts/NotoSansThai-Regular.ttf") as response:
            assert response.status == 200 and response.content_type == "font/ttf"
            assert (await response.read())[:4] == b"\x00\x01\x00\x00"  # a TrueType font
        for path in ("/fonts/LICENSE-DejaVu.txt", "/fonts/..%2F..%2Fconfig.py", "/fonts/nope.ttf"):
            async with http.get(server.base_url + path) as response:
                assert response.status == 404, path


async def _make_user(page, base_url: str, name: str) -> None:
    await page.goto(f"{base_url}/")
    await page.get_by_test_id("user-name").fill(name)
    await page.get_by_test_id("user-lang").select_option("th")
    await page.get_by_test_id("user-create").click()


async def test_thai_is_drawn_with_the_served_font(server: BotAPIEmulator, phone):
    from playwright.async_api import expect

    await _make_user(phone, server.base_url, "Somchai")
    await phone.get_by_test_id("message-input").fill("สวัสดีครับ")
    await phone.get_by_test_id("send-button").click()
    reply = bot_message(phone, "สวัสดีครับ")
    await expect(reply).to_be_visible()
    await phone.evaluate("document.fonts.ready")
    faces = await phone.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replaceAll('\"', ''))"
    )
    assert "Sandbox Noto Sans Thai" in faces
    # What Chromium really drew the Thai text with (not what the style asks for).
    await phone.evaluate(
        """() => {
            const walker = document.createTreeWalker(document.querySelector('#chat'), NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                if (/[\u0e00-\u0e7f]/.test(node.textContent)) node.parentElement.dataset.thai = "yes";
            }
        }"""
    )
    cdp = await phone.context.new_cdp_session(phone)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    document = await cdp.send("DOM.getDocument", {"depth": -1})
    bubbles = await cdp.send(
        "DOM.querySelectorAll",
        {"nodeId": document["root"]["nodeId"], "selector": '[data-from="bot"] [data-thai="yes"]'},
    )
    used = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": bubbles["nodeIds"][-1]})
    fonts = {font["familyName"]: font for font in used["fonts"]}
    assert "Noto Sans Thai" in fonts and fonts["Noto Sans Thai"]["isCustomFont"], used
    assert fonts["Noto Sans Thai"]["glyphCount"] >= 8


async def test_the_page_fits_a_360_px_phone_with_the_user_selector_whole(server: BotAPIEmulator, phone):
    from playwright.async_api import expect

    await _make_user(phone, server.base_url, "Nguyễn Thị Phương Thảo")
    await expect(phone.get_by_test_id("user-select")).to_contain_text("Nguyễn Thị Phương Thảo")
    await phone.get_by_test_id("message-input").fill("/start")
    await phone.get_by_test_id("send-button").click()
    await expect(bot_message(phone, "Menu")).to_be_visible()
    assert await phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
    box = await phone.get_by_test_id("user-select").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    # The selected name is narrower than the selector minus its arrow and padding: nothing is cut.
    room, needed = await phone.evaluate(
        """() => {
            const select = document.querySelector('[data-testid="user-select"]');
            const style = getComputedStyle(select);
            const context = document.createElement('canvas').getContext('2d');
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = select.options[select.selectedIndex].text;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [select.clientWidth - padding - 20, context.measureText(text).width];
        }"""
    )
    assert needed <= room, (needed, room)
    icon = await phone.evaluate("document.querySelector('link[rel=icon]').href")
    assert icon.endswith("/favicon.svg")
