"""Registration for contests: consent first, then one field at a time, each saved as soon as it is given.

The birth year comes first, so that a person too young for the open contest is told so before giving a name or
a phone number. Filled once and reused by later contests; editable until the person's first contest attempt.
The unit (commune or ward) is the citizen's own, kept on their user record (`users.unit_code`) with Help and the
QR deep link: registration asks for it only when none is on record. Name and phone are erased by `forget`;
scores stay, shown as an anonymous participant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Unpack

from bot.domain.clock import utcnow
from bot.domain.ports import Work, found
from bot.domain.quiz.ports import QUIZ, ParticipantChanges
from bot.domain.quiz.records import Participant
from bot.domain.quiz.schema import Contest

# Bumped whenever the consent text changes, so we know which text each person agreed to.
CONSENT_VERSION = "2025-1"
NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*$")


MAX_AGE = 120


class Step(StrEnum):
    consent = "consent"
    birth_year = "birth_year"
    name = "name"
    phone = "phone"
    group = "group"
    unit = "unit"
    done = "done"


class RegistrationLocked(Exception):
    """Details cannot change once a contest attempt has been made."""


def next_step(participant: Participant | None, units_known: bool = True, *, unit_code: str | None = None) -> Step:
    """The first step still to do; `unit_code` is the citizen's unit on record (asked only where units exist)."""
    if participant is None or participant.consent_at is None:
        return Step.consent
    for step, value in (
        (Step.birth_year, participant.birth_year),
        (Step.name, participant.full_name),
        (Step.phone, participant.phone),
        (Step.group, participant.group_id),
        (Step.unit, unit_code if units_known else ""),
    ):
        if value is None:
            return step
    return Step.done


def clean_name(raw: str) -> str | None:
    name = " ".join(raw.split())
    if not 2 <= len(name) <= 120 or not NAME_PATTERN.match(name):
        return None
    return name


def clean_phone(raw: str) -> str | None:
    digits = re.sub(r"[^\d+]", "", raw)
    return digits if 8 <= len(digits.lstrip("+")) <= 15 else None


# Digits typed on a phone set to another script still count (Thai digits ๐–๙, full-width ０–９).
_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙０１２３４５６７８９", "01234567890123456789")


class YearProblem(StrEnum):
    not_a_year = "not_a_year"  # not four digits
    too_old = "too_old"  # more than MAX_AGE years ago
    future = "future"  # after this year


@dataclass(frozen=True, slots=True)
class BirthYear:
    year: int | None
    problem: YearProblem | None = None


def check_birth_year(raw: str, now: datetime) -> BirthYear:
    """The year typed, or why it cannot be one: not four digits, out of range (each said as it is)."""
    text = raw.strip().translate(_DIGITS)
    if not text.isdecimal() or len(text) != 4:  # decimal digits only: not ², which int() refuses
        return BirthYear(None, YearProblem.not_a_year)
    year = int(text)
    if year > now.year:
        return BirthYear(year, YearProblem.future)
    if year < now.year - MAX_AGE:
        return BirthYear(year, YearProblem.too_old)
    return BirthYear(year)


def parse_birth_year(raw: str, now: datetime) -> int | None:
    checked = check_birth_year(raw, now)
    return checked.year if checked.problem is None else None


def old_enough(birth_year: int | None, contest: Contest, now: datetime) -> bool:
    """Eligibility by age in the contest's year (the same rule the attempt's start applies)."""
    return now.year - (birth_year or now.year) >= contest.eligibility.min_age


async def participant(uow: Work, user_id: int) -> Participant | None:
    async with uow:
        return await uow[QUIZ].participant(user_id)


async def is_locked(uow: Work, user_id: int) -> bool:
    async with uow:
        return await uow[QUIZ].has_contest_attempt(user_id)


async def consent(uow: Work, user_id: int, now: datetime | None = None) -> Participant:
    """Record consent (given again after /forget withdrew it)."""
    now = now or utcnow()
    async with uow:
        await uow[QUIZ].ensure_participant(user_id, now, consent_at=now, consent_version=CONSENT_VERSION)
        current = found(await uow[QUIZ].participant(user_id), f"participant {user_id}")
        if current.consent_at is None:  # consent withdrawn earlier by /forget, now given again
            await uow[QUIZ].update_participant(user_id, now, consent_at=now, consent_version=CONSENT_VERSION)
        await uow.commit()
        return found(await uow[QUIZ].participant(user_id), f"participant {user_id}")


async def save(
    uow: Work, user_id: int, now: datetime | None = None, **values: Unpack[ParticipantChanges]
) -> Participant:
    """Save one or more fields; refused after the first contest attempt unless the field was empty."""
    now = now or utcnow()
    async with uow:
        current = await uow[QUIZ].participant(user_id)
        if current is None or current.consent_at is None:
            raise RegistrationLocked("no consent given")
        if await uow[QUIZ].has_contest_attempt(user_id) and any(getattr(current, key) is not None for key in values):
            raise RegistrationLocked("details are fixed after the first contest attempt")
        await uow[QUIZ].update_participant(user_id, now, **values)
        await uow.commit()
        return found(await uow[QUIZ].participant(user_id), f"participant {user_id}")


async def attempts_left(uow: Work, user_id: int, contest: Contest) -> int | None:
    """Attempts this person may still start in the contest; None when the contest allows any number."""
    if not contest.attempts_allowed:
        return None
    async with uow:
        made = await uow[QUIZ].attempts_made(user_id, contest.id)
    return max(contest.attempts_allowed - made, 0)


async def forget(uow: Work, user_id: int, now: datetime | None = None) -> bool:
    """Erase name and phone and withdraw consent; attempts and scores stay, anonymised."""
    now = now or utcnow()
    async with uow:
        current = await uow[QUIZ].participant(user_id)
        if current is None:
            return False
        await uow[QUIZ].update_participant(user_id, now, full_name=None, phone=None, consent_at=None, erased_at=now)
        await uow.commit()
    return True
