"""Question banks and contests as YAML, validated with pydantic; problems carry `file:line`.

quiz_bank/questions/*.yaml hold `questions:` lists; quiz_bank/contests/*.yaml hold one contest each.
Vietnamese is required everywhere; a missing English or Thai text is a warning and falls back to Vietnamese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.content.problems import Problem, display_path
from bot.content.review import DEFAULT_MAX_AGE_DAYS, Dated, Review, review_problems, source_problems
from bot.content.yaml_lines import Location, line_of, read, validate

LANGUAGES = ("vi", "en", "th")
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
# A button shows about this many characters on a phone without cutting; labels must fit.
MAX_LABEL = 28
# Every title of a demo contest carries this word, in every language, so nobody takes it for a real one.
DEMO_MARK = "DEMO"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    vi: str = Field(min_length=1)
    en: str | None = None
    th: str | None = None

    def get(self, language: str | None) -> str:
        text = getattr(self, language) if language in LANGUAGES else None
        return text or self.vi


class Label(_Strict):
    """A short name for buttons: at most 28 characters in every language, so no word is ever cut."""

    vi: str = Field(min_length=1, max_length=MAX_LABEL)
    en: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL)
    th: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL)

    def get(self, language: str | None) -> str:
        text = getattr(self, language) if language in LANGUAGES else None
        return text or self.vi


class Source(Dated):
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
    # Overrides the bank's review for this question (when it was checked on its own).
    review: Review | None = None

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> Question:
        if self.answer > len(self.options):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.options)} options")
        return self

    @property
    def correct_index(self) -> int:
        return self.answer - 1


class Bank(_Strict):
    # The check of every question in the file that has no review of its own.
    review: Review | None = None
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
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Prediction(_Strict):
    enabled: bool = False
    text: Localized | None = None
    max_value: int = Field(default=10_000_000, ge=1)

    @model_validator(mode="after")
    def _worded(self) -> Prediction:
        if self.enabled and self.text is None:
            raise ValueError("an enabled prediction question needs its text")
        return self


class Eligibility(_Strict):
    min_age: int = Field(default=0, ge=0, le=120)


class RollingWindow(_Strict):
    """A window that starts again every `minutes` (aligned to the clock, UTC), for demo contests only."""

    minutes: int = Field(ge=5, le=24 * 60)

    def current(self, now: datetime) -> Window:
        length = timedelta(minutes=self.minutes)
        start = EPOCH + ((now - EPOCH) // length) * length
        return Window(start=start, end=start + length)


class Group(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: Localized
    label: Label | None = None

    def button(self, language: str | None) -> str:
        return (self.label or self.title).get(language)


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


class ContestSource(Dated):
    title: str
    url: str = Field(pattern=r"^https?://\S+$")


Origin = Literal["official", "modelled", "design"]


class Provenance(_Strict):
    """Where each rule of a contest comes from: the official rules, a model of other contests, or the bot's design."""

    official: list[str] = Field(default_factory=list)
    modelled: list[str] = Field(default_factory=list)
    design: list[str] = Field(default_factory=list)

    def of(self, rule: str) -> Origin | None:
        origins: tuple[Origin, ...] = ("official", "modelled", "design")
        return next((origin for origin in origins if rule in getattr(self, origin)), None)


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
    # Which rules are the official ones and which are modelled (contest fields by name).
    provenance: Provenance | None = None
    # Figures told about the contest that no public source confirms; never shown as facts.
    unconfirmed: list[str] = Field(default_factory=list)
    review: Review | None = None
    # A demo contest: open only when DEMO_CONTESTS is on, in a rolling window; never a real contest.
    demo: bool = False
    rolling_window: RollingWindow | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _demo_is_marked(self) -> Contest:
        if self.rolling_window is not None and not self.demo:
            raise ValueError("rolling_window is only for demo contests (demo: true)")
        if not self.demo:
            return self
        if self.mode != "contest":
            raise ValueError("a demo contest has mode: contest")
        if self.window is not None or self.rolling_window is None:
            raise ValueError("a demo contest has a rolling_window {minutes} and no fixed window")
        if self.rolling_window.minutes < self.time_limit_minutes:
            raise ValueError("the rolling window must be at least as long as the time limit")
        for language in LANGUAGES:
            title = getattr(self.title, language)
            if not title or DEMO_MARK not in title:
                raise ValueError(f"a demo contest's title in {language!r} must contain the word {DEMO_MARK}")
        return self

    @model_validator(mode="after")
    def _provenance_names_rules(self) -> Contest:
        if self.provenance is None:
            return self
        named = [*self.provenance.official, *self.provenance.modelled, *self.provenance.design]
        unknown = sorted(set(named) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"provenance names no rule of a contest: {', '.join(unknown)}")
        if len(set(named)) != len(named):
            raise ValueError("provenance lists a rule under more than one origin")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Contest:
        if any(count < 1 for count in self.topic_quotas.values()):
            raise ValueError("every topic quota must be at least 1")
        if sum(self.topic_quotas.values()) != self.questions_per_attempt:
            raise ValueError(
                f"topic quotas add up to {sum(self.topic_quotas.values())}, "
                f"not questions_per_attempt {self.questions_per_attempt}"
            )
        if self.mode == "contest" and self.window is None and not self.demo:
            raise ValueError("a contest needs a window (start and end)")
        if len({group.id for group in self.groups}) != len(self.groups):
            raise ValueError("group ids must be unique")
        return self

    def is_open(self, now: datetime) -> bool:
        return self.window is not None and self.window.start <= now < self.window.end

    def opened(self, now: datetime) -> Contest:
        """A demo contest with the window it has at `now`; any other contest as it is."""
        if self.rolling_window is None:
            return self
        return self.model_copy(update={"window": self.rolling_window.current(now)})

    @property
    def time_limit_seconds(self) -> int:
        return self.time_limit_minutes * 60


