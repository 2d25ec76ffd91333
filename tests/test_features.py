"""A feature is declared once (bot.features.Feature) and the bot takes it from there: router, menu entry and
big button, commands, content check, content loaded at start-up and background jobs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command as CommandFilter
from aiogram.types import TelegramObject

from bot.app import build_application, set_commands
from bot.config import Settings
from bot.content.problems import ContentError, Problem
from bot.features import Command, Feature, all_features
from bot.handlers.filters import MenuText, Pressed, from_menu
from bot.i18n import _
from bot.transport.reply import Reply
from bot.ui import menu
from bot.ui.menu import MenuEntry
from bot.ui.payloads import Payload
from bot.ui.view import Choice, View, rows
from tests.e2e import Sandbox

ENTRY = MenuEntry("weather", "🌦", lambda: _("Help"), order=50)  # an existing msgid: no catalogue edits
jobs_ran = asyncio.Event()


@dataclass(frozen=True, slots=True)
class ForecastCb(Payload, prefix="wx"):
    day: int


async def forecast(_: TelegramObject, reply: Reply, forecasts: dict[int, str]) -> None:
    await reply.send(View(text=forecasts[0], buttons=rows(Choice("+1", ForecastCb(day=1)))))


async def next_day(_: TelegramObject, callback_data: ForecastCb, reply: Reply, forecasts: dict[int, str]) -> None:
    await reply.show(View(text=forecasts[callback_data.day]))


def weather_router() -> Router:
    router = Router(name="weather")
    router.message.register(forecast, CommandFilter("weather"))
    router.message.register(forecast, MenuText(ENTRY))
    router.callback_query.register(forecast, from_menu(ENTRY))
    router.callback_query.register(next_day, Pressed(ForecastCb))
    return router


async def watch(_dispatcher: Dispatcher, _bot: Bot) -> None:
    jobs_ran.set()
    await asyncio.Event().wait()  # runs until the bot stops


WEATHER = Feature(
    name="weather",
    router=weather_router,
    check=lambda settings: [],
    commands=(Command("weather", lambda: _("Help")),),
    menu=ENTRY,
    load=lambda settings: {"forecasts": {0: "Sunny today", 1: "Rain tomorrow"}},
    jobs=(("weather_watch", watch),),
)


@pytest.fixture
async def weather_sandbox(settings: Settings):  # type: ignore[no-untyped-def]
    running = await Sandbox(settings, features=(*all_features(), WEATHER)).start()
    try:
        yield running
    finally:
        await running.stop()
        menu.install(feature.menu for feature in all_features() if feature.menu)


async def test_a_feature_declared_once_is_in_the_menu_the_keyboard_the_commands_and_the_router(weather_sandbox):
    sandbox = weather_sandbox
    citizen = sandbox.citizen(language_code="en")
    await citizen.start()
    assert "🌦 Help" in citizen.keyboard_labels
    menu = (await citizen.send("/menu"))[-1]
    assert "🌦 Help" in [button["text"] for button in menu.buttons]

    replies = await citizen.press("🌦 Help", message=menu)
    assert replies[-1].text == "Sunny today"
    replies = await citizen.press("+1")
    assert replies[-1].text == "Rain tomorrow"
    assert (await citizen.send("🌦 Help"))[-1].text == "Sunny today"

    await set_commands(sandbox.app.bot, sandbox.app.dispatcher["features"])
    assert "weather" in [command.command for command in await sandbox.app.bot.get_my_commands()]
    await asyncio.wait_for(jobs_ran.wait(), 5)


async def test_a_feature_s_content_check_can_stop_the_start(settings: Settings) -> None:
    broken = Feature(name="broken", check=lambda settings: [Problem("weather.yaml", 3, "no sky")])
    with pytest.raises(ContentError, match=r"weather\.yaml:3: no sky"):
        build_application(settings, token="1:X", features=(*all_features(), broken))


async def test_without_a_feature_its_menu_entry_is_gone(settings: Settings) -> None:
    app = build_application(settings, token="1:X", features=[f for f in all_features() if f.name != "quiz"])
    await app.close()
    assert "quiz" not in [entry.key for entry in menu.entries()]
    app = build_application(settings, token="1:X")
    await app.close()
    assert "quiz" in [entry.key for entry in menu.entries()]
