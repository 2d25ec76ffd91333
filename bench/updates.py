"""Benchmark: the citizen bot against a bare aiogram echo bot, driven the same way in the same run.

    python -m bench.updates [--users 500] [--rate 200] [--seconds 10]

(a) throughput: N citizens browse and walk guides as fast as the bot answers (closed loop); the
    ratio is to a bare aiogram echo bot; `ratio_same_plumbing` is to an echo bot with the citizen
    bot's HTTP session and collector settings, so it shows what the citizen bot's own work costs;
(b) latency: updates offered at a fixed rate (open loop), reply latency p50/p99.
Prints one JSON line. The citizen bot uses a fresh, migrated temporary SQLite database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.echo_bot import ECHO_TOKEN
from bench.harness import (
    Action,
    Users,
    closed_loop,
    collector_paused,
    echo_script,
    open_loop,
    quiet_logs,
    running_bot,
    warm_up,
)
from bot.config import Settings
from bot.domain.guides.catalogue import Catalogue, load_catalogue

TOKEN = "7000000002:BENCH-TOKEN"
THROUGHPUT_GOAL = 0.5
P99_GOAL_MS = 250.0
SEARCHES = ["khai sinh", "dang ky tam tru", "vneid", "tien dien", "bao hiem y te"]


def guide_script(catalogue: Catalogue, seed: int) -> Iterator[Action]:
    """A citizen: opens Public services, a topic, a guide, ticks, walks every step, finishes, rates, searches."""
    chance = random.Random(seed)
    guides = list(catalogue.guides.values())
    while True:
        guide = chance.choice(guides)
        yield "text", "📋 Dịch vụ công"
        yield "press", f"gk:{guide.category}"
        yield "press", f"go:{guide.id}"
        yield "press", f"gc:{guide.id}:{guide.version}:0"
        for shown in range(len(guide.steps)):
            yield "press", f"gs:{guide.id}:{guide.version}:{shown}:n"
        yield "press", f"gs:{guide.id}:{guide.version}:{len(guide.steps)}:d"
        yield "press", f"gf:{guide.id}:up"
        yield "text", chance.choice(SEARCHES)


async def measure(args: argparse.Namespace) -> dict:
    from bot.db.migrate import upgrade_async

    quiet_logs()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade_async(database_url)
        catalogue = load_catalogue(Settings(_env_file=None).procedures_dir)[0]
        targets = {
            "echo-plain": (ECHO_TOKEN, echo_script),
            "echo": (ECHO_TOKEN, echo_script),
            "bot": (TOKEN, lambda user_id: guide_script(catalogue, user_id)),
        }
        for name, (token, script) in targets.items():
            async with running_bot(name, token, database_url) as running:
                users = Users(running, script, args.users)
                with collector_paused():
                    await warm_up(users)
                    throughput = await closed_loop(users, args.seconds)
                    # The echo bot with the citizen bot's plumbing is a reference for throughput only.
                    latency = await open_loop(users, args.rate, args.seconds) if name != "echo" else {}
            results[name] = {"throughput": throughput, "latency": latency}
    bot, plain, same = (results[name]["throughput"]["updates_per_s"] for name in ("bot", "echo-plain", "echo"))
    ratio = bot / max(plain, 1e-9)
    p99 = results["bot"]["latency"]["p99_ms"]
    return {
        "database": "sqlite",
        "users": args.users,
        "seconds": args.seconds,
        "throughput": {
            "bot_updates_per_s": bot,
            "echo_updates_per_s": plain,
            "ratio": round(ratio, 3),
            "echo_same_plumbing_updates_per_s": same,
            "ratio_same_plumbing": round(bot / max(same, 1e-9), 3),
        },
        "latency": {
            "offered_per_s": args.rate,
            "bot_p50_ms": results["bot"]["latency"]["p50_ms"],
            "bot_p99_ms": p99,
            "echo_p50_ms": results["echo-plain"]["latency"]["p50_ms"],
            "echo_p99_ms": results["echo-plain"]["latency"]["p99_ms"],
            "bot_handled": results["bot"]["latency"]["handled"],
            "bot_skipped": results["bot"]["latency"]["skipped"],
            "bot_timeouts": results["bot"]["latency"]["timeouts"],
        },
        "goals": {
            "throughput_ratio_at_least_0_5": ratio >= THROUGHPUT_GOAL,
            "p99_below_250_ms": p99 < P99_GOAL_MS,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500, help="simulated citizens (default 500)")
    parser.add_argument("--rate", type=float, default=200.0, help="offered updates per second, open loop (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement (default 10)")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
