"""Every kind of content has one checker (declared by its feature, see bot.features); start-up and
`content check` run them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.config import Settings
from bot.content.problems import ContentError, Problem

Checker = Callable[[Settings], list[Problem]]


def check_all(settings: Settings, checkers: Iterable[tuple[str, Checker]]) -> list[Problem]:
    problems: list[Problem] = []
    for _name, checker in checkers:
        problems.extend(checker(settings))
    return sorted(problems)


def require_valid(settings: Settings, checkers: Iterable[tuple[str, Checker]]) -> list[Problem]:
    """Raise ContentError on any error; return the warnings."""
    problems = check_all(settings, checkers)
    errors = [problem for problem in problems if not problem.warning]
    if errors:
        raise ContentError(errors)
    return problems
