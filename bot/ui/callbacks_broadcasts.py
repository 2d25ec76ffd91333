"""Button payloads of announcements (the official's composer and progress, the citizen's list) and of /admin.

Each names the broadcast it acts on, so a press on an older draft, someone else's broadcast or a forged payload
is checked against the database and the caller's role before anything changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import _
from bot.ui.menu import MenuEntry
from bot.ui.payloads import Payload

MENU_ENTRY = MenuEntry("news", "📢", lambda: _("Announcements"), order=30)


class BcAction(StrEnum):
    versions = "v"  # the draft's messages, and the languages a version may be added in
    audience = "a"
    preview = "p"
    when = "w"
    now = "n"  # send as soon as confirmed
    schedule = "s"  # ask for a date and time
    confirm = "c"
    urgent = "u"  # toggle: sent during quiet hours too
    discard = "x"  # throw the draft away
    pause = "P"
    resume = "R"
    cancel = "C"
    cancel_confirmed = "K"
    refresh = "r"
    units = "U"  # open the unit picker at the top
    languages = "L"
    guides = "G"


@dataclass(frozen=True, slots=True)
class BcCb(Payload, prefix="bc"):
    action: BcAction
    id: int


@dataclass(frozen=True, slots=True)
class BcVersionCb(Payload, prefix="bv"):
    """Add (or replace) the version of a draft in this language."""

    id: int
    language: str


class AudienceField(StrEnum):
    everyone = "e"
    language = "l"
    quiz = "q"  # value: a QuizFilter, or "" for no quiz criterion
    guide = "g"  # value: a guide id, or "" for none


@dataclass(frozen=True, slots=True)
class BcAudienceCb(Payload, prefix="ba"):
    id: int
    field: AudienceField
    value: str


@dataclass(frozen=True, slots=True)
class BcUnitCb(Payload, prefix="bu"):
    id: int
    code: str  # "" for the top of the tree
    open: bool = False  # True: show the units inside; False: choose (or unchoose) this unit
    page: int = 0


class NewsAction(StrEnum):
    home = "h"
    open = "o"
    mute = "m"
    unmute = "u"


@dataclass(frozen=True, slots=True)
class NewsCb(Payload, prefix="nw"):
    action: NewsAction
    id: int = 0


class AdminAction(StrEnum):
    home = "h"
    grant = "g"  # value: the role to grant; asks who
    revoke = "r"  # lists the staff with a button each


@dataclass(frozen=True, slots=True)
class AdminCb(Payload, prefix="ad"):
    action: AdminAction
    role: str = ""


@dataclass(frozen=True, slots=True)
class AdminRoleCb(Payload, prefix="ar"):
    """Grant (or revoke) `role` to the Telegram user `user`: the confirmation button."""

    user: str
    role: str
    grant: bool
