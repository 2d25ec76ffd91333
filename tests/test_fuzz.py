"""Fuzzing through the real transport: thousands of generated hostile updates, the real bot, the Bot API emulator.

A few victims are set up first through ordinary conversations: registered for the contest, one with a finished
attempt, one in the middle of one, one practising, each part-way through a guide. Then hypothesis generates
batches of actions by other people (BATCH per example, EXAMPLES examples: at least MIN_UPDATES updates reach the
bot), each batch made into updates by the emulator at once and waited for until the bot has handled every one it
received. What the actions cover:

- texts: random Unicode, huge ones (up to Telegram's 4,096 characters), emoji with joiners, skin tones and flags,
  right-to-left scripts and overrides, zero-width and control characters, digits of other scripts, superscripts,
  HTML-looking text;
- commands: unknown ones, known ones with odd arguments, addressed to this bot or to another, /start with odd
  deep-link payloads; the big menu buttons' labels in every language;
- presses: the newest buttons of one's own chat with their real data (to go deep into forms, guides and attempts)
  or with one field mutated (huge, negative, padded, other scripts' digits, empty, a victim's attempt id);
  random and oversized data, data under the bot's own prefixes with wrong fields; forged presses on the victims'
  and on other people's messages; presses on unreachable messages (id 0, or a real one's id); presses in groups;
- edits of one's own texts; contacts (one's own, somebody else's card, a victim's); stickers, photos;
- a supergroup (privacy mode: the bot gets commands and replies) and a group where the bot is an administrator
  (it gets everything): members' texts and commands, replies to the bot, anonymous administrators, joins and
  leaves; a channel's posts and edits;
- my_chat_member: blocking and unblocking the bot, the bot removed from a group and added back;
- kinds of update no handler takes (inline queries, chosen results, poll answers, join requests, reactions,
  chat members) and a kind newer than this version of aiogram knows;
- a few determined people walk through registration and the contest (consent, name, phone, birth year, group,
  questions, prediction) with answers the bot takes or must refuse kindly (superscript and other scripts'
  digits, a foreign phone, an empty name), interleaved with everybody else's noise.

Size and time: EXAMPLES=230 batches of 50 actions make about 11,000 updates, handled in 25–50 s on SQLite on a
shared 2-core machine; the updates are fed a batch at a time so that every press is answered well within
Telegram's window and the checks after each batch name the batch that broke something.

After every batch: nothing logged as an error or with a traceback; every press answered exactly once; every Bot
API call answered 200 (no 400 caused by the bot, nor any other refusal). At the end: the victims' records,
registration, attempts, answers and guide progress are exactly as before and nothing more was sent to their
chats; every citizen's chat is their own private chat; people who only wrote in groups have no record.

Set FUZZ_EXAMPLES to run longer, FUZZ_SEED to repeat a run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram.types import Update
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.config import ROOT
from bot.db.models import Base
from bot.domain.units import import_units
from bot.features import stores
from bot.sandbox.emulator import TEXT_LIMIT, BotAPIEmulator
from bot.ui import menu
from bot.ui.payloads import Payload
from tests.e2e import EVERY_UPDATE, Citizen, Sandbox
from tests.quiz_support import contest_yaml, make_bank

BATCH = 50
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "230"))
MIN_UPDATES = 10_000 if "FUZZ_EXAMPLES" not in os.environ else 0
HOSTILE = 24  # people who write to the bot privately and in groups
GROUP_ONLY = 4  # people who are only ever in the groups
DETERMINED = 6  # of the hostile: those who also walk through registration and the contest (SCRIPT)
SUPERGROUP, GROUP, CHANNEL = -1001001, -1002, -1003
NEWER_KIND = "future_kind"  # an update kind newer than this version of aiogram


# ---------------------------------------------------------------- what the actions are made of

_EMOJI = ["👍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇻🇳", "👋🏽", "❤️", "🙂", "🧑🏿‍💻", "🫠", "🐉"]
_ODD = [
    "\u202e\u202d",  # right-to-left and left-to-right overrides
    "\u200b\u200c\u200d\ufeff\u2060",  # zero-width characters
    "\x00\x01\x07\x1b\x7f\x9f",  # control characters
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",  # Arabic and Hebrew
    "ภาษาไทย",
    "Nguyễn Thị Lan",
    "٣٤٥٦",  # Arabic-Indic digits
    "１９９０",  # fullwidth digits
    "¹²³⁴",  # superscripts: digits to str.isdigit, not to int()
    "<b>bold</b> <a href='x'>&amp;</a> <script>",
    "&lt;&#0;",
    "1990",
    "1500",
    "-1",
    "1e9",
    "99999999999999999999999999",
    "",
    " ",
    "\n\n",
]
_COMMANDS = [
    "/start",
    "/menu",
    "/help",
    "/language",
    "/quiz",
    "/top",
    "/privacy",
    "/forget",
    "/stats",
    "/START",
    "/start@sandbox_bot",
    "/quiz@other_bot",
    "/nonexistent",
    "/",
    "//",
    "/start unit_tn-ducxuan",
    "/start unit_",
    "/start unit_../../etc/passwd",
    "/start unit_" + "x" * 64,
    "/start unit_tn-ducxuan unit_tn-ducxuan",
    "/start %00",
    "/start 🙂",
    "/start " + "A" * 300,
]
_INTERESTING_INTS = [
    "0",
    "1",
    "2",
    "3",
    "-1",
    "007",
    "+1",
    " 1",
    "1 ",
    "١",
    "²",
    "",
    "9" * 60,
    "2147483647",
    "2147483648",
]


def _texts() -> st.SearchStrategy[str]:
    characters = st.characters(exclude_categories=("Cs",))  # lone surrogates cannot travel as UTF-8
    plain = st.text(characters, max_size=30)
    pieces = st.lists(st.one_of(plain, st.sampled_from(_EMOJI), st.sampled_from(_ODD)), max_size=4).map("".join)
    huge = st.builds(
        lambda unit, times: (unit * times)[:TEXT_LIMIT],
        st.text(characters, min_size=1, max_size=6),
        st.integers(300, 1200),
    )
    labels = st.sampled_from(sorted({label for entry in menu.big_buttons() for label in menu.labels_of(entry)}))
    return st.one_of(pieces, pieces, huge, labels, st.sampled_from(_ODD))


def _commands() -> st.SearchStrategy[str]:
    odd_tail = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
    return st.one_of(
        st.sampled_from(_COMMANDS), st.builds(lambda c, t: f"{c} {t}", st.sampled_from(_COMMANDS), odd_tail)
    )


def _callback_data() -> st.SearchStrategy[str]:
    prefixes = sorted(Payload._by_prefix)
    fields_ = st.lists(st.one_of(st.sampled_from(_INTERESTING_INTS), st.text(max_size=8)), max_size=5)
    own = st.builds(lambda p, f: ":".join([p, *f]), st.sampled_from(prefixes), fields_)
    return st.one_of(own, own, st.text(max_size=64), st.text(min_size=65, max_size=300), st.just(""))


# One generated action: its kind and a few numbers and texts; which person, message or group they pick is
# decided against the world as it is when the batch is played (indices are taken modulo what exists).
Action = tuple[Any, ...]
_pick = st.integers(0, 10**6)


def _actions() -> st.SearchStrategy[Action]:
    mutation = st.one_of(
        st.none(), st.tuples(_pick, st.one_of(st.sampled_from(_INTERESTING_INTS), st.text(max_size=6)))
    )
    return st.one_of(
        st.tuples(st.just("text"), _pick, _texts()),
        st.tuples(st.just("text"), _pick, _texts()),
        st.tuples(st.just("command"), _pick, _commands()),
        st.tuples(st.just("press"), _pick, _pick, mutation),
        st.tuples(st.just("press"), _pick, _pick, mutation),
        st.tuples(st.just("press"), _pick, _pick, st.none()),
        st.tuples(st.just("press_data"), _pick, _pick, _callback_data()),
        st.tuples(st.just("press_foreign"), _pick, _pick, _pick, st.one_of(st.none(), _callback_data())),
        st.tuples(st.just("press_unreachable"), _pick, _pick, st.one_of(st.none(), _callback_data())),
        st.tuples(st.just("edit"), _pick, _pick, _texts()),
        st.tuples(st.just("contact"), _pick, st.sampled_from(["own", "other", "card", "victim"]), _texts()),
        st.tuples(st.just("media"), _pick, st.sampled_from(["sticker", "photo"]), _texts()),
        st.tuples(st.just("group"), _pick, _pick, st.one_of(_texts(), _commands()), st.booleans()),
        st.tuples(st.just("anonymous"), _pick, st.one_of(_texts(), _commands())),
        st.tuples(st.just("group_press"), _pick, _pick, _callback_data()),
        st.tuples(st.just("join_leave"), _pick, _pick),
        st.tuples(st.just("channel"), _pick, st.one_of(_texts(), _commands())),
        st.tuples(st.just("membership"), _pick, st.sampled_from(["block", "unblock", "regroup"])),
        st.tuples(st.just("raw"), _pick, st.sampled_from(sorted(RAW_KINDS)), _texts()),
        st.tuples(st.just("script"), _pick, _pick, _texts()),
        st.tuples(st.just("script"), _pick, _pick, _texts()),
    )


# A determined person's next step through registration and the contest: each "script" action takes the step their
# registration (as stored before the batch) and the bot's last buttons call for, with an answer the bot takes or
# one it must refuse kindly.
NAMES = (("Trần Văn Bình", "Hà Thị Mai", "Nguyễn\u200b Thị\u00a0Lan"), ("A", "\u202e", "🙂🙂", ""))
PHONES = (("+84912345678", "0912 345 678"), ("+1", "١٢٣", ""))
YEARS = (("1990", "1985", "１９９０"), ("¹²³⁴", "2030", "19 90", ""))
PREDICTIONS = (("1500", "١٥٠٠", "1,500"), ("²", "-3", "99999999999", ""))


def _raw(kind: str, user: dict[str, Any], chat: dict[str, Any], text: str) -> dict[str, Any]:
    member = {"status": "member", "user": user}
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "inline_query": lambda: {"id": "iq", "from": user, "query": text[:256], "offset": ""},
        "chosen_inline_result": lambda: {"result_id": "r", "from": user, "query": text[:256]},
        "poll_answer": lambda: {"poll_id": "p", "user": user, "option_ids": [0], "option_persistent_ids": ["0"]},
        "chat_join_request": lambda: {"chat": chat, "from": user, "user_chat_id": user["id"], "date": 0},
        "chat_member": lambda: {
            "chat": chat,
            "from": user,
            "date": 0,
            "old_chat_member": {"status": "left", "user": user},
            "new_chat_member": member,
        },
        "message_reaction": lambda: {
            "chat": chat,
            "message_id": 1,
            "date": 0,
            "user": user,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        },
        NEWER_KIND: lambda: {"from": user, "anything": [text[:20], 1]},
    }
    return {kind: bodies[kind]()}


RAW_KINDS = frozenset(
    {"inline_query", "chosen_inline_result", "poll_answer", "chat_join_request", "chat_member", "message_reaction"}
    | {NEWER_KIND}
)


def test_the_updates_made_by_hand_are_well_formed() -> None:
    """Telegram sends only valid updates; one aiogram cannot read would stop polling for the whole batch."""
    user = {"id": 1, "is_bot": False, "first_name": "Lan"}
    chat = {"id": SUPERGROUP, "type": "supergroup", "title": "Thôn"}
    for kind in RAW_KINDS:
        update = Update.model_validate({"update_id": 1, **_raw(kind, user, chat, "xin chào")})
        if kind != NEWER_KIND:
            assert update.event_type == kind


# ---------------------------------------------------------------- the world the actions play in


class Captured(logging.Handler):
    """Every record logged as an error or with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@dataclass
