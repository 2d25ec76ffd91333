"""SIGTERM and SIGINT as a request to stop: the process finishes the updates in flight, then exits 0."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

log = logging.getLogger("bot.ops")


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT (systemd's stop, `docker stop`, Ctrl-C); call in the loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("%s received: finishing the updates in flight, then stopping", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows' default loop
            loop.add_signal_handler(sig, request_stop, sig)
    return stop
