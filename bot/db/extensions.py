"""Feature repositories, attached to every unit of work by name.

A feature (guides, quiz, broadcasts…) adds one line to REPOSITORIES rather than
editing the unit of work itself.
"""
from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncSession

# attribute name on the unit of work -> "module:Class"
REPOSITORIES: dict[str, str] = {
    "quiz": "bot.db.quiz:QuizRepository",
    "guides": "bot.db.guides:GuideRepository",
}


@cache
def extension(name: str) -> Callable[[AsyncSession], Any] | None:
    """The repository class registered under `name`, imported once."""
    target = REPOSITORIES.get(name)
    if target is None:
        return None
    module_name, class_name = target.split(":")
    return getattr(import_module(module_name), class_name)