@dataclass(frozen=True)
class QuizBank:
    """Everything the quiz needs from content, loaded once at start-up."""

    questions: dict[str, Question] = field(default_factory=dict)
    contests: dict[str, Contest] = field(default_factory=dict)
    # Demo contests count only when DEMO_CONTESTS is on (the sandbox turns it on).
    demo_enabled: bool = False

    def _contests(self) -> list[Contest]:
        return [c for c in self.contests.values() if c.mode == "contest" and (self.demo_enabled or not c.demo)]

    def active_contest(self, now: datetime) -> Contest | None:
        """The open real contest closing first; else, with demos on, a demo in its current window."""
        real = [contest for contest in self._contests() if not contest.demo and contest.is_open(now)]
        if real:
            return min(real, key=lambda contest: contest.window.end)  # type: ignore[union-attr]
        demos = [contest.opened(now) for contest in self._contests() if contest.demo]
        return demos[0] if demos else None

    def practice(self) -> Contest | None:
        return next((contest for contest in self.contests.values() if contest.mode == "practice"), None)

    def latest_contest(self, now: datetime) -> Contest | None:
        """The open contest, else the one that ended most recently (for /top after the window)."""
        active = self.active_contest(now)
        if active:
            return active
        ended = [c for c in self._contests() if c.window and c.window.end <= now]
        return max(ended, key=lambda contest: contest.window.end) if ended else None  # type: ignore[union-attr]

    def groups(self) -> list[Group]:
        """Participant groups of every contest, each id once: registration is shared by contests."""
        seen: dict[str, Group] = {}
        for contest in self._contests():
            for group in contest.groups:
                seen.setdefault(group.id, group)
        return list(seen.values())

    def by_topic(self) -> dict[str, list[str]]:
        topics: dict[str, list[str]] = {}
        for question in self.questions.values():
            topics.setdefault(question.topic, []).append(question.id)
        return topics


