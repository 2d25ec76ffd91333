"""What reports read from storage: read models, implemented by bot.db.reports.ReportsRepository (and the fake).

The quiz's own store (bot.domain.quiz.ports) keeps only what a citizen's button press needs; the ranking, the
people behind it and the campaign's counts are read here, most of them once per report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.ports import StoreKey
from bot.domain.quiz.ranking import Entry
from bot.domain.records import UnitRecord


@dataclass(frozen=True, slots=True)
class Entrant:
    """A person's counted attempt with what the export shows about them (None once they used /forget)."""

    entry: Entry
    attempts_used: int
    answered: int
    full_name: str | None
    phone: str | None
    birth_year: int | None
    group_id: str | None
    erased: bool


@dataclass(frozen=True, slots=True)
class AnswerCount:
    question_id: str
    chosen: int  # the option's index in the bank
    answers: int
    correct: int


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    broadcast_id: int
    unit_code: str | None
    state: str
    deliveries: int


class ReportsStore(Protocol):
    # the ranking (also /top and a citizen's result)
    async def entries(self, contest_id: str) -> list[Entry]:
        """Every closed contest attempt, with the person's name (None once erased) and unit (the one on record)."""

    async def unit_directory(self) -> dict[str, tuple[str, int | None]]:
        """Every unit: code → (name, headcount)."""

    # the export, streamed
    async def units(self) -> list[UnitRecord]: ...
    async def entrant_count(self, contest_id: str) -> int:
        """People with a closed contest attempt: the real number of entrants the predictions are measured to."""

    def ranked_entrants(self, contest_id: str, entrants: int, batch: int = 2000) -> AsyncIterator[Entrant]:
        """Each person's counted attempt in ranking order (bot.domain.quiz.ranking.rank_order), streamed."""

    async def answer_counts(self, contest_id: str) -> list[AnswerCount]: ...
    def drawn_questions(self, contest_id: str, batch: int = 2000) -> AsyncIterator[list[str]]:
        """The question ids drawn for each closed contest attempt, streamed."""

    def answer_rows(self, contest_id: str, batch: int = 5000) -> AsyncIterator[tuple[object, ...]]:
        """Every stored answer of the contest's attempts, by attempt and position (for the fingerprint)."""

    # statistics
    def registrations(self, batch: int = 5000) -> AsyncIterator[tuple[str | None, datetime]]:
        """(unit code, first seen) of every citizen."""

    def first_entries(self, contest_id: str) -> AsyncIterator[tuple[str | None, datetime]]:
        """(unit code, first closed contest attempt) of every entrant."""

    async def delivery_counts(self, topic: str) -> list[DeliveryCount]: ...
    async def reasons(self) -> list[tuple[str, str, int]]:
        """(guide id, the citizen's reason for a 👎, how many gave it), most given first."""


REPORTS: StoreKey[ReportsStore] = StoreKey("reports")
