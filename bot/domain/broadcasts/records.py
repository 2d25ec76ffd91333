"""What a broadcast is, as stored: its versions per language, its audience, its state."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

TOPIC = "broadcast"  # deliveries of an announcement to citizens
PROGRESS_TOPIC = "broadcast.progress"  # edits of the official's progress message
REPORT_TOPIC = "broadcast.report"  # the official's report at the end
DEFAULT_VERSION = ""  # the language of the version everyone gets who has no version of their own


class BroadcastState(StrEnum):
    draft = "draft"  # being composed
    scheduled = "scheduled"  # confirmed, waits for its time
    running = "running"
    paused = "paused"
    finished = "finished"
    cancelled = "cancelled"


LIVE = frozenset({BroadcastState.scheduled, BroadcastState.running, BroadcastState.paused})


class ContentKind(StrEnum):
    text = "text"
    photo = "photo"
    document = "document"


class QuizFilter(StrEnum):
    entrants = "entrants"  # made at least one attempt in the contest
    not_attempted = "registered"  # registered for contests, no attempt in this one yet


@dataclass(frozen=True, slots=True)
class Audience:
    """Who gets a broadcast: everyone, or everyone matching every criterion given (each a choice among values).

    Blocked citizens and those who muted announcements are never in an audience.
    """

    units: tuple[str, ...] = ()  # these units and every unit under them
    languages: tuple[str, ...] = ()  # the language the citizen reads (the default one when never chosen)
    quiz: QuizFilter | None = None
    contest_id: str | None = None  # the contest `quiz` is about
    guide_id: str | None = None  # opened this guide and did not finish it

    @property
    def everyone(self) -> bool:
        return not (self.units or self.languages or self.quiz or self.guide_id)

    def to_json(self) -> str:
        data: dict[str, Any] = {}
        if self.units:
            data["units"] = list(self.units)
        if self.languages:
            data["languages"] = list(self.languages)
        if self.quiz is not None:
            data["quiz"] = self.quiz.value
            data["contest"] = self.contest_id
        if self.guide_id:
            data["guide"] = self.guide_id
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Audience:
        data = json.loads(text) if text else {}
        quiz = data.get("quiz")
        return cls(
            units=tuple(data.get("units", ())),
            languages=tuple(data.get("languages", ())),
            quiz=QuizFilter(quiz) if quiz else None,
            contest_id=data.get("contest"),
            guide_id=data.get("guide"),
        )


@dataclass(frozen=True, slots=True)
class Version:
    language: str  # DEFAULT_VERSION or a language code
    kind: ContentKind
    text: str  # Telegram-style HTML; the caption of a photo or document
    file_name: str | None = None
    file_data: bytes | None = field(default=None, repr=False)
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    state: BroadcastState
    created_by: str  # who, as the audit log names them ("telegram:123", "cli")
    creator_user_id: int | None  # the official's own record, for the progress message and the report
    audience: Audience
    urgent: bool  # sent during quiet hours too
    created_at: datetime
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total: int | None = None  # citizens in the audience when it started
    cursor: int = 0  # citizens with ids up to this one are queued
    last_user_id: int | None = None  # the audience is the citizens known when it started
    progress_message_id: str | None = None
    progress_note: str | None = None  # the figures the progress message shows now
    languages: tuple[str, ...] = ()  # of its versions

    @property
    def queued_all(self) -> bool:
        return self.last_user_id is not None and self.cursor >= self.last_user_id


@dataclass(frozen=True, slots=True)
class Progress:
    broadcast: Broadcast
    sent: int
    failed: int
    blocked: int
    skipped: int
    cancelled: int
    pending: int  # queued, not yet sent
    remaining: int  # not yet sent, queued or not
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class UnitLine:
    unit_code: str | None
    name: str | None
    delivered: int
    blocked: int
    failed: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Report:
    progress: Progress
    units: tuple[UnitLine, ...]
    # Skipped deliveries by the reason recorded ("muted", a channel's window…), most first.
    skipped_reasons: tuple[tuple[str, int], ...] = ()