class World:
    sandbox: Sandbox
    victims: list[Citizen]
    hostile: list[int]
    group_only: list[int]
    victim_attempts: list[int]
    blocked: set[int] = field(default_factory=set)
    texts: dict[int, list[int]] = field(default_factory=dict)  # each person's own text messages, for edits
    posts: list[int] = field(default_factory=list)
    registration: dict[int, dict[str, Any]] = field(default_factory=dict)  # the determined few's, as stored
    sent: int = 0
    impossible: int = 0  # actions Telegram would not allow in the world as it was (e.g. leaving twice)
    answers_seen: Counter[str] = field(default_factory=Counter)
    presses: list[str] = field(default_factory=list)

    @property
    def emulator(self) -> BotAPIEmulator:
        return self.sandbox.emulator

    def person(self, pick: int, groups: bool = False) -> int:
        """Whoever does a random action: anyone but the determined few in private, anyone at all in groups."""
        people = self.hostile[DETERMINED:] if not groups else self.hostile + self.group_only
        return people[pick % len(people)]

    def _buttons(self, chat_id: int, newest: int | None = None) -> list[tuple[int, str]]:
        messages = [m for m in self.emulator.messages(chat_id) if m.buttons]
        if newest is not None:
            messages = messages[-newest:]
        return [(m.message_id, b["callback_data"]) for m in messages for b in m.buttons if "callback_data" in b]

    def _mutated(self, data: str, mutation: tuple[int, str] | None) -> str:
        if mutation is None:
            return data
        parts = data.split(":")
        where, value = mutation
        if len(parts) > 1:
            value = value if where % 3 else str(self.victim_attempts[where % len(self.victim_attempts)])
            parts[1 + where % (len(parts) - 1)] = value
        return ":".join(parts)

    def play(self, action: Action, deferred: list[Action]) -> list[dict[str, Any]]:
        """The updates one action makes (membership changes wait for the end of the batch: see play_deferred)."""
        emu = self.emulator
        kind = action[0]
        if kind == "membership":
            deferred.append(action)
            return []
        if kind in ("group", "anonymous", "group_press", "join_leave", "channel"):
            return self._play_outside(action)
        # the determined few walk through registration and the contest (SCRIPT), so that each gets far
        user = self.hostile[action[1] % DETERMINED] if kind == "script" else self.person(action[1])
        made: list[dict[str, Any]] = []
        if user in self.blocked:  # a person who blocked the bot allows it again before writing to it
            made.append(emu.unblock(user))
            self.blocked.discard(user)
        if kind in ("text", "command"):
            update = emu.send_text(user, action[2])
            self.texts.setdefault(user, []).append(update["message"]["message_id"])
            made.append(update)
        elif kind == "press":
            buttons = self._buttons(user, newest=3) or [(0, "m:menu")]
            message_id, data = buttons[action[2] % len(buttons)]
            data = self._mutated(data, action[3])
            made.append(emu.press(user, message_id, data) if message_id else emu.press_inaccessible(user, 0, data))
        elif kind == "press_data":
            messages = emu.messages(user)
            if messages:
                made.append(emu.press(user, messages[action[2] % len(messages)].message_id, action[3]))
            else:
                made.append(emu.press_inaccessible(user, 0, action[3]))
        elif kind == "press_foreign":
            owners = [v.id for v in self.victims] + self.hostile
            owner = owners[action[2] % len(owners)]
            buttons = self._buttons(owner) if owner != user else []
            if not buttons:
                return made
            message_id, data = buttons[action[3] % len(buttons)]
            made.append(emu.press(user, message_id, action[4] or data, chat_id=owner, forged=True))
        elif kind == "press_unreachable":
            messages = emu.messages(user)
            message_id = messages[action[2] % len(messages)].message_id if messages and action[2] % 2 else 0
            made.append(emu.press_inaccessible(user, message_id, action[3] or "m:menu"))
        elif kind == "edit":
            own = self.texts.get(user)
            if not own:
                return made
            made.append(emu.edit_text(user, own[action[2] % len(own)], action[3] or "…"))
        elif kind == "contact":
            made.append(self._contact(user, action[2], action[3]))
        elif kind == "media":
            made.append(
                emu.send_sticker(user)
                if action[2] == "sticker"
                else emu.send_photo_from_user(user, caption=action[3] or None)
            )
        elif kind == "script":
            made += self._script_step(user, action[2], action[3])
        elif kind == "raw":
            chat = emu.chat(SUPERGROUP).chat_dict()
            made.append(emu.send_raw(_raw(action[2], emu.user(user).as_dict(), chat, action[3])))
        return made

    def _script_step(self, user: int, pick: int, text: str) -> list[dict[str, Any]]:
        emu = self.emulator

        def one_of(answers: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
            choices = answers[0] * 2 + answers[1]  # mostly answers the bot takes
            return choices[pick % len(choices)] or text or "…"

        def press(*prefixes: str) -> list[dict[str, Any]] | None:
            for message in reversed(emu.messages(user)[-2:]):
                buttons = [b for b in message.buttons if b.get("callback_data", "").startswith(prefixes)]
                if buttons:
                    return [emu.press(user, message.message_id, buttons[pick % len(buttons)]["callback_data"])]
            return None

        stored = self.registration.get(user)
        if stored is None or stored.get("consent_at") is None:
            return press("qz:c") or [emu.send_text(user, "/quiz")]
        if stored.get("birth_year") is None:  # the birth year first, so that eligibility is known at once
            return [emu.send_text(user, one_of(YEARS))]
        if stored.get("full_name") is None:
            return [emu.send_text(user, one_of(NAMES))]
        if stored.get("phone") is None:
            return [emu.send_contact(user, one_of(PHONES), own=True)]
        if stored.get("group_id") is None:
            return press("qg:") or [emu.send_text(user, "/quiz")]
        answered = press("qa:", "qn:")
        if answered:
            return answered
        if pick % 3 == 0:
            return [emu.send_text(user, one_of(PREDICTIONS))]
        # Mostly the contest (its rules, then the start), sometimes practice.
        start = press("qz:b", "qz:s") or press("qz:r") if pick % 5 else press("qz:p")
        return start or press("qu:") or [emu.send_text(user, ("/quiz", "/top", "/privacy")[pick % 3])]

    def _contact(self, user: int, how: str, text: str) -> dict[str, Any]:
        emu = self.emulator
        victim = self.victims[len(text) % len(self.victims)].id
        phone = "".join(ch for ch in text if ch.isdigit() or ch == "+")[:20] or "+84900000000"
        if how == "own":
            return emu.send_contact(user, phone, own=True)
        if how == "other":
            return emu.send_contact(user, phone, own=False)
        if how == "victim":
            return emu.send_contact(user, "+84912345678", own=False, other_user_id=victim)
        return emu.send_contact_card(user, text[:30] or "0", text[:20] or "Ai đó", contact_user_id=victim)

    def _play_outside(self, action: Action) -> list[dict[str, Any]]:
        emu = self.emulator
        kind = action[0]
        groups = [SUPERGROUP, GROUP]
        if kind == "channel":
            if self.posts and action[1] % 3 == 0:
                return [emu.edit_channel_post(CHANNEL, self.posts[action[1] % len(self.posts)], action[2] or "…")]
            post = emu.post_to_channel(CHANNEL, action[2] or "…")
            self.posts.append(post["channel_post"]["message_id"])
            return [post]
        if kind == "anonymous":
            return [emu.send_anonymous_admin(groups[action[1] % 2], action[2] or "…")]
        group = groups[action[2] % 2]
        user = self.person(action[1], groups=True)
        present = emu.chat(group).group.is_present(user)  # type: ignore[union-attr]
        if kind == "join_leave":
            if user == self.hostile[0] or user == self.hostile[1]:
                return []  # the owners stay
            return [emu.leave_group(user, group) if present else emu.join_group(user, group)]
        if not present:
            return [emu.join_group(user, group)]
        if kind == "group_press":
            notes = [m.message_id for m in emu.messages(group)]
            if not notes:
                return []
            return [emu.press(user, notes[action[1] % len(notes)], action[3] or "m:menu", chat_id=group)]
        notes = [m.message_id for m in emu.messages(group)]
        reply_to = notes[-1] if action[4] and notes else None
        return [emu.send_text(user, action[3] or "…", chat_id=group, reply_to=reply_to)]

    def play_deferred(self, action: Action) -> list[dict[str, Any]]:
        """Membership changes, after everything else in the batch was handled: blocking the bot while one's
        own updates are still being answered would make those answers fail, which Telegram cannot do."""
        emu = self.emulator
        user = self.person(action[1])
        how = action[2]
        if how == "block" and user not in self.blocked:
            self.blocked.add(user)
            return [emu.block(user)]
        if how == "unblock" and user in self.blocked:
            self.blocked.discard(user)
            return [emu.unblock(user)]
        if how == "regroup":
            group = (SUPERGROUP, GROUP)[action[1] % 2]
            return [emu.remove_bot_from_chat(group), emu.add_bot_to_chat(group, admin=group == GROUP)]
        return []

    async def run(self, updates: list[dict[str, Any]]) -> None:
        """Wait until the bot handled every update the emulator queued for it."""
        delivered = [update for update in updates if self.emulator.queued(update)]
        self.sent += len(delivered)
        self.presses += [u["callback_query"]["id"] for u in delivered if "callback_query" in u]
        await asyncio.gather(*(self.sandbox.processed(update, timeout=60) for update in delivered))

    async def refresh(self) -> None:
        """The determined few's registration as stored now (their SCRIPT steps follow it)."""
        tables = Base.metadata.tables
        users, participants = tables["users"], tables["quiz_participants"]
        determined = [str(user) for user in self.hostile[:DETERMINED]]
        query = select(users.c.platform_user_id, participants).join(participants, participants.c.user_id == users.c.id)
        async with self.sandbox.app.dispatcher["session_factory"]() as session:
            rows = (await session.execute(query.where(users.c.platform_user_id.in_(determined)))).mappings()
            self.registration = {int(row["platform_user_id"]): dict(row) for row in rows}

    async def batch(self, actions: list[Action]) -> None:
        await self.refresh()
        updates: list[dict[str, Any]] = []
        deferred: list[Action] = []
        for action in actions:
            try:
                updates += self.play(action, deferred)
            except (ValueError, LookupError):  # not possible on Telegram in this state: nothing sent
                self.impossible += 1
        await self.run(updates)
        membership: list[dict[str, Any]] = []
        for action in deferred:
            membership += self.play_deferred(action)
        await self.run(membership)

    def check_answers(self) -> None:
        """Every press so far answered exactly once."""
        for user in self.hostile + self.group_only + [v.id for v in self.victims]:
            for answer in self.emulator.callback_answers(user)[self.answers_seen[f"#{user}"] :]:
                self.answers_seen[answer["callback_query_id"]] += 1
                self.answers_seen[f"#{user}"] += 1
        unanswered = [query for query in self.presses if self.answers_seen[query] != 1]
        assert not unanswered, f"{len(unanswered)} presses not answered exactly once"


# ---------------------------------------------------------------- set-up: victims, people, groups


@pytest.fixture
def settings(settings, tmp_path):
    bank = make_bank(tmp_path / "quiz_bank", [contest_yaml(minutes=60, attempts=5)])
    return settings.model_copy(update={"quiz_bank_dir": bank})


@pytest.fixture
async def sandbox(settings):
    running = await Sandbox(settings, allowed_updates=[*EVERY_UPDATE, NEWER_KIND]).start()
    try:
        yield running
    finally:
        await running.stop()


async def _press_prefix(citizen: Citizen, prefix: str, index: int = 0) -> None:
    for message in reversed(citizen.messages):
        buttons = [b for b in message.buttons if b.get("callback_data", "").startswith(prefix)]
        if buttons:
            await citizen.press_data(buttons[index % len(buttons)]["callback_data"], message)
            return
    raise AssertionError(f"no button {prefix!r}: {[m.describe() for m in citizen.messages[-3:]]}")


async def _victim(sandbox: Sandbox, number: int) -> Citizen:
    citizen = sandbox.citizen(language_code=("vi", "en", "th")[number], first_name=f"Victim {number}")
    await citizen.start(payload="unit_tn-ducxuan")
    await citizen.send("/quiz")
    await _press_prefix(citizen, "qz:c")  # consent
    await citizen.send("1990")
    await citizen.send(("Nguyễn Thị Lan", "Lò Văn Cường", "Hà Thị Mai")[number])
    await citizen.share_contact(f"+8491234567{number}")
    await _press_prefix(citizen, "qg:")
    if number < 2:
        await _press_prefix(citizen, "qz:r")  # the contest's rules
        await _press_prefix(citizen, "qz:b")  # start now
        for _ in range(3 if number == 0 else 1):
            await _press_prefix(citizen, "qa:")
        if number == 0:
            await citizen.send("1234")  # the prediction: the attempt is finished
    else:
        await citizen.send("/quiz")
        await _press_prefix(citizen, "qz:p")  # practice, left in progress
        await _press_prefix(citizen, "qa:")
    await citizen.send("/menu")
    await _press_prefix(citizen, "m:guides")
    await _press_prefix(citizen, "gk:", number)
    await _press_prefix(citizen, "go:")
    await _press_prefix(citizen, "gs:")
    return citizen


async def _snapshot(sandbox: Sandbox, user_ids: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to these users, in every table that says whose it is."""
    tables = Base.metadata.tables
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with sandbox.app.dispatcher["session_factory"]() as session:
        users = tables["users"]
        rows = await session.execute(select(users).where(users.c.id.in_(user_ids)).order_by(users.c.id))
        snapshot["users"] = [tuple(row) for row in rows]
        for name in ("quiz_participants", "quiz_attempts", "guide_progress", "guide_events"):
            table = tables[name]
            rows = await session.execute(
                select(table).where(table.c.user_id.in_(user_ids)).order_by(*table.primary_key)
            )
            snapshot[name] = [tuple(row) for row in rows]
        attempts = [
            row[0]
            for row in await session.execute(
                select(tables["quiz_attempts"].c.id).where(tables["quiz_attempts"].c.user_id.in_(user_ids))
            )
        ]
        answers = tables["quiz_answers"]
        rows = await session.execute(select(answers).where(answers.c.attempt_id.in_(attempts)).order_by(answers.c.id))
        snapshot["quiz_answers"] = [tuple(row) for row in rows]
    return snapshot


async def _setup(sandbox: Sandbox) -> World:
    from bot.db.uow import UnitOfWork

    uow = UnitOfWork(sandbox.app.dispatcher["session_factory"], stores())
    await import_units(uow, (ROOT / "data" / "units" / "thai-nguyen-2025.csv").read_text(encoding="utf-8"))
    await uow.close()
    victims = [await _victim(sandbox, number) for number in range(3)]
    emu = sandbox.emulator
    hostile = list(range(900_001, 900_001 + HOSTILE))
    group_only = list(range(910_001, 910_001 + GROUP_ONLY))
    languages = ("vi", "en", "th", None, "zz", "ar-EG")
    for index, user_id in enumerate(hostile):
        emu.add_user(user_id, f"Hostile {index}", language_code=languages[index % len(languages)], started=True)
    for index, user_id in enumerate(group_only):
        emu.add_user(user_id, f"Member {index}", language_code=languages[index % len(languages)])
    emu.add_group(SUPERGROUP, "Thôn Bản Vàng", owner=hostile[0], members=hostile[2:] + group_only)
    emu.add_group(GROUP, "Hội phụ nữ", owner=hostile[1], members=hostile[2:] + group_only, type="group")
    emu.add_channel(CHANNEL, "Tin xã", owner=hostile[2])
    world = World(sandbox, victims, hostile, group_only, victim_attempts=[])
    await world.run(
        [emu.add_bot_to_chat(SUPERGROUP), emu.add_bot_to_chat(GROUP, admin=True), emu.add_bot_to_chat(CHANNEL)]
    )
    async with sandbox.app.dispatcher["session_factory"]() as session:
        attempts = Base.metadata.tables["quiz_attempts"]
        world.victim_attempts = [row[0] for row in await session.execute(select(attempts.c.id))]
    assert len(world.victim_attempts) == 3
    return world


async def _reached(sandbox: Sandbox) -> str:
    """How deep the generated people went: what they stored by their own valid updates."""
    tables = Base.metadata.tables
    counts = []
    async with sandbox.app.dispatcher["session_factory"]() as session:
        for name in ("users", "quiz_participants", "quiz_attempts", "quiz_answers", "guide_progress", "guide_events"):
            counts.append(f"{name} {await session.scalar(select(func.count()).select_from(tables[name]))}")
        phones = tables["quiz_participants"].c.phone
        counts.append(f"with phone {await session.scalar(select(func.count()).where(phones.is_not(None)))}")
        years = tables["quiz_participants"].c.birth_year
        counts.append(f"with birth year {await session.scalar(select(func.count()).where(years.is_not(None)))}")
        attempts = tables["quiz_attempts"]
        rows = await session.execute(
            select(attempts.c.mode, attempts.c.status, func.count()).group_by(attempts.c.mode, attempts.c.status)
        )
        counts += [f"{mode} {status} {count}" for mode, status, count in rows]
    return "reached: " + ", ".join(counts)


def _replies(emulator: BotAPIEmulator, chat_id: int) -> int:
    return sum(1 for event in emulator.events(chat_id) if event.kind in ("sent", "edited"))


# ---------------------------------------------------------------- the fuzz


async def test_thousands_of_hostile_updates_change_nothing_and_break_nothing(sandbox: Sandbox) -> None:
    world = await _setup(sandbox)
    emu = sandbox.emulator
    victim_ids = [v.id for v in world.victims]
    async with sandbox.app.dispatcher["session_factory"]() as session:
        users = Base.metadata.tables["users"]
        rows = await session.execute(
            select(users.c.id).where(users.c.platform_user_id.in_([str(v) for v in victim_ids]))
        )
        victim_rows = [row[0] for row in rows]
    before = await _snapshot(sandbox, victim_rows)
    victim_events = {victim: _replies(emu, victim) for victim in victim_ids}
    emu.stats.reset()
    captured = Captured()
    logging.getLogger().addHandler(captured)
    loop = asyncio.get_running_loop()
    started = time.monotonic()

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # the bot's state carries over from batch to batch: shrinking would not replay
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(st.lists(_actions(), min_size=BATCH, max_size=BATCH))
    def batch(actions: list[Action]) -> None:
        asyncio.run_coroutine_threadsafe(played(actions), loop).result(timeout=300)

    async def played(actions: list[Action]) -> None:  # on the bot's event loop, like everything the bot touches
        await world.batch(actions)
        problems = [captured.format(record) for record in captured.records]
        assert not problems, problems[:5]
        world.check_answers()
        refused = {status: count for status, count in emu.stats.statuses.items() if status != 200}
        assert not refused, (refused, dict(emu.stats.errors))

    fuzz = seed(int(os.environ["FUZZ_SEED"]))(batch) if "FUZZ_SEED" in os.environ else batch
    try:
        await asyncio.to_thread(fuzz)
    finally:
        logging.getLogger().removeHandler(captured)
    seconds = time.monotonic() - started
    print(
        f"\nfuzz: {world.sent} updates handled in {seconds:.0f} s, {len(world.presses)} presses, "
        f"{world.impossible} impossible actions skipped"
    )
    print(await _reached(sandbox))
    assert world.sent >= MIN_UPDATES

    # The victims: exactly as before, and nothing more was sent to their chats.
    assert await _snapshot(sandbox, victim_rows) == before
    assert {victim: _replies(emu, victim) for victim in victim_ids} == victim_events
    # Everyone's chat is their own private chat; people only ever in groups have no record.
    async with sandbox.app.dispatcher["session_factory"]() as session:
        users = Base.metadata.tables["users"]
        rows = list(await session.execute(select(users.c.platform_user_id, users.c.chat_id)))
    assert rows and all(platform_user_id == chat_id for platform_user_id, chat_id in rows)
    recorded = {int(platform_user_id) for platform_user_id, _ in rows}
    assert not recorded & set(world.group_only)
    assert recorded <= set(victim_ids) | set(world.hostile)