def load_quiz_bank(
    folder: Path,
    demo_contests: bool = False,
    today: date | None = None,
    review_max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> tuple[QuizBank, list[Problem]]:
    """Load and cross-check every bank and contest file; problems say `file:line: what is wrong`.

    Files other than questions/*.yaml and contests/*.yaml (such as contest-template.yaml) are not loaded.
    """
    today = today or date.today()
    problems: list[Problem] = []
    questions: dict[str, Question] = {}
    where: dict[str, str] = {}
    for path in sorted((folder / "questions").glob("*.yaml")):
        bank, lines, file_problems = _load(Bank, path)
        problems.extend(file_problems)
        if bank is None:
            continue
        problems.extend(_bank_reviews(path, lines, bank, today, review_max_age_days))
        for index, question in enumerate(bank.questions):
            location = ("questions", index)
            place = f"{display_path(path)}:{line_of(lines, (*location, 'id'))}"
            if question.id in questions:
                problems.append(
                    _problem(
                        path,
                        lines,
                        (*location, "id"),
                        f"question id {question.id!r} is already used at {where[question.id]}",
                    )
                )
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
        problems.extend(_contest_reviews(path, lines, contest, today, review_max_age_days))
    if not questions and not problems:
        problems.append(Problem(display_path(folder), 1, "no question bank found in questions/*.yaml"))
    return QuizBank(questions=questions, contests=contests, demo_enabled=demo_contests), problems


def _bank_reviews(path: Path, lines: dict[Location, int], bank: Bank, today: date, max_age: int) -> list[Problem]:
    """The file's review (and any question's own), and one warning naming the questions whose source is unread."""
    problems = []
    if bank.review is not None or any(question.review is None for question in bank.questions):
        problems.extend(review_problems(path, lines, (), bank.review, today, max_age, "question bank"))
    unread: list[tuple[int, str]] = []
    for index, question in enumerate(bank.questions):
        location = ("questions", index)
        if question.review is not None:
            problems.extend(review_problems(path, lines, location, question.review, today, max_age, question.id))
        if question.source.checked is None:
            unread.append((index, question.id))
        else:
            problems.extend(
                source_problems(path, lines, (*location, "source"), question.source, question.source.document, today)
            )
    if unread:
        ids = ", ".join(question_id for _, question_id in unread)
        problems.append(
            _problem(
                path,
                lines,
                ("questions", unread[0][0], "source"),
                f"{len(unread)} of {len(bank.questions)} question sources were never checked (no checked date): {ids}",
                warning=True,
            )
        )
    return problems


def _contest_reviews(
    path: Path, lines: dict[Location, int], contest: Contest, today: date, max_age: int
) -> list[Problem]:
    problems = []
    if contest.mode == "contest":
        problems.extend(review_problems(path, lines, (), contest.review, today, max_age, f"contest {contest.id!r}"))
    for index, source in enumerate(contest.sources):
        problems.extend(source_problems(path, lines, ("sources", index), source, source.title, today))
    for index, group in enumerate(contest.groups):
        if group.label is None and any(
            len(text or "") > MAX_LABEL for text in (group.title.vi, group.title.en, group.title.th)
        ):
            problems.append(
                _problem(
                    path,
                    lines,
                    ("groups", index, "title"),
                    f"group {group.id!r}: title is longer than {MAX_LABEL} characters and has no label",
                    warning=True,
                )
            )
    return problems


def _load(model: type[BaseModel], path: Path):  # type: ignore[no-untyped-def]
    data, lines, problems = read(path)
    if problems:
        return None, lines, problems
    parsed, problems = validate(model, path, data, lines)
    return parsed, lines, problems


def _problem(
    path: Path, lines: dict[Location, int], location: Location, message: str, warning: bool = False
) -> Problem:
    return Problem(display_path(path), line_of(lines, location), message, warning)


def _missing_translations(
    path: Path, lines: dict[Location, int], location: Location, question: Question
) -> list[Problem]:
    texts: list[tuple[Location, Localized]] = [
        ((*location, "text"), question.text),
        ((*location, "explanation"), question.explanation),
    ]
    texts += [((*location, "options", index), option) for index, option in enumerate(question.options)]
    problems = []
    for text_location, text in texts:
        missing = [language for language in LANGUAGES[1:] if not getattr(text, language)]
        if missing:
            problems.append(
                _problem(
                    path,
                    lines,
                    text_location,
                    f"{question.id}: no {'/'.join(missing)} text; Vietnamese is shown instead",
                    warning=True,
                )
            )
    return problems


def _check_quotas(
    path: Path, lines: dict[Location, int], contest: Contest, questions: dict[str, Question]
) -> list[Problem]:
    available: dict[str, int] = {}
    for question in questions.values():
        available[question.topic] = available.get(question.topic, 0) + 1
    problems = []
    for topic, wanted in contest.topic_quotas.items():
        have = available.get(topic, 0)
        if have < wanted:
            problems.append(
                _problem(
                    path,
                    lines,
                    ("topic_quotas", topic),
                    f"topic {topic!r} needs {wanted} question(s) but the banks have {have}",
                )
            )
    return problems
