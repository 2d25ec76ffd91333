"""Every kind of content registers one checker; start-up and `content check` run them all."""
from __future__ import annotations

from typing import Callable

from bot.config import Settings
from bot.content.problems import ContentError, Problem

Checker = Callable[[Settings], list[Problem]]

# Filled by feature modules (see bot.features); each returns the problems of its files.
CHECKERS: list[tuple[str, Checker]] = []


def register(name: str, checker: Checker) -> None:
    if all(existing != name for existing, _ in CHECKERS):
        CHECKERS.append((name, checker))


def check_all(settings: Settings) -> list[Problem]:
    from bot import features

    features.load()
    problems: list[Problem] = []
    for _name, checker in CHECKERS:
        problems.extend(checker(settings))
    return sorted(problems)


def require_valid(settings: Settings) -> list[Problem]:
    """Raise ContentError on any error; return the warnings."""
    problems = check_all(settings)
    errors = [problem for problem in problems if not problem.warning]
    if errors:
        raise ContentError(errors)
    return problems
