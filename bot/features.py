"""What the bot can do, one descriptor per feature, and the one list of them.

A feature (guides, the quiz, and the ones to come) is declared once, at the bottom of its handler module, as
`FEATURE = Feature(...)`: its router, its stores (and through them its tables), its content checker, its
commands and menu entry, the content it loads at start-up, its background jobs and what it sends on its own
through the delivery room (its topics, bot.delivery.topics). Adding a feature is its own
modules (domain, db, screens, handlers) plus one line in `all_features()` below; nothing else needs an edit.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.content.problems import Problem
from bot.db.uow import StoreBinding
from bot.delivery.topics import Topic
from bot.ui.menu import MenuEntry

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher, Router

# A background job: a coroutine that runs while the bot runs, given the dispatcher (settings, database,
# content in its workflow data) and the bot; cancelled at shutdown.
Job = Callable[["Dispatcher", "Bot"], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # without the slash
    description: Callable[[], str]  # translated when called, e.g. `lambda: _("Main menu")`


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    router: Callable[[], Router] | None = None  # a fresh router per dispatcher
    stores: tuple[StoreBinding, ...] = ()
    # The feature's content files: problems as `file:line` (errors stop start-up; warnings are logged).
    check: Callable[[Settings], list[Problem]] | None = None
    commands: tuple[Command, ...] = ()
    menu: MenuEntry | None = None
    # Content loaded once at start-up, handed to handlers under these names (e.g. {"guides": catalogue}).
    load: Callable[[Settings], dict[str, object]] | None = None
    jobs: tuple[tuple[str, Job], ...] = field(default=())
    # What the feature sends on its own through the delivery room (bot.delivery), composed at send time.
    topics: tuple[Topic, ...] = ()


def all_features() -> tuple[Feature, ...]:
    """Every feature, in the order their routers see updates (the core first; catch-alls stay last)."""
    from bot.handlers import admin, broadcasts, chats, core, guides, quiz, reports, staff

    return (
        chats.FEATURE,
        core.FEATURE,
        staff.FEATURE,
        admin.FEATURE,
        reports.FEATURE,
        guides.FEATURE,
        quiz.FEATURE,
        broadcasts.FEATURE,
    )


def stores() -> tuple[StoreBinding, ...]:
    return tuple(binding for feature in all_features() for binding in feature.stores)


def topics() -> tuple[Topic, ...]:
    return tuple(topic for feature in all_features() for topic in feature.topics)


def checkers() -> list[tuple[str, Callable[[Settings], list[Problem]]]]:
    return [(feature.name, feature.check) for feature in all_features() if feature.check is not None]
