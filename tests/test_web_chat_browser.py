"""The web chat page in headless Chromium against the real bot: markup stays text, two browsers are two citizens,
rate limits, a strict Content-Security-Policy, and a 360 px phone."""

from __future__ import annotations

import os
import re

import aiohttp
import pytest

from bot.config import Settings
from tests.test_webchat_browser import CHROMIUM, CHROMIUM_ARGS
from tests.web_support import WebSandbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]
SCRIPT = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"


@pytest.fixture
async def web_chat(settings: Settings):
    running = await WebSandbox(settings, web_chat_rate_session="12/minute").start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _phone(browser, web_chat: WebSandbox):
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(web_chat.base_url + "/")
    return page


async def _start(page) -> None:
    """Start, pick the suggested language (English: the browser's), and wait for the big buttons."""
    from playwright.async_api import expect

    await page.get_by_test_id("start").click()
    await page.get_by_test_id("button").filter(has_text="English").click()
    await expect(page.get_by_test_id("big-button").first).to_be_visible()


def bot_says(page, text: str):
    return page.locator('[data-testid="message"][data-from="bot"]', has_text=text)


async def test_csp_is_strict_and_the_page_has_no_inline_script(web_chat: WebSandbox) -> None:
    async with aiohttp.ClientSession() as http, http.get(web_chat.base_url + "/") as response:
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        page = await response.text()
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and "unsafe" not in csp
    assert directives["frame-ancestors"] == "'self'" and directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page  # the only scripts are a file and a JSON block


async def test_a_script_in_a_name_is_text_and_runs_nowhere(web_chat: WebSandbox, browser) -> None:
    from playwright.async_api import expect

    page = await _phone(browser, web_chat)
    await _start(page)
    await page.get_by_test_id("input").fill("/quiz")
    await page.get_by_test_id("send").click()
    await page.get_by_test_id("button").filter(has_text="I agree").click()
    await page.get_by_test_id("input").fill("1990")
    await page.get_by_test_id("send").click()
    await expect(bot_says(page, "name")).not_to_have_count(0)
    await page.get_by_test_id("input").fill(f"Lan {SCRIPT}")
    await page.get_by_test_id("send").click()
    # The name is shown back (our own message, and the bot's answer that quotes it), as the characters typed.
    await expect(page.locator('[data-from="me"]', has_text="<script>")).to_have_count(1)
    await expect(bot_says(page, "letters only")).to_be_visible()  # refused kindly, as on Telegram
    assert await page.evaluate("window.pwned") is None
    await page.get_by_test_id("input").fill("Nguyễn Thị Lan")
    await page.get_by_test_id("send").click()
    # The share-contact button becomes a form: nothing is shared without the box ticked.
    await expect(page.get_by_test_id("contact-form")).to_be_visible()
    await page.get_by_test_id("contact-phone").fill("0912 345 678")
    await page.get_by_test_id("contact-submit").click()
    await expect(page.get_by_test_id("contact-form")).to_be_visible()  # the browser holds it back: no consent
    await page.get_by_test_id("contact-consent").check()
    await page.get_by_test_id("contact-submit").click()
    await expect(page.get_by_test_id("contact-form")).to_be_hidden()
    await expect(bot_says(page, "0912345678")).not_to_have_count(0)
    assert await page.locator("[data-testid=chat] script, [data-testid=chat] img").count() == 0


async def test_two_browsers_are_two_citizens_and_a_reload_is_the_same(web_chat: WebSandbox, browser) -> None:
    from playwright.async_api import expect

    first, second = await _phone(browser, web_chat), await _phone(browser, web_chat)
    for page in (first, second):
        await _start(page)
    await first.get_by_test_id("input").fill("only the first one says this")
    await first.get_by_test_id("send").click()
    await expect(first.locator('[data-from="me"]', has_text="only the first")).to_be_visible()
    cookies = [(await page.context.cookies())[0] for page in (first, second)]
    assert cookies[0]["value"] != cookies[1]["value"] and cookies[0]["httpOnly"]
    await second.reload()
    await expect(second.get_by_test_id("big-button").first).to_be_visible()
    assert await second.locator('[data-from="me"]', has_text="only the first").count() == 0
    await first.reload()  # the same device keeps its chat
    await expect(first.locator('[data-from="me"]', has_text="only the first")).to_be_visible()
    uow = web_chat.app.channels[0].work()
    async with uow:
        assert await uow.users.count() == 2


async def test_too_many_messages_are_refused_kindly(web_chat: WebSandbox, browser) -> None:
    from playwright.async_api import expect

    page = await _phone(browser, web_chat)
    await _start(page)
    # The limit is 12 posts a minute per session; /start and the language press were two, so ten more pass.
    # The page posts without waiting for answers, so the browser's connections may deliver them out of
    # order: which ten pass is not fixed, how many is.
    for n in range(14):
        await page.get_by_test_id("input").fill(f"hello {n}")
        await page.get_by_test_id("send").click()
    await expect(page.get_by_test_id("toast")).to_contain_text("Too many messages")
    hellos = page.locator('[data-from="me"]').filter(has_text=re.compile(r"hello \d+"))
    await expect(hellos).to_have_count(10)
    await page.wait_for_timeout(500)  # nothing refused turns up late
    assert await hellos.count() == 10
    await page.reload()  # refused posts were neither stored nor handled
    await expect(hellos).to_have_count(10)


async def test_the_page_fits_a_360_px_phone(web_chat: WebSandbox, browser) -> None:
    from playwright.async_api import expect

    page = await _phone(browser, web_chat)
    await _start(page)
    await page.get_by_test_id("big-button").filter(has_text="Public services").click()
    await expect(page.get_by_test_id("button").first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide"
    for box in [await node.bounding_box() for node in await page.get_by_test_id("button").all()]:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["height"] >= 40
