"""The chat's way to run a report: `python -m bot export results|stats … --json` as a child process.

Off the event loop twice over: the child has its own interpreter (no shared GIL, so citizens' updates keep
their speed on another core) and its own read-only database connection (bot.db.readonly: on SQLite the
bot's one connection is never held by a report, and no write lock is taken). The child reports progress
and its result as JSON lines; it is killed if the update is cancelled or it runs past `timeout`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from bot.config import Settings

log = logging.getLogger(__name__)
# A million entrants take about a minute on a small server (bench/export.py); far more than that is a fault.
DEFAULT_TIMEOUT = 30 * 60.0
# Exit status of `export results --max-bytes` when the file would be too large (it writes nothing then).
TOO_LARGE = 3


def child_environment(settings: Settings) -> dict[str, str]:
    """The settings a report needs, so that the child reads the same database and content as this process."""
    environment = dict(os.environ)
    environment.update(
        {
            "DATABASE_URL": settings.database_url,
            "QUIZ_BANK_DIR": str(settings.quiz_bank_dir),
            "PROCEDURES_DIR": str(settings.procedures_dir),
            "LOCALES_DIR": str(settings.locales_dir),
            "TIMEZONE": settings.timezone,
            "DEFAULT_LOCALE": settings.default_locale,
            "DEMO_CONTESTS": "true" if settings.demo_contests else "false",
            "GUIDE_ABANDON_AFTER_MINUTES": str(settings.guide_abandon_after_minutes),
        }
    )
    return environment


async def run(
    settings: Settings, arguments: Sequence[str], timeout: float = DEFAULT_TIMEOUT
) -> tuple[int, dict[str, Any]]:
    """(exit status, the last JSON line the child printed)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *arguments,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_environment(settings),
    )
    last: dict[str, Any] = {}
    try:
        async with asyncio.timeout(timeout):
            assert child.stdout is not None and child.stderr is not None
            errors = asyncio.ensure_future(child.stderr.read())
            async for line in child.stdout:
                try:
                    last = json.loads(line)
                except ValueError:
                    continue
            status = await child.wait()
            problem = (await errors).decode("utf-8", "replace").strip()
    except BaseException:  # cancelled (the bot stops) or too slow: never leave a child behind
        if child.returncode is None:
            child.kill()
            await child.wait()
        raise
    if status not in (0, TOO_LARGE):
        log.error("report %s failed with status %s: %s", arguments[:2], status, problem[-2000:])
    return status, last
