"""Ranking: pure functions, no I/O.

Per person the attempt that counts (the best: most correct, then shortest, then earliest), then people
ordered by score (desc) → distance of the prediction from the real number of entrants (asc; no prediction
ranks after every prediction) → duration (asc) → submission time (asc). People equal on all four share a
position (1, 1, 3 …); a prize tier reaches everyone whose position falls inside its cumulative count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One finished (or deadline-closed) attempt of one person."""

    user_id: int
    attempt_id: int
    score: int
    duration_ms: int
    submitted_at: datetime
    prediction: int | None = None
    name: str | None = None  # None once the person has erased their data
    unit_code: str | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    position: int
    entry: Entry
    prediction_distance: int | None
    prize: str | None = None


@dataclass(frozen=True, slots=True)
class GroupStat:
    code: str
    name: str
    headcount: int | None
    entrants: int
    total_score: int

    @property
    def participation_rate(self) -> float | None:
        return self.entrants / self.headcount if self.headcount else None

    @property
    def average_score(self) -> float:
        return self.total_score / self.entrants if self.entrants else 0.0


@dataclass(frozen=True, slots=True)
class RankedGroup:
    position: int
    stat: GroupStat
    prize: bool


def counted_attempts(entries: Iterable[Entry]) -> list[Entry]:
    """The one attempt per person that counts: most correct, then shortest, then earliest."""
    best: dict[int, Entry] = {}
    for entry in entries:
        current = best.get(entry.user_id)
        if current is None or _attempt_key(entry) < _attempt_key(current):
            best[entry.user_id] = entry
    return list(best.values())


def _attempt_key(entry: Entry) -> tuple[int, int, datetime, int]:
    return (-entry.score, entry.duration_ms, entry.submitted_at, entry.attempt_id)


# (-score, no prediction, distance, duration, submitted at)
OrderKey = tuple[int, bool, int, int, datetime]


def _order_key(entry: Entry, entrants: int) -> OrderKey:
    distance = abs(entry.prediction - entrants) if entry.prediction is not None else None
    # A missing prediction sorts after every real one.
    return (-entry.score, distance is None, distance or 0, entry.duration_ms, entry.submitted_at)


def rank_individuals(
    entries: Iterable[Entry], entrants: int | None = None, tiers: Sequence[tuple[str, int]] = ()
) -> list[Ranked]:
    """Rank the counted attempt of every person; `entrants` defaults to the number of people ranked."""
    counted = counted_attempts(entries)
    actual = len(counted) if entrants is None else entrants
    return list(positions(sorted(counted, key=lambda entry: rank_order(entry, actual)), actual, tiers))


def rank_order(entry: Entry, entrants: int) -> tuple[OrderKey, int]:
    """The sort key of the ranking; the user id last only makes the order of people tied for a place stable
    (bot.db.reports orders the same way in SQL)."""
    return (_order_key(entry, entrants), entry.user_id)


def positions(ordered: Iterable[Entry], entrants: int, tiers: Sequence[tuple[str, int]] = ()) -> Iterator[Ranked]:
    """Positions and prize tiers of counted attempts already in ranking order, one at a time: the export streams
    a million of them from the database without holding them all."""
    previous_key: OrderKey | None = None
    position = 0
    for index, entry in enumerate(ordered, start=1):
        key = _order_key(entry, entrants)
        if key != previous_key:
            position, previous_key = index, key
        distance = abs(entry.prediction - entrants) if entry.prediction is not None else None
        yield Ranked(position, entry, distance, _tier(position, tiers))


def _tier(position: int, tiers: Sequence[tuple[str, int]]) -> str | None:
    reach = 0
    for tier_id, count in tiers:
        reach += count
        if position <= reach:
            return tier_id
    return None


class GroupTally:
    """Entrants and total score per unit, counted one entrant at a time (the export streams them)."""

    def __init__(self) -> None:
        self.entrants: dict[str, int] = {}
        self.totals: dict[str, int] = {}

    def add(self, entry: Entry) -> None:
        if entry.unit_code is None:
            return
        self.entrants[entry.unit_code] = self.entrants.get(entry.unit_code, 0) + 1
        self.totals[entry.unit_code] = self.totals.get(entry.unit_code, 0) + entry.score

    def stats(self, units: dict[str, tuple[str, int | None]]) -> list[GroupStat]:
        return [
            GroupStat(
                code, units.get(code, (code, None))[0], units.get(code, (code, None))[1], count, self.totals[code]
            )
            for code, count in self.entrants.items()
        ]


def group_stats(counted: Iterable[Entry], units: dict[str, tuple[str, int | None]]) -> list[GroupStat]:
    """Entrants and total score per unit; `units` maps code → (name, headcount)."""
    tally = GroupTally()
    for entry in counted:
        tally.add(entry)
    return tally.stats(units)


def rank_groups(stats: Iterable[GroupStat], criterion: str, prizes: int = 0) -> list[RankedGroup]:
    """Units by the contest's criterion; a unit without headcount cannot have a participation rate and ranks last."""

    def value(stat: GroupStat) -> tuple[bool, float]:
        if criterion == "participation_rate":
            rate = stat.participation_rate
            return (rate is None, -(rate or 0.0))
        if criterion == "average_score":
            return (False, -stat.average_score)
        if criterion == "entrants":
            return (False, -stat.entrants)
        raise ValueError(f"unknown group criterion {criterion!r}")

    ordered = sorted(stats, key=lambda stat: (value(stat), -stat.entrants, stat.code))
    ranked: list[RankedGroup] = []
    previous: tuple[tuple[bool, float], int] | None = None
    position = 0
    for index, stat in enumerate(ordered, start=1):
        key = (value(stat), -stat.entrants)
        if key != previous:
            position, previous = index, key
        eligible = criterion != "participation_rate" or stat.participation_rate is not None
        ranked.append(RankedGroup(position, stat, eligible and position <= prizes))
    return ranked
