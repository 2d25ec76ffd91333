"""The contest workbook's rows, built by pure functions from plain values (no I/O, no formatting).

Sheets, in the organizer's language: Individuals (one row per person, in ranking order, streamed), Units,
Awards, Questions and Rules (what the jury needs to recompute every rank and to see the data did not change).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.quiz.ranking import Ranked, RankedGroup
from bot.domain.quiz.schema import Contest, Question
from bot.domain.records import UnitRecord
from bot.i18n import _
from bot.reports.ports import AnswerCount, Entrant
from bot.reports.table import Column, Kind, Row, SheetSpec

MAX_OPTIONS = 6


def mask_phone(phone: str | None) -> str:
    """'+84911234123' → '09xx…123': enough to tell two winners apart on a call, not enough to call them."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    if len(digits) < 6:
        return "…"
    return f"{digits[:2]}xx…{digits[-3:]}"


def unit_paths(units: Iterable[UnitRecord]) -> dict[str, str]:
    """code → 'Province › District › Commune', from the top down."""
    by_code = {unit.code: unit for unit in units}
    paths: dict[str, str] = {}
    for code in by_code:
        names, seen, current = [], set(), by_code.get(code)
        while current is not None and current.code not in seen:
            seen.add(current.code)
            names.append(current.name)
            current = by_code.get(current.parent_code) if current.parent_code else None
        paths[code] = " › ".join(reversed(names))
    return paths


# ---------------------------------------------------------------- Individuals


def individuals_spec(timezone: str) -> SheetSpec:
    return SheetSpec(
        "individuals",
        _("Individuals"),
        (
            Column(_("Rank"), Kind.integer, 7),
            Column(_("Prize"), Kind.text, 14),
            Column(_("Full name"), Kind.text, 26),
            Column(_("Phone"), Kind.text, 14),
            Column(_("Birth year"), Kind.integer, 8),
            Column(_("Group"), Kind.text, 18),
            Column(_("Unit"), Kind.text, 22),
            Column(_("Unit path"), Kind.text, 40),
            Column(_("Score (correct answers)"), Kind.integer, 10),
            Column(_("Answered"), Kind.integer, 9),
            Column(_("Duration (s)"), Kind.decimal, 10),
            Column(_("Submitted at ({zone})").format(zone=timezone), Kind.moment, 24),
            Column(_("Prediction"), Kind.integer, 11),
            Column(_("Distance from the real number"), Kind.integer, 12),
            Column(_("Attempts used"), Kind.integer, 9),
            Column(_("Attempt id"), Kind.integer, 10),
        ),
    )


@dataclass
class Labels:
    """What people read instead of ids, in the organizer's language."""

    prizes: dict[str, str]
    groups: dict[str, str]
    unit_names: dict[str, str]
    paths: dict[str, str]

    @classmethod
    def of(cls, contest: Contest, units: list[UnitRecord], language: str) -> Labels:
        return cls(
            prizes={tier.id: tier.title.get(language) for tier in contest.prizes.individual},
            groups={group.id: group.title.get(language) for group in contest.groups},
            unit_names={unit.code: unit.name for unit in units},
            paths=unit_paths(units),
        )


def individual_row(ranked: Ranked, entrant: Entrant, labels: Labels, full_phones: bool) -> Row:
    entry = ranked.entry
    unit = entry.unit_code
    if entrant.erased:  # /forget: the privacy text promises an anonymous line, nothing that points to them
        name, phone, birth_year = _("Anonymous (data erased)"), "", None
    else:
        name = entrant.full_name or _("Anonymous")
        phone = (entrant.phone or "") if full_phones else mask_phone(entrant.phone)
        birth_year = entrant.birth_year
    return (
        ranked.position,
        labels.prizes.get(ranked.prize, ranked.prize) if ranked.prize else None,
        name,
        phone,
        birth_year,
        labels.groups.get(entrant.group_id, entrant.group_id) if entrant.group_id else None,
        labels.unit_names.get(unit, unit) if unit else None,
        labels.paths.get(unit, unit) if unit else None,
        entry.score,
        entrant.answered,
        entry.duration_ms / 1000,
        entry.submitted_at,
        entry.prediction,
        ranked.prediction_distance,
        entrant.attempts_used,
        entry.attempt_id,
    )


# ---------------------------------------------------------------- Units


