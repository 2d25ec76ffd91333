"""Registers the guides checker, run by `content check` and at start-up."""
from __future__ import annotations

from bot.config import Settings
from bot.content.problems import Problem
from bot.content.registry import register
from bot.domain.guides.catalogue import load_catalogue


def check_guides(settings: Settings) -> list[Problem]:
    return load_catalogue(settings.procedures_dir)[1]


register("guides", check_guides)
