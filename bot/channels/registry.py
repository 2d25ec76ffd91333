"""Which channels exist besides Telegram, and how each is built from the settings.

A channel package `bot/channels/<name>/` has `build(settings) -> Channel | None` (None: not configured, so not
started). Adding a channel is its package plus one line here; the application wires the rest (its engine, its
routes on the bot's web server, its background work, its messenger in the delivery room).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from bot.channels.base import Channel
from bot.config import Settings

Builder = Callable[[Settings], Channel | None]

# name -> the module whose build() makes it
CHANNELS: dict[str, str] = {
    "zalo": "bot.channels.zalo",
    "web": "bot.channels.web",
}


def builder(name: str) -> Builder:
    module = importlib.import_module(CHANNELS[name])
    return cast(Builder, module.build)


def configured(settings: Settings, only: tuple[str, ...] | None = None) -> list[Channel]:
    """The channels whose settings are given (all of them, or those named in `only`)."""
    built = []
    for name in CHANNELS:
        if only is not None and name not in only:
            continue
        channel = builder(name)(settings)
        if channel is not None:
            built.append(channel)
    numbers = [channel.number for channel in built]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two channels share a number: {numbers}")
    return built
