"""Button payloads of the guides. Step and checklist payloads carry the guide's content version,
so that a button made before the guide was edited is recognised as stale."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.guides.service import Move
from bot.i18n import _
from bot.ui.menu import MenuEntry
from bot.ui.payloads import Payload

MENU_ENTRY = MenuEntry("guides", "📋", lambda: _("Public services"), order=10)


class Vote(StrEnum):
    up = "up"
    down = "down"
    skip = "skip"  # no reason to give after a 👎


@dataclass(frozen=True, slots=True)
class GuideListCb(Payload, prefix="gk"):
    category: str
    page: int = 0


@dataclass(frozen=True, slots=True)
class GuideOpenCb(Payload, prefix="go"):
    guide: str


@dataclass(frozen=True, slots=True)
class GuideStepCb(Payload, prefix="gs"):
    guide: str
    version: str
    shown: int  # the step on the message (0 = overview)
    action: Move


@dataclass(frozen=True, slots=True)
class GuideTickCb(Payload, prefix="gc"):
    guide: str
    version: str
    item: int


@dataclass(frozen=True, slots=True)
class GuideRateCb(Payload, prefix="gf"):
    guide: str
    vote: Vote


@dataclass(frozen=True, slots=True)
class GuideShowCb(Payload, prefix="gn"):
    """Open a guide from another screen (a quiz explanation) in a new message, so that screen stays as it was."""

    guide: str


@dataclass(frozen=True, slots=True)
class GuideUnitCb(Payload, prefix="gu"):
    """From "I'm stuck" at a step: choose or change my commune, then back to that step's help."""

    guide: str
    step: int
