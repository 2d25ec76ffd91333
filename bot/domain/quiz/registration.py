"""Registration for contests: consent first, then one field at a time, each saved as soon as it is given.

Filled once and reused by later contests; editable until the person's first contest attempt.
Name and phone are erased by `forget`; scores stay, shown as an anonymous participant.
"""
from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import Any

from bot.domain.clock import utcnow
from bot.domain.quiz.records import Participant

# Bumped whenever the consent text changes, so we know which text each person agreed to.
CONSENT_VERSION = "2025-1"
NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*$")


class Step(str, Enum):
    consent = "consent"
    name = "name"
    phone = "phone"
    birth_year = "birth_year"
    group = "group"
    unit = "unit"
    done = "done"


class RegistrationLocked(Exception):
    """Details cannot change once a contest attempt has been made."""


def next_step(participant: Participant | None, units_known: bool = True) -> Step:
    if participant is None or participant.consent_at is None:
        return Step.consent
    for step, value in ((Step.name, participant.full_name), (Step.phone, participant.phone),
                        (Step.birth_year, participant.birth_year), (Step.group, participant.group_id),
                        (Step.unit, participant.unit_code if units_known else "")):
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


def parse_birth_year(raw: str, now: datetime) -> int | None:
    text = raw.strip()
    if not text.isdigit() or len(text) != 4:
        return None
    year = int(text)
    return year if now.year - 120 <= year <= now.year else None


async def participant(uow: Any, user_id: int) -> Participant | None:
    async with uow:
        return await uow.quiz.participant(user_id)


async def is_locked(uow: Any, user_id: int) -> bool:
    async with uow:
        return await uow.quiz.has_contest_attempt(user_id)


async def consent(uow: Any, user_id: int, unit_code: str | None = None, now: datetime | None = None) -> Participant:
    """Record consent; a unit already known from a deep link is prefilled."""
    now = now or utcnow()
    async with uow:
        await uow.quiz.ensure_participant(user_id, now, consent_at=now, consent_version=CONSENT_VERSION,
                                          unit_code=unit_code)
        current = await uow.quiz.participant(user_id)
        if current.consent_at is None:  # consent withdrawn earlier by /forget, now given again
            await uow.quiz.update_participant(user_id, now, consent_at=now, consent_version=CONSENT_VERSION)
        await uow.commit()
        return await uow.quiz.participant(user_id)


async def save(uow: Any, user_id: int, now: datetime | None = None, **values: object) -> Participant:
    """Save one or more fields; refused after the first contest attempt unless the field was empty."""
    now = now or utcnow()
    async with uow:
        current = await uow.quiz.participant(user_id)
        if current is None or current.consent_at is None:
            raise RegistrationLocked("no consent given")
        if await uow.quiz.has_contest_attempt(user_id) and any(getattr(current, key) is not None for key in values):
            raise RegistrationLocked("details are fixed after the first contest attempt")
        await uow.quiz.update_participant(user_id, now, **values)
        await uow.commit()
        return await uow.quiz.participant(user_id)


async def forget(uow: Any, user_id: int, now: datetime | None = None) -> bool:
    """Erase name and phone and withdraw consent; attempts and scores stay, anonymised."""
    now = now or utcnow()
    async with uow:
        current = await uow.quiz.participant(user_id)
        if current is None:
            return False
        await uow.quiz.update_participant(user_id, now, full_name=None, phone=None, consent_at=None, erased_at=now)
        await uow.commit()
    return True