def units_spec() -> SheetSpec:
    return SheetSpec(
        "units",
        _("Units"),
        (
            Column(_("Rank"), Kind.integer, 7),
            Column(_("Prize"), Kind.text, 16),
            Column(_("Unit code"), Kind.text, 12),
            Column(_("Unit"), Kind.text, 24),
            Column(_("Unit path"), Kind.text, 40),
            Column(_("Headcount"), Kind.integer, 11),
            Column(_("Entrants"), Kind.integer, 10),
            Column(_("Participation rate"), Kind.percent, 12),
            Column(_("Average score"), Kind.decimal, 10),
        ),
    )


def unit_row(group: RankedGroup, prize_title: str, labels: Labels) -> Row:
    stat = group.stat
    return (
        group.position,
        prize_title if group.prize else None,
        stat.code,
        stat.name,
        labels.paths.get(stat.code, stat.code),
        stat.headcount,
        stat.entrants,
        stat.participation_rate,
        stat.average_score,
    )


# ---------------------------------------------------------------- Awards


def awards_spec() -> SheetSpec:
    return SheetSpec(
        "awards",
        _("Awards"),
        (
            Column(_("Prize"), Kind.text, 18),
            Column(_("Kind"), Kind.text, 12),
            Column(_("Places in the contest file"), Kind.integer, 12),
            Column(_("Rank"), Kind.integer, 7),
            Column(_("Winner"), Kind.text, 28),
            Column(_("Unit"), Kind.text, 24),
            Column(_("Score or criterion"), Kind.decimal, 12),
        ),
    )


@dataclass
class AwardTally:
    """The individual winners, kept while the ranking streams by (they are few: the prize tiers' places)."""

    rows: dict[str, list[Row]] = field(default_factory=dict)

    def add(self, ranked: Ranked, row: Row) -> None:
        if ranked.prize is not None:
            self.rows.setdefault(ranked.prize, []).append(row)


def award_rows(contest: Contest, tally: AwardTally, groups: list[RankedGroup], language: str) -> list[Row]:
    rows: list[Row] = []
    individual = _("Individual")
    for tier in contest.prizes.individual:
        title = tier.title.get(language)
        winners = tally.rows.get(tier.id, [])
        for winner in winners:  # (rank, name, unit, score) as individual_row builds them
            rows.append((title, individual, tier.count, winner[0], winner[2], winner[6], winner[8]))
        if not winners:
            rows.append((title, individual, tier.count, None, None, None, None))
    group_prizes = contest.prizes.group
    if group_prizes is not None:
        title, kind = group_prizes.title.get(language), _("Group")
        winners_found = False
        for group in groups:
            if group.prize:
                winners_found = True
                value = _criterion_value(group, group_prizes.criterion)
                rows.append((title, kind, group_prizes.count, group.position, group.stat.name, group.stat.code, value))
        if not winners_found:
            rows.append((title, kind, group_prizes.count, None, None, None, None))
    return rows


def _criterion_value(group: RankedGroup, criterion: str) -> float | None:
    if criterion == "participation_rate":
        return group.stat.participation_rate
    if criterion == "average_score":
        return group.stat.average_score
    return float(group.stat.entrants)


# ---------------------------------------------------------------- Questions


def questions_spec() -> SheetSpec:
    options = tuple(
        Column(_("Option {number} chosen").format(number=number), Kind.percent, 10)
        for number in range(1, MAX_OPTIONS + 1)
    )
    return SheetSpec(
        "questions",
        _("Questions"),
        (
            Column(_("Question id"), Kind.text, 16),
            Column(_("Topic"), Kind.text, 14),
            Column(_("Question"), Kind.text, 60),
            Column(_("Times shown"), Kind.integer, 10),
            Column(_("Answered"), Kind.integer, 10),
            Column(_("Answered correctly"), Kind.percent, 12),
            Column(_("Correct option"), Kind.integer, 9),
            *options,
        ),
    )


