"""Background tasks that live as long as the dispatcher runs, in polling and webhook modes alike."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiogram import Bot, Dispatcher

TaskFactory = Callable[[Dispatcher, Bot], Coroutine[Any, Any, None]]


def run_while_dispatching(dp: Dispatcher, name: str, task: TaskFactory) -> None:
    """Start `task(dispatcher, bot)` at the dispatcher's start-up and cancel it at its shutdown."""

    async def start(dispatcher: Dispatcher, bot: Bot) -> None:
        dispatcher.workflow_data[name] = asyncio.create_task(task(dispatcher, bot))

    async def stop(dispatcher: Dispatcher) -> None:
        running = dispatcher.workflow_data.pop(name, None)
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    dp.startup.register(start)
    dp.shutdown.register(stop)
