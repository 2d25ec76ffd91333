"""The main menu as data: each feature declares its entry; the menu and the big buttons are built from them.

An entry's key travels in its button payload (`MenuCb(item=key)`) and its label is what a big button under
the chat sends back as text, so both are looked up here. Entries are installed once at start-up from the
features (see bot.features); before that only the entries every bot has are known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.i18n import _, catalogs, use_locale


@dataclass(frozen=True, slots=True)
class MenuEntry:
    key: str  # in the button payload: short, stable, no ":"
    icon: str
    title: Callable[[], str]  # translated when called, e.g. `lambda: _("Help")`
    order: int  # place in the main menu, smallest first
    big_button: bool = True  # also one of the big buttons under the chat

    def label(self) -> str:
        return f"{self.icon} {self.title()}"


HOME = MenuEntry("menu", "🏠", lambda: _("Main menu"), order=0, big_button=False)
HELP = MenuEntry("help", "❓", lambda: _("Help"), order=90)
LANGUAGE = MenuEntry("language", "🌐", lambda: _("Language"), order=95, big_button=False)
CORE = (HOME, HELP, LANGUAGE)

_entries: tuple[MenuEntry, ...] = CORE


def install(entries: Iterable[MenuEntry]) -> None:
    """The menu of this process: the core entries plus the features' (keys must be unique)."""
    global _entries  # noqa: PLW0603 -- one menu per process, set at start-up like the translations
    merged = {entry.key: entry for entry in CORE}
    for entry in entries:
        if entry.key in merged and merged[entry.key] is not entry:
            raise ValueError(f"two menu entries use the key {entry.key!r}")
        merged[entry.key] = entry
    _entries = tuple(sorted(merged.values(), key=lambda entry: entry.order))
    labels_of.cache_clear()


def entries() -> tuple[MenuEntry, ...]:
    """Every entry of the main menu (the menu itself excluded), in order."""
    return tuple(entry for entry in _entries if entry is not HOME)


def big_buttons() -> tuple[MenuEntry, ...]:
    return tuple(entry for entry in _entries if entry.big_button)


def keyboard() -> tuple[tuple[str, ...], ...]:
    """The big buttons under the chat, two per row."""
    labels = [entry.label() for entry in big_buttons()]
    return tuple(tuple(labels[index : index + 2]) for index in range(0, len(labels), 2))


@lru_cache(maxsize=64)
def labels_of(entry: MenuEntry) -> frozenset[str]:
    """The entry's label in every shipped language: a keyboard sent before a language change still says the old."""
    labels = set()
    for code in catalogs().available:
        with use_locale(code):
            labels.add(entry.label())
    return frozenset(labels)


def entry_of_text(text: str) -> MenuEntry | None:
    """The entry whose big button sends this text, if any."""
    stripped = text.strip()
    return next((entry for entry in _entries if stripped in labels_of(entry)), None)