def question_rows(
    shown: Counter[str], counts: Iterable[AnswerCount], questions: dict[str, Question], language: str
) -> list[Row]:
    """One row per question shown, the hardest first (least often answered correctly): bad questions stand out."""
    answered: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    chosen: dict[str, Counter[int]] = {}
    for count in counts:
        answered[count.question_id] += count.answers
        correct[count.question_id] += count.correct
        chosen.setdefault(count.question_id, Counter())[count.chosen] += count.answers
    rows: list[tuple[float, str, Row]] = []
    for question_id in set(shown) | set(answered):
        question = questions.get(question_id)
        total = answered[question_id]
        share = correct[question_id] / total if total else None
        options = [
            (chosen.get(question_id, Counter())[index] / total if total else None)
            if question is None or index < len(question.options)
            else None
            for index in range(MAX_OPTIONS)
        ]
        row = (
            question_id,
            question.topic if question else None,
            question.text.get(language) if question else _("(no longer in the question banks)"),
            shown[question_id],
            total,
            share,
            question.answer if question else None,
            *options,
        )
        rows.append((2.0 if share is None else share, question_id, row))
    return [row for _share, _id, row in sorted(rows, key=lambda item: (item[0], item[1]))]


# ---------------------------------------------------------------- Rules


def rules_spec() -> SheetSpec:
    return SheetSpec("rules", _("Rules"), (Column(_("Item"), Kind.text, 44), Column(_("Value"), Kind.text, 90)))


class Fingerprint:
    """SHA-256 over the contest's answers, one line per answer in (attempt, position) order: the same data
    gives the same fingerprint, any change to a stored answer a different one."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, row: tuple[object, ...]) -> None:
        stamp = row[-1].isoformat() if isinstance(row[-1], datetime) else ""
        line = "\t".join([*(str(value) for value in row[:-1]), stamp]) + "\n"
        self._hash.update(line.encode("utf-8"))
        self.rows += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class RulesFacts:
    entrants: int
    exported_at: str  # already formatted in the locale
    exported_by: str
    timezone: str
    fingerprint: str
    answer_rows: int
    full_phones: bool


def rules_rows(contest: Contest, facts: RulesFacts, language: str) -> list[Row]:
    prizes = contest.prizes
    tiers = "; ".join(f"{tier.title.get(language)}: {tier.count}" for tier in prizes.individual) or "—"
    group = (
        _("{title}: {count} unit(s) by {criterion}").format(
            title=prizes.group.title.get(language), count=prizes.group.count, criterion=prizes.group.criterion
        )
        if prizes.group
        else "—"
    )
    window = (
        f"{contest.window.start.isoformat()} – {contest.window.end.isoformat()}" if contest.window else _("(rolling)")
    )
    attempts = str(contest.attempts_allowed) if contest.attempts_allowed else _("unlimited")
    return [
        (_("Contest"), f"{contest.title.get(language)} ({contest.id})"),
        (
            _("Attempt that counts"),
            _("per person, the best attempt: most correct answers, then the shortest, then the earliest"),
        ),
        (
            _("Tie-break order"),
            _(
                "1. score (higher first); 2. distance of the prediction from the real number of entrants (smaller "
                "first; no prediction after every prediction); 3. duration (shorter first); 4. submission time "
                "(earlier first). People equal on all four share a rank (1, 1, 3 …)."
            ),
        ),
        (_("Real number of entrants (for the prediction distance)"), str(facts.entrants)),
        (_("Individual prizes (places)"), tiers),
        (
            _("How prize places are given"),
            _("a tier covers every person whose rank falls within its cumulative places, ties included"),
        ),
        (_("Group prize"), group),
        (_("Window"), window),
        (_("Questions per attempt"), str(contest.questions_per_attempt)),
        (_("Time limit (minutes)"), str(contest.time_limit_minutes)),
        (_("Attempts allowed"), attempts),
        (_("Minimum age"), str(contest.eligibility.min_age)),
        (_("Prediction question"), _("yes") if contest.prediction.enabled else _("no")),
        (_("Times are shown in"), facts.timezone),
        (_("Phone numbers"), _("in full") if facts.full_phones else _("masked")),
        (_("Exported at"), facts.exported_at),
        (_("Exported by"), facts.exported_by),
        (_("Stored answers"), str(facts.answer_rows)),
        (_("Fingerprint of the answers (SHA-256)"), facts.fingerprint),
        (
            _("How the fingerprint is made"),
            _(
                "one line per stored answer of the contest, in attempt and position order: attempt id, position, "
                "question id, chosen option (0-based), correct (True/False), answer time in UTC ISO 8601, "
                "separated by tabs, each line ending in a newline, UTF-8"
            ),
        ),
    ]
