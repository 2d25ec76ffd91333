"""What channels other than Telegram keep in the database, as plain values and a store protocol.

* The inbox: an event a channel's webhook received, stored before the webhook answers, handled after; a retried
  event (same key) is stored once, so it is handled once, and a crash between the answer and the handling
  leaves it there to be handled at the next start.
* Screens: every message a channel sent with buttons, with the payloads its buttons carry. A press names its
  screen; a press on a screen that was replaced (a channel that cannot edit sends a new message instead), on a
  screen of another chat, or with a payload that screen never offered, is stale and changes nothing.
* Tokens: a channel's access token and its single-use refresh token, refreshed by one process at a time (a
  lease on the row, so that two workers never spend the same refresh token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.ports import StoreKey


@dataclass(frozen=True, slots=True)
class InboxEvent:
    id: int
    channel: str
    key: str  # the channel's own id of the event, for deduplication
    body: str  # the raw event, as received
    received_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Screen:
    id: int  # the message id handlers see (a press names it)
    channel: str
    chat_id: str
    payloads: tuple[str, ...]  # what its buttons send back
    replaced: bool  # a newer message took its place: its buttons are stale
    external_id: str | None  # the channel's own message id, when it gave one


@dataclass(frozen=True, slots=True)
class Tokens:
    channel: str
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    refreshing_until: datetime | None  # another process is refreshing until then
    version: int  # bumped on every refresh


class ChannelStore(Protocol):
    # ------------------------------------------------------------ the inbox
    async def inbox_add(self, channel: str, key: str, body: str, now: datetime) -> int | None:
        """Store an event; None when one with the same (channel, key) is stored already."""

    async def inbox_pending(
        self, channel: str, limit: int, stale_before: datetime | None = None, now: datetime | None = None
    ) -> list[InboxEvent]:
        """Events not yet handled, oldest first; with `stale_before`, only those nobody holds: never claimed and
        received before it, or claimed with a claim that ended before `now`."""

    async def inbox_claim(self, event_id: int, now: datetime, until: datetime, force: bool = False) -> bool:
        """Take the event to handle it, until `until` (then another process may, if this one died); False when it
        is handled already or another process holds it. `force` takes it over a claim this process made before it
        stopped (one process only: SQLite)."""

    async def inbox_done(self, event_id: int, now: datetime, error: str | None = None) -> None: ...

    async def inbox_prune(self, before: datetime) -> int:
        """Forget handled events received before `before`."""

    # ------------------------------------------------------------ screens
    async def screen_add(self, channel: str, chat_id: str, payloads: Sequence[str], now: datetime) -> int: ...
    async def screen_sent(self, screen_id: int, external_id: str) -> None: ...
    async def screen(self, screen_id: int) -> Screen | None: ...
    async def screen_replace(self, screen_id: int) -> bool:
        """Mark the screen replaced; False when it was already."""

    async def screens_prune(self, before: datetime) -> int: ...

    # ------------------------------------------------------------ tokens
    async def tokens(self, channel: str) -> Tokens | None: ...
    async def tokens_seed(self, tokens: Tokens) -> bool:
        """Store the first tokens of a channel (from its settings) unless some are stored already."""

    async def tokens_lease(self, channel: str, version: int, until: datetime, now: datetime) -> bool:
        """Take the right to refresh: only when the tokens are still at `version` and nobody else holds it."""

    async def tokens_store(self, tokens: Tokens, previous_version: int) -> bool:
        """Store refreshed tokens (version + 1) and drop the lease; False when the version moved meanwhile."""

    async def tokens_release(self, channel: str) -> None:
        """Drop the lease without a refresh (the refresh failed)."""


CHANNELS: StoreKey[ChannelStore] = StoreKey("channels")
