"""Feature modules that register content checkers, repositories and routers."""
from __future__ import annotations

from importlib import import_module

# Each listed module registers itself on import.
FEATURE_MODULES: list[str] = [
    "bot.domain.quiz.checker",
    "bot.domain.guides.checker",
]


def load() -> None:
    for name in FEATURE_MODULES:
        import_module(name)
