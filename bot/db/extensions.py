"""Feature repositories, attached to every unit of work by name.

A feature (guides, quiz, broadcasts…) adds one line to REPOSITORIES rather than
editing the unit of work itself.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# attribute name on the unit of work -> "module:Class"
REPOSITORIES: dict[str, str] = {
    "quiz": "bot.db.quiz:QuizRepository",
    "guides": "bot.db.guides:GuideRepository",
}


def bind_extensions(uow: Any, session: AsyncSession) -> None:
    for name, target in REPOSITORIES.items():
        module_name, class_name = target.split(":")
        setattr(uow, name, getattr(import_module(module_name), class_name)(session))
