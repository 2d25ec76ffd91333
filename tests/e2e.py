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
from typing import Any

from bot.app import Application, build_application
from bot.config import Settings
from bot.sandbox.emulator import BotAPIEmulator, BotMessage

TOKEN = "7000000001:TEST-TOKEN"
_user_ids = itertools.count(100001)


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.emulator = BotAPIEmulator(token=TOKEN)
        self.app: Application | None = None
        self._polling: asyncio.Task | None = None
        self._done: dict[int, asyncio.Future] = {}

    async def start(self) -> "Sandbox":
        await self.emulator.start()
        self.settings = self.settings.model_copy(update={"bot_api_url": self.emulator.base_url, "bot_token": TOKEN})
        await self.start_bot()
        return self

    async def start_bot(self) -> None:
        self.app = build_application(self.settings)
        # Outermost, so that it fires after error handling too.
        self.app.dispatcher.update.outer_middleware._middlewares.insert(0, self._mark_done)
        self._polling = asyncio.create_task(self.app.dispatcher.start_polling(
            self.app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1))

    async def stop_bot(self) -> None:
        if self.app is None:
            return
        await self.app.dispatcher.stop_polling()
        if self._polling:
            await asyncio.wait_for(self._polling, timeout=10)
        await self.app.close()
        self.app = None

    async def kill_bot(self) -> None:
        """Stop as a crash would: cancel everything in flight, no clean shutdown of handlers."""
        # aiogram's polling loop and the handlers it spawned are tasks of their own that outlive a
        # cancelled start_polling(); a crash ends them all.
        doomed = [task for task in asyncio.all_tasks()
                  if task.get_coro().__qualname__ in ("Dispatcher._polling", "Dispatcher._process_update")]
        if self._polling:
            doomed.append(self._polling)
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
        assert all(task.done() for task in doomed), "the killed bot is still polling"
        if self.app:
            await self.app.close()
        self.app = None

    async def restart_bot(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.emulator.stop()

    async def _mark_done(self, handler, event, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        try:
            return await handler(event, data)
        finally:
            self._future(event.update_id).set_result(None) if not self._future(event.update_id).done() else None

    def _future(self, update_id: int) -> asyncio.Future:
        if update_id not in self._done:
            self._done[update_id] = asyncio.get_running_loop().create_future()
        return self._done[update_id]

    async def processed(self, update: dict, timeout: float = 10) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._future(update["update_id"])), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"the bot did not handle update {update} within {timeout} s") from None

    def citizen(self, language_code: str | None = "vi", first_name: str = "Lan", user_id: int | None = None) -> "Citizen":
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
        if choose_language and replies and replies[-1].buttons and "lang:" in replies[-1].buttons[0].get("callback_data", ""):
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
        return [button["text"] if isinstance(button, dict) else button
                for row in keyboard.get("keyboard", []) for button in row]

    @property
    def toasts(self) -> list[str]:
        return [answer.get("text") or "" for answer in self.emulator.callback_answers(self.id)]
