"""What the outbox stores and what a messenger answers: plain values, no messenger types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.ui.view import Attachment


class State(StrEnum):
    pending = "pending"  # waiting to be sent (possibly not before `not_before`)
    sending = "sending"  # claimed by a worker; after a crash, claimed again once its lease ran out
    sent = "sent"
    failed = "failed"  # with a reason
    blocked = "blocked"  # the citizen blocked the bot or deleted their account
    skipped = "skipped"  # not sent on purpose (the citizen muted announcements)
    cancelled = "cancelled"  # its broadcast was cancelled before it was sent


DONE = frozenset({State.sent, State.failed, State.blocked, State.skipped, State.cancelled})


class Kind(StrEnum):
    # About the citizen's own business (their contest attempt; an official's own broadcast): never muted,
    # never held by quiet hours.
    notice = "notice"
    # An announcement to many: muted citizens never get it, quiet hours hold it unless it is urgent.
    broadcast = "broadcast"


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One message to one citizen, as a feature asks for it."""

    user_id: int
    channel: str  # the citizen's messenger: "telegram" (later "zalo", "web")
    kind: Kind
    topic: str  # who composes it at send time (a bot.delivery.topics.Topic name), e.g. "quiz.result"
    ref_id: int  # what it is about, for the topic: an attempt id, a broadcast id
    unit_code: str | None = None  # the citizen's unit when it was queued, for reports per unit
    urgent: bool = False  # sent during quiet hours too
    # Edit this message of the citizen's chat instead of sending a new one (an official's progress message).
    target_message_id: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker claimed, with what it needs to know of its citizen at this moment."""

    id: int
    channel: str
    kind: Kind
    topic: str
    ref_id: int
    user_id: int
    chat_id: str
    language: str | None
    user_status: str
    muted: bool
    urgent: bool
    attempts: int
    parts_sent: int  # messages of a multi-message delivery already sent by an earlier try
    target_message_id: str | None
    # When the citizen last wrote or pressed (a channel that charges or refuses outside a window reads it).
    last_seen: datetime | None = None


# ---------------------------------------------------------------- what a messenger answers


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: str


@dataclass(frozen=True, slots=True)
class Blocked:
    reason: str  # "bot was blocked by the user", "user is deactivated"…


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """The channel's flood limit: every sender of this channel waits, then this one is sent again."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    transient: bool  # a server error or a network failure: worth another try after a while


@dataclass(frozen=True, slots=True)
class Skipped:
    """Not sent on purpose, with the channel's reason (Zalo: the citizen is outside its free 48-hour window)."""

    reason: str


Outcome = Delivered | Blocked | RetryAfter | Failed | Skipped


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """How fast a channel lets the bot send on its own."""

    rate: float  # messages a second to all chats together
    burst: int = 1  # sends the bucket lets through at once
    chat_interval: float = 1.0  # seconds between two messages of one delivery to the same chat


@dataclass(frozen=True, slots=True)
class ReusableAttachment(Attachment):
    """A file sent to many citizens: `key` names its content, so a channel may upload it once and send its own
    reference to the stored file afterwards (Telegram's file_id) instead of the bytes every time."""

    key: str = ""
