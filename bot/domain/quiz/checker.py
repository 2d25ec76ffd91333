"""Registers the quiz content checker (listed in bot.features)."""
from __future__ import annotations

from bot.config import Settings
from bot.content.problems import Problem
from bot.content.registry import register
from bot.domain.quiz.schema import load_quiz_bank


def check_quiz_bank(settings: Settings) -> list[Problem]:
    return load_quiz_bank(settings.quiz_bank_dir)[1]


register("quiz", check_quiz_bank)
