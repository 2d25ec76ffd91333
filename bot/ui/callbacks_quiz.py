"""Button payloads of the quiz. An answer carries attempt, question position and option, so a press on an
older question, an older attempt or someone else's attempt is recognised and refused."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import _
from bot.ui.menu import MenuEntry
from bot.ui.payloads import Payload

MENU_ENTRY = MenuEntry("quiz", "🏆", lambda: _("Digital-transformation quiz"), order=20)


class QuizAction(StrEnum):
    home = "h"
    consent = "c"
    decline = "d"
    rules = "r"  # the contest's rules, before the timer starts
    begin = "b"  # start the attempt from the rules message
    not_now = "n"  # leave the rules without starting
    contest = "s"  # start the attempt at once (older summaries' button)
    practice = "p"
    top = "t"
    privacy = "v"
    forget = "f"
    edit = "e"
    correct_year = "y"  # from "too young": type the birth year again


@dataclass(frozen=True, slots=True)
class QuizCb(Payload, prefix="qz"):
    action: QuizAction


class RegistrationField(StrEnum):
    name = "name"
    phone = "phone"
    birth_year = "birth_year"
    group = "group"
    unit = "unit"


@dataclass(frozen=True, slots=True)
class QuizEditCb(Payload, prefix="qe"):
    field: RegistrationField


@dataclass(frozen=True, slots=True)
class QuizGroupCb(Payload, prefix="qg"):
    id: str


@dataclass(frozen=True, slots=True)
class QuizForgetCb(Payload, prefix="qf"):
    """Yes or no to erasing name and phone; `consent` names the consent it would withdraw (a checksum of when it
    was given), so a confirm button left from before (erased already, or registered again since) is stale."""

    consent: int
    confirm: bool


@dataclass(frozen=True, slots=True)
class AnswerCb(Payload, prefix="qa"):
    attempt: int
    position: int
    option: int


@dataclass(frozen=True, slots=True)
class NextQuestionCb(Payload, prefix="qn"):
    attempt: int
    position: int
