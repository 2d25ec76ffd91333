"""Question banks and contests as YAML, validated with pydantic; problems carry `file:line`.

quiz_bank/questions/*.yaml hold `questions:` lists; quiz_bank/contests/*.yaml hold one contest each.
Vietnamese is required everywhere; a missing English or Thai text is a warning and falls back to Vietnamese.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.problems import Problem, display_path
from bot.content.yaml_lines import Location, line_of, read, validate

LANGUAGES = ("vi", "en", "th")
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    vi: str = Field(min_length=1)
    en: str | None = None
    th: str | None = None

    def get(self, language: str | None) -> str:
        text = getattr(self, language) if language in LANGUAGES else None
        return text or self.vi


class Source(_Strict):
    document: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")


class Question(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    topic: str = Field(pattern=ID_PATTERN)
    difficulty: int = Field(ge=1, le=5)
    text: Localized
    options: list[Localized] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=1, description="1-based number of the correct option")
    explanation: Localized
    source: Source
    guide: str | None = Field(default=None, pattern=ID_PATTERN)

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> "Question":
        if self.answer > len(self.options):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.options)} options")
        return self

    @property
    def correct_index(self) -> int:
        return self.answer - 1


class Bank(_Strict):
    questions: list[Question] = Field(min_length=1)


class Window(_Strict):
    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _has_time_zone(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2023-09-10T00:00:00+07:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Prediction(_Strict):
    enabled: bool = False
    text: Localized | None = None
    max_value: int = Field(default=10_000_000, ge=1)

    @model_validator(mode="after")
    def _worded(self) -> "Prediction":
        if self.enabled and self.text is None:
            raise ValueError("an enabled prediction question needs its text")
        return self


class Eligibility(_Strict):
    min_age: int = Field(default=0, ge=0, le=120)


class Group(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: Localized


class PrizeTier(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    count: int = Field(ge=1)
    title: Localized


GroupCriterion = Literal["participation_rate", "average_score", "entrants"]


class GroupPrizes(_Strict):
    count: int = Field(ge=1)
    criterion: GroupCriterion
    title: Localized


class Prizes(_Strict):
    individual: list[PrizeTier] = Field(default_factory=list)
    group: GroupPrizes | None = None


class ContestSource(_Strict):
    title: str
    url: str = Field(pattern=r"^https?://\S+$")


class Contest(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    mode: Literal["contest", "practice"] = "contest"
    title: Localized
    description: Localized | None = None
    window: Window | None = None
    questions_per_attempt: int = Field(ge=1, le=100)
    topic_quotas: dict[str, int] = Field(min_length=1)
    time_limit_minutes: int = Field(ge=1, le=24 * 60)
    attempts_allowed: int = Field(ge=0, description="0 means unlimited")
    counted_attempt: Literal["best"] = "best"
    prediction: Prediction = Prediction()
    eligibility: Eligibility = Eligibility()
    groups: list[Group] = Field(default_factory=list)
    prizes: Prizes = Prizes()
    sources: list[ContestSource] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Contest":
        if any(count < 1 for count in self.topic_quotas.values()):
            raise ValueError("every topic quota must be at least 1")
        if sum(self.topic_quotas.values()) != self.questions_per_attempt:
            raise ValueError(f"topic quotas add up to {sum(self.topic_quotas.values())}, "
                             f"not questions_per_attempt {self.questions_per_attempt}")
        if self.mode == "contest" and self.window is None:
            raise ValueError("a contest needs a window (start and end)")
        if len({group.id for group in self.groups}) != len(self.groups):
            raise ValueError("group ids must be unique")
        return self

    def is_open(self, now: datetime) -> bool:
        return self.window is not None and self.window.start <= now < self.window.end

    @property
    def time_limit_seconds(self) -> int:
        return self.time_limit_minutes * 60


@dataclass(frozen=True)
class QuizBank:
    """Everything the quiz needs from content, loaded once at start-up."""

    questions: dict[str, Question] = field(default_factory=dict)
    contests: dict[str, Contest] = field(default_factory=dict)

    def active_contest(self, now: datetime) -> Contest | None:
        open_now = [contest for contest in self.contests.values() if contest.mode == "contest" and contest.is_open(now)]
        return min(open_now, key=lambda contest: contest.window.end) if open_now else None  # type: ignore[union-attr]

    def practice(self) -> Contest | None:
        return next((contest for contest in self.contests.values() if contest.mode == "practice"), None)

    def latest_contest(self, now: datetime) -> Contest | None:
        """The open contest, else the one that ended most recently (for /top after the window)."""
        active = self.active_contest(now)
        if active:
            return active
        ended = [c for c in self.contests.values() if c.mode == "contest" and c.window and c.window.end <= now]
        return max(ended, key=lambda contest: contest.window.end) if ended else None  # type: ignore[union-attr]

    def groups(self) -> list[Group]:
        """Participant groups of every contest, each id once: registration is shared by contests."""
        seen: dict[str, Group] = {}
        for contest in self.contests.values():
            if contest.mode == "contest":
                for group in contest.groups:
                    seen.setdefault(group.id, group)
        return list(seen.values())

    def by_topic(self) -> dict[str, list[str]]:
        topics: dict[str, list[str]] = {}
        for question in self.questions.values():
            topics.setdefault(question.topic, []).append(question.id)
        return topics


def load_quiz_bank(folder: Path) -> tuple[QuizBank, list[Problem]]:
    """Load and cross-check every bank and contest file; problems say `file:line: what is wrong`."""
    problems: list[Problem] = []
    questions: dict[str, Question] = {}
    where: dict[str, str] = {}
    for path in sorted((folder / "questions").glob("*.yaml")):
        bank, lines, file_problems = _load(Bank, path)
        problems.extend(file_problems)
        if bank is None:
            continue
        for index, question in enumerate(bank.questions):
            location = ("questions", index)
            place = f"{display_path(path)}:{line_of(lines, (*location, 'id'))}"
            if question.id in questions:
                problems.append(_problem(path, lines, (*location, "id"),
                                         f"question id {question.id!r} is already used at {where[question.id]}"))
                continue
            questions[question.id] = question
            where[question.id] = place
            problems.extend(_missing_translations(path, lines, location, question))
    contests: dict[str, Contest] = {}
    for path in sorted((folder / "contests").glob("*.yaml")):
        contest, lines, file_problems = _load(Contest, path)
        problems.extend(file_problems)
        if contest is None:
            continue
        if contest.id in contests:
            problems.append(_problem(path, lines, ("id",), f"contest id {contest.id!r} is used by another file"))
            continue
        contests[contest.id] = contest
        problems.extend(_check_quotas(path, lines, contest, questions))
    if not questions and not problems:
        problems.append(Problem(display_path(folder), 1, "no question bank found in questions/*.yaml"))
    return QuizBank(questions=questions, contests=contests), problems


def _load(model: type[BaseModel], path: Path):  # type: ignore[no-untyped-def]
    data, lines, problems = read(path)
    if problems:
        return None, lines, problems
    parsed, problems = validate(model, path, data, lines)
    return parsed, lines, problems


def _problem(path: Path, lines: dict[Location, int], location: Location, message: str,
             warning: bool = False) -> Problem:
    return Problem(display_path(path), line_of(lines, location), message, warning)


def _missing_translations(path: Path, lines: dict[Location, int], location: Location,
                          question: Question) -> list[Problem]:
    texts: list[tuple[Location, Localized]] = [((*location, "text"), question.text),
                                                ((*location, "explanation"), question.explanation)]
    texts += [((*location, "options", index), option) for index, option in enumerate(question.options)]
    problems = []
    for text_location, text in texts:
        missing = [language for language in LANGUAGES[1:] if not getattr(text, language)]
        if missing:
            problems.append(_problem(path, lines, text_location,
                                     f"{question.id}: no {'/'.join(missing)} text; Vietnamese is shown instead",
                                     warning=True))
    return problems


def _check_quotas(path: Path, lines: dict[Location, int], contest: Contest,
                  questions: dict[str, Question]) -> list[Problem]:
    available: dict[str, int] = {}
    for question in questions.values():
        available[question.topic] = available.get(question.topic, 0) + 1
    problems = []
    for topic, wanted in contest.topic_quotas.items():
        have = available.get(topic, 0)
        if have < wanted:
            problems.append(_problem(path, lines, ("topic_quotas", topic),
                                     f"topic {topic!r} needs {wanted} question(s) but the banks have {have}"))
    return problems
