"""The sandbox as a person uses it: the real bot, the emulator and the web chat, in headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ROOT
from bot.sandbox.run import prepare_database
from tests.test_webchat_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]


@pytest.fixture
async def web_sandbox(settings):
    from bot.sandbox.webchat import add_webchat_routes
    from tests.e2e import Sandbox

    await prepare_database(settings, ROOT / "data" / "units" / "backan-2023.csv")
    sandbox = Sandbox(settings)
    add_webchat_routes(sandbox.emulator.app, sandbox.emulator)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def test_a_person_starts_picks_a_language_and_opens_help(web_sandbox, tmp_path: Path):
    from playwright.async_api import async_playwright, expect

    base_url = web_sandbox.emulator.base_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            page.set_default_timeout(15_000)
            await page.goto(f"{base_url}/")
            await page.get_by_test_id("user-name").fill("Hoa")
            await page.get_by_test_id("user-lang").select_option("vi")
            await page.get_by_test_id("user-create").click()

            await page.get_by_test_id("message-input").fill("/start unit_bk-tp-songcau")
            await page.get_by_test_id("send-button").click()
            bot = page.locator('[data-testid="message"][data-from="bot"]')
            await expect(bot.filter(has_text="Vui lòng chọn ngôn ngữ")).to_be_visible()
            await page.get_by_test_id("inline-button").filter(has_text="Tiếng Việt").first.click()
            await expect(bot.filter(has_text="Xin chào")).to_be_visible()
            await expect(page.get_by_test_id("reply-button")).to_have_count(4)

            await page.get_by_test_id("reply-button").filter(has_text="Trợ giúp").click()
            await expect(bot.filter(has_text="Sông Cầu")).to_be_visible()

            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "sandbox-help.png"), full_page=True)
        finally:
            await browser.close()
    assert (ARTIFACTS / "sandbox-help.png").stat().st_size > 10_000
