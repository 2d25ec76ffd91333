"""What tests observe: the bot's messages per chat, the chat's events, callback answers, counters of
calls and answers; waits are bounded."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from bot.sandbox.emulator.chats import BotMessage, ChatEvent
from bot.sandbox.emulator.core import BOT_EVENT_KINDS, REPLY_EVENT_KINDS, JsonDict
from bot.sandbox.emulator.files import StoredFile
from bot.sandbox.emulator.state import EmulatorState

T = TypeVar("T")


@dataclass(frozen=True)
class AcceptedSend:
    """A send the emulator accepted, at the emulator's clock (``time.monotonic`` unless given)."""

    at: float
    chat_id: int
    method: str
    paid: bool = False  # sent with allow_paid_broadcast


@dataclass(frozen=True)
class RefusedSend:
    """A send answered with 429, at the emulator's clock: which limit refused it, and the wait it asked for."""

    at: float
    chat_id: int
    method: str
    scope: str
    retry_after: int


class ApiStats:
    """Counters of what the bot asked and how the emulator answered; ``reset()`` starts them again.

    ``calls``       calls per Bot API method (known methods, whatever the answer)
    ``statuses``    answers per HTTP status: ``statuses[400] == 0`` means no Bot API 400 at all
    ``errors``      answers per error description, e.g. ``errors["Forbidden: user is deactivated"]``
    ``rate_limited``        429s per limit that answered them: "chat", "group", "global"
    ``rate_limited_chats``  429s per chat id
    ``delayed``     calls per method that were answered late on purpose
    ``paid_sends``  sends accepted only thanks to allow_paid_broadcast (0.1 Star each on Telegram)
    ``sends``       every accepted send with its time, the newest ``send_log_size`` of them
    ``refused``     every send answered with 429, with its time (the newest ``send_log_size``)
    """

    def __init__(self, send_log_size: int = 100_000) -> None:
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.rate_limited_chats: Counter[int] = Counter()
        self.delayed: Counter[str] = Counter()
        self.paid_sends = 0
        self.sends: deque[AcceptedSend] = deque(maxlen=send_log_size)
        self.refused: deque[RefusedSend] = deque(maxlen=send_log_size)

    def reset(self) -> None:
        for counter in (
            self.calls,
            self.statuses,
            self.errors,
            self.rate_limited,
            self.rate_limited_chats,
            self.delayed,
        ):
            counter.clear()
        self.paid_sends = 0
        self.sends.clear()
        self.refused.clear()

    def sends_to(self, chat_id: int) -> list[AcceptedSend]:
        return [send for send in self.sends if send.chat_id == chat_id]

    def copies(self) -> Counter[int]:
        """Accepted sends per chat (a broadcast's recipients should each have exactly one)."""
        return Counter(send.chat_id for send in self.sends)

    def achieved_rate(self, chat_id: int | None = None) -> float:
        """Accepted sends per second between the first and the last one (to one chat if given)."""
        sends = list(self.sends) if chat_id is None else self.sends_to(chat_id)
        if len(sends) < 2 or sends[-1].at <= sends[0].at:
            return 0.0
        return (len(sends) - 1) / (sends[-1].at - sends[0].at)


class Observation(EmulatorState):
    def messages(self, chat_id: int, include_deleted: bool = False) -> list[BotMessage]:
        messages = self.chat(chat_id).bot_messages.values()
        return [m for m in messages if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> BotMessage | None:
        for message in reversed(self.chat(chat_id).bot_messages.values()):
            if not message.deleted:
                return message
        return None

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        return self.chat(chat_id).keyboard

    def events(self, chat_id: int, after_event: int = 0) -> list[ChatEvent]:
        return self.chat(chat_id).events[after_event:]

    def event_count(self, chat_id: int) -> int:
        return len(self.chat(chat_id).events)

    def callback_answers(self, user_id: int) -> list[JsonDict]:
        return list(self._answers.get(user_id, ()))

    def get_file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    async def wait_for_events(self, chat_id: int, after_event: int, timeout: float) -> list[ChatEvent]:
        """Events with index >= after_event, waiting up to timeout for at least one."""
        chat = self.chat(chat_id)
        deadline = time.monotonic() + timeout
        while len(chat.events) <= after_event and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await chat.changed.wait(remaining)
        return chat.events[after_event:]

    async def wait_for_event(
        self,
        chat_id: int,
        kind: str | Iterable[str] | None = None,
        after_event: int = 0,
        timeout: float = 5.0,
    ) -> ChatEvent:
        """The first event at or after ``after_event`` of the given kind(s).

        Without ``kind`` any event produced by the bot matches (not ``incoming``).
        """
        if kind is None:
            kinds: tuple[str, ...] = BOT_EVENT_KINDS
        else:
            kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        found = await self._scan(chat_id, after_event, timeout, lambda event: event if event.kind in kinds else None)
        if found is None:
            raise AssertionError(
                f"timed out after {timeout}s waiting for a {'/'.join(kinds)} event in chat "
                f"{chat_id} at or after event {after_event}; "
                f"events: {[e.kind for e in self.chat(chat_id).events[after_event:]]}; "
                f"messages: {self.chat(chat_id).describe()}"
            )
        return found

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,
        after_event: int = 0,
    ) -> BotMessage:
        """The first bot message sent or edited at or after ``after_event`` that matches.

        The predicate sees the message's current state.
        """
        chat = self.chat(chat_id)

        def match(event: ChatEvent) -> BotMessage | None:
            if event.kind not in REPLY_EVENT_KINDS or event.message_id is None:
                return None
            message = chat.bot_messages[event.message_id]
            if message.deleted or (predicate is not None and not predicate(message)):
                return None
            return message

        found = await self._scan(chat_id, after_event, timeout, match)
        if found is None:
            wanted = "a bot message" if predicate is None else f"a bot message matching {predicate!r}"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {wanted} in chat {chat_id} "
                f"at or after event {after_event}; chat holds: {chat.describe()}"
            )
        return found

    async def _scan(
        self,
        chat_id: int,
        after_event: int,
        timeout: float,
        match: Callable[[ChatEvent], T | None],
    ) -> T | None:
        chat = self.chat(chat_id)
        deadline = time.monotonic() + timeout
        cursor = after_event
        while True:
            while cursor < len(chat.events):
                found = match(chat.events[cursor])
                cursor += 1
                if found is not None:
                    return found
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return None
            await chat.changed.wait(remaining)

    def next_reply(self, chat_id: int) -> asyncio.Future[BotMessage]:
        """A future resolved by the next message the bot sends or edits in this chat."""
        future: asyncio.Future[BotMessage] = asyncio.get_running_loop().create_future()
        self.chat(chat_id).reply_waiters.append(future)
        return future

    async def wait_for_reply(self, chat_id: int, timeout: float = 5.0) -> BotMessage:
        """Wait for the next sent or edited message; arm it before injecting the update."""
        future = self.next_reply(chat_id)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for the next reply in chat {chat_id}; "
                f"chat holds: {self.chat(chat_id).describe()}"
            ) from None
