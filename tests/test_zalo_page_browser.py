"""The sandbox's Zalo citizen page: a person chats with the real bot as a Zalo citizen, in headless Chromium;
and its JSON API refuses what it cannot carry out."""

from __future__ import annotations

import os

import aiohttp
import pytest

from tests.broadcast_support import fast
from tests.test_webchat_browser import CHROMIUM, CHROMIUM_ARGS
from tests.zalo_support import ZaloSandbox

SCRIPT = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>"


@pytest.fixture
async def zalo(settings):
    sandbox = await ZaloSandbox(fast(settings)).start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def test_the_api_refuses_unknown_citizens_and_bad_bodies_and_posts_nothing(zalo) -> None:
    base = zalo.emulator.base_url + "/citizen/api"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/send", json={"user": "123", "text": "hi"}) as response:
            assert response.status == 404
        async with http.post(f"{base}/send", data=b"not json") as response:
            assert response.status == 400
        async with http.post(f"{base}/new", json={"name": ""}) as response:
            assert response.status == 400
        async with http.post(f"{base}/new", json={"name": "Lan"}) as response:
            user = (await response.json())["id"]
        assert isinstance(user, str) and int(user) > 2**53
        async with http.post(f"{base}/press", json={"user": user, "message": 0, "button": 0}) as response:
            assert response.status == 400  # nothing shown yet: nothing to press
        async with http.post(f"{base}/send", json={"user": user, "text": "x" * 2001}) as response:
            assert response.status == 400
    assert zalo.emulator.webhook_answers == []  # nothing reached the bot


async def _page(browser, zalo):
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(zalo.emulator.base_url + "/citizen/")
    return page


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}")
async def test_a_person_chats_as_a_zalo_citizen(zalo) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await _page(browser, zalo)
            await expect(page.get_by_test_id("notice")).to_contain_text("not Zalo")
            await page.get_by_test_id("name").fill(SCRIPT)
            await page.get_by_test_id("new-citizen").click()
            await page.get_by_test_id("input").fill("/start")
            await page.get_by_test_id("send").click()
            oa = page.locator('[data-from="oa"]')
            await expect(oa.filter(has_text="ngôn ngữ").first).to_be_visible()
            await page.get_by_test_id("button").filter(has_text="English").first.click()
            await expect(oa.filter(has_text="Main menu").first).to_be_visible()
            await page.get_by_test_id("button").filter(has_text="Help").last.click()
            await expect(oa.filter(has_text="hotline").first).to_be_visible()
            # A citizen's text with markup is shown as the characters typed, and nothing of it runs.
            await page.get_by_test_id("input").fill(SCRIPT)
            await page.get_by_test_id("send").click()
            await expect(page.locator('[data-from="me"]', has_text="<script>")).to_have_count(1)
            assert await page.evaluate("window.pwned") is None
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"the page is {width} px wide"
        finally:
            await browser.close()
    users = [user for user in zalo.emulator.users.values() if user.name == SCRIPT[:60]]  # the field keeps 60
    assert len(users) == 1 and len(users[0].messages) >= 3  # the bot answered that citizen through the OA API
