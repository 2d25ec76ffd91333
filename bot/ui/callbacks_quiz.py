"""Button payloads of the quiz. An answer carries attempt, question position and option, so a press on an
older question, an older attempt or someone else's attempt is recognised and refused."""
from __future__ import annotations

from enum import Enum

from aiogram.filters.callback_data import CallbackData


class QuizAction(str, Enum):
    home = "h"
    consent = "c"
    decline = "d"
    contest = "s"
    practice = "p"
    top = "t"
    privacy = "v"
    forget = "f"
    forget_confirmed = "F"
    edit = "e"


class QuizCb(CallbackData, prefix="qz"):
    action: QuizAction


class RegistrationField(str, Enum):
    name = "name"
    phone = "phone"
    birth_year = "birth_year"
    group = "group"
    unit = "unit"


class QuizEditCb(CallbackData, prefix="qe"):
    field: RegistrationField


class QuizGroupCb(CallbackData, prefix="qg"):
    id: str


class QuizUnitCb(CallbackData, prefix="qu"):
    code: str
    open: bool = False  # True: show the units inside; False: this is my unit


class AnswerCb(CallbackData, prefix="qa"):
    attempt: int
    position: int
    option: int


class NextQuestionCb(CallbackData, prefix="qn"):
    attempt: int
    position: int
