"""Button payloads every bot has: the menu, the language and the unit picker. Packed strings stay within 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.ui.payloads import Payload


@dataclass(frozen=True, slots=True)
class MenuCb(Payload, prefix="m"):
    item: str  # a bot.ui.menu.MenuEntry key


@dataclass(frozen=True, slots=True)
class LanguageCb(Payload, prefix="lang"):
    code: str


class UnitPurpose(StrEnum):
    """Why the unit picker is shown; each purpose's presses are handled where it belongs."""

    help = "h"  # Help: who can help me here
    guide = "g"  # "I'm stuck" in a guide: back to that step afterwards
    registration = "r"  # a contest registration step (or editing it)


@dataclass(frozen=True, slots=True)
class UnitOpenCb(Payload, prefix="uo"):
    """Open the unit picker in a new message."""

    purpose: UnitPurpose


@dataclass(frozen=True, slots=True)
class UnitLevelCb(Payload, prefix="ul"):
    """A screen of the picker: the units inside `parent` ("" = the top), those beginning with `letter` if any."""

    purpose: UnitPurpose
    parent: str
    letter: str = ""
    page: int = 0


@dataclass(frozen=True, slots=True)
class UnitChooseCb(Payload, prefix="uc"):
    """This is my unit."""

    purpose: UnitPurpose
    code: str
