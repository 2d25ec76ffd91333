"""End-to-end harness: the real bot, polling a local Bot API emulator over HTTP.

async def test_something(sandbox):
    citizen = sandbox.citizen(language_code="vi")
    await citizen.start()                 # /start and pick the suggested language
    replies = await citizen.send("/help") # waits until the bot has fully handled the update
    await citizen.press("📋 Dịch vụ công")  # a button on the newest message that has it
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections.abc import Coroutine, Sequence
from typing import Any

from aiogram.types import Update

from bot.app import Application, build_application
from bot.config import Settings
from bot.features import Feature
from bot.sandbox.emulator import BotAPIEmulator, BotMessage
from bot.transport.flood import ChatPacer, flood_control

TOKEN = "7000000001:TEST-TOKEN"
_user_ids = itertools.count(100001)


class TaskTree:
    """Every task started from one root task, directly or through the tasks it started: what a crash ends.

    aiogram's polling runs in tasks of its own (one per bot, one per update) that outlive a cancelled
    start_polling(); a task factory that notes each task's parent finds them all, with no knowledge of them.
    """

    def __init__(self) -> None:
        self._members: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def start(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        loop = asyncio.get_running_loop()
        previous = loop.get_task_factory()
        members = self._members

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task = previous(loop, coro, **kwargs) if previous else asyncio.Task(coro, loop=loop, **kwargs)
            if asyncio.current_task(loop) in members:
                members.add(task)
            return task  # type: ignore[return-value]  # the factory protocol is typed as returning a Future

        loop.set_task_factory(factory)  # type: ignore[arg-type]  # same
        root = loop.create_task(coroutine)
        members.add(root)
        return root

    async def cancel_all(self) -> None:
        for _ in range(10):  # a cancelled task may still start a last one while it unwinds
            doomed = [task for task in self._members if not task.done()]
            if not doomed:
                return
            for task in doomed:
                task.cancel()
            await asyncio.gather(*doomed, return_exceptions=True)
        raise AssertionError("the killed bot keeps starting tasks")


# Every kind of update the Bot API has: what a webhook gets by default, and polling when asked (the bot's own
# polling asks only for the kinds its handlers take).
EVERY_UPDATE = sorted(name for name in Update.model_fields if name != "update_id")


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        features: Sequence[Feature] | None = None,
        allowed_updates: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.features = features
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.emulator = BotAPIEmulator(token=TOKEN)
        self.app: Application | None = None
        self._polling: asyncio.Task | None = None
        self._done: dict[int, asyncio.Future] = {}
        self._bot_tasks = TaskTree()

    async def start(self) -> Sandbox:
        await self.emulator.start()
        self.settings = self.settings.model_copy(update={"bot_api_url": self.emulator.base_url, "bot_token": TOKEN})
        await self.start_bot()
        return self

    async def start_bot(self) -> None:
        self.app = build_application(self.settings, features=self.features)
        self._pace_bot()
        self.app.dispatcher.update_handled.append(self._mark_done)
        self._bot_tasks = TaskTree()
        # Polling and the delivery worker, as `python -m bot run` runs them.
        self._polling = self._bot_tasks.start(self.app.poll(polling_timeout=1, allowed_updates=self.allowed_updates))

    def set_rate_limits(self, enabled: bool = True, **limits: Any) -> None:
        """Telegram's flood limits in the emulator (BotAPIEmulator.set_rate_limits takes the same arguments).

        While they are on, the bot paces its sends to each chat as in production; while they are off (the
        default: a server without limits) it does not, so that conversations in tests run at machine speed
        rather than at Telegram's one message a second per chat. 429s are waited out either way.
        """
        self.emulator.set_rate_limits(enabled, **limits)
        self._pace_bot()

    def _pace_bot(self) -> None:
        control = flood_control(self.app.bot) if self.app else None
        if control is not None:
            control.pacer = ChatPacer() if self.emulator.limits.enabled else None

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        await self.app.dispatcher.stop_polling()
        if self._polling:
            await asyncio.wait_for(self._polling, timeout=10)
        await self.app.close()
        self.app = None

    async def kill_bot(self) -> None:
        """Stop as a crash would: cancel everything the bot started, no clean shutdown of handlers."""
        await self._bot_tasks.cancel_all()
        if self.app:
            await self.app.close()
        self.app = None

    async def restart_bot(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.emulator.stop()

    def _mark_done(self, update: Update) -> None:
        future = self._future(update.update_id)
        if not future.done():
            future.set_result(None)

    def _future(self, update_id: int) -> asyncio.Future:
        if update_id not in self._done:
            self._done[update_id] = asyncio.get_running_loop().create_future()
        return self._done[update_id]

    # How long one update may take; a test whose updates start a child process (an export, a chart) raises it,
    # since on a loaded two-core machine the child's imports alone can take seconds.
    update_timeout: float = 10

    async def processed(self, update: dict, timeout: float | None = None) -> None:
        timeout = timeout or self.update_timeout
        try:
            await asyncio.wait_for(asyncio.shield(self._future(update["update_id"])), timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not handle update {update} within {timeout} s") from None

    def citizen(self, language_code: str | None = "vi", first_name: str = "Lan", user_id: int | None = None) -> Citizen:
        user_id = user_id or next(_user_ids)
        self.emulator.add_user(user_id, first_name, language_code=language_code)
        return Citizen(self, user_id)


class Citizen:
    def __init__(self, sandbox: Sandbox, user_id: int) -> None:
        self.sandbox = sandbox
        self.emulator = sandbox.emulator
        self.id = user_id

    async def _deliver(self, update: dict) -> list[BotMessage]:
        before = self.emulator.event_count(self.id) if self._has_chat() else 0
        await self.sandbox.processed(update)
        return self._changed_since(before)

    def _has_chat(self) -> bool:
        try:
            self.emulator.chat(self.id)
            return True
        except (KeyError, LookupError):
            return False

    def _changed_since(self, before: int) -> list[BotMessage]:
        seen, result = set(), []
        for event in self.emulator.events(self.id, after_event=before):
            if event.kind in ("sent", "edited") and event.message_id not in seen:
                seen.add(event.message_id)
                result.append(self.emulator.message(self.id, event.message_id))
        return result

    async def send(self, text: str) -> list[BotMessage]:
        return await self._deliver(self.emulator.send_text(self.id, text))

    async def start(self, payload: str | None = None, choose_language: bool = True) -> list[BotMessage]:
        replies = await self.send(f"/start {payload}" if payload else "/start")
        if (
            choose_language
            and replies
            and replies[-1].buttons
            and "lang:" in replies[-1].buttons[0].get("callback_data", "")
        ):
            return await self.press(replies[-1].buttons[0]["text"])
        return replies

    async def press(self, label: str, message: BotMessage | None = None) -> list[BotMessage]:
        message = message or self.message_with_button(label)
        return await self._deliver(self.emulator.press_button(self.id, message.message_id, label))

    async def press_data(self, data: str, message: BotMessage | None = None) -> list[BotMessage]:
        message = message or self.last
        return await self._deliver(self.emulator.press(self.id, message.message_id, data))

    async def share_contact(self, phone: str, own: bool = True) -> list[BotMessage]:
        return await self._deliver(self.emulator.send_contact(self.id, phone, own=own))

    async def send_sticker(self) -> list[BotMessage]:
        return await self._deliver(self.emulator.send_sticker(self.id))

    def message_with_button(self, label: str) -> BotMessage:
        for message in reversed(self.messages):
            if any(button.get("text") == label for button in message.buttons):
                return message
        raise AssertionError(f"no message offers the button {label!r}; chat: {[m.describe() for m in self.messages]}")

    @property
    def messages(self) -> list[BotMessage]:
        return self.emulator.messages(self.id)

    @property
    def last(self) -> BotMessage:
        message = self.emulator.last_message(self.id)
        assert message is not None, "the bot has sent nothing to this citizen"
        return message

    @property
    def keyboard_labels(self) -> list[str]:
        keyboard = self.emulator.reply_keyboard(self.id) or {}
        return [
            button["text"] if isinstance(button, dict) else button
            for row in keyboard.get("keyboard", [])
            for button in row
        ]

    @property
    def toasts(self) -> list[str]:
        return [answer.get("text") or "" for answer in self.emulator.callback_answers(self.id)]
