"""Zalo webhook events as the core's inbound events (bot.channels.base).

    user_send_text            Text; or Press when the text is a query button's payload ("zb:<screen>:<data>")
    user_submit_info          Contact (the name and phone the citizen agreed to share after request_user_info)
    follow / unfollow         Membership
    user_send_image/sticker/  Other (answered as something the bot does not read)
    file/location/link/audio/
    gif/video
    oa_send_*                 dropped: the OA's own sends, echoed
    user_received_message,    dropped: receipts are not a citizen's turn
    user_seen_message, …

Every id stays a string (Zalo's are longer than 2^53).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.channels.base import ChannelUser, Contact, Inbound, Membership, Other, Press, Text
from bot.domain.platforms import ZALO

# A query button's payload: the screen its message belongs to, then the button's own data.
PRESS = re.compile(r"^zb:(\d{1,18}):(.{1,64})$", re.DOTALL)
OTHER_KINDS = {
    "user_send_image": "image",
    "user_send_sticker": "sticker",
    "user_send_file": "file",
    "user_send_location": "location",
    "user_send_link": "link",
    "user_send_audio": "audio",
    "user_send_gif": "gif",
    "user_send_video": "video",
    "user_send_business_card": "card",
}


def press_payload(screen_id: int, data: str) -> str:
    return f"zb:{screen_id}:{data}"


@dataclass(frozen=True, slots=True)
class Received:
    """What the webhook stores of an event: its key for deduplication, and the raw body."""

    key: str
    name: str


def _id(part: Any) -> str | None:
    if isinstance(part, dict):
        value = part.get("id")
        return None if value is None else str(value)
    return None


def key_of(event: dict[str, Any]) -> str:
    """Zalo's message id when the event has one; otherwise its name, sender and timestamp (a retried event keeps
    all three)."""
    message = event.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    name = str(event.get("event_name", ""))
    if msg_id:
        return f"{name}:{msg_id}"
    who = _id(event.get("sender")) or _id(event.get("follower")) or ""
    return f"{name}:{who}:{event.get('timestamp', '')}"


def parse_body(body: str) -> dict[str, Any] | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def inbound(event: dict[str, Any], oa_id: str | None = None) -> Inbound | None:
    """The core's event for a Zalo event; None for what is not a citizen's turn (echoes, receipts, unknown)."""
    name = str(event.get("event_name", ""))
    if name.startswith("oa_send") or name in {"user_received_message", "user_seen_message", "user_reacted_message"}:
        return None
    if name in {"follow", "unfollow"}:
        follower = _id(event.get("follower"))
        if follower is None:
            return None
        return Membership(_who(follower), reachable=name == "follow")
    sender = _id(event.get("sender"))
    if sender is None or (oa_id is not None and sender == oa_id):
        return None  # the OA itself
    who = _who(sender)
    if name == "user_send_text":
        message = event.get("message")
        text = str(message.get("text", "")) if isinstance(message, dict) else ""
        pressed = PRESS.match(text)
        if pressed is not None:
            return Press(who, pressed.group(2), int(pressed.group(1)))
        return Text(who, text)
    if name == "user_submit_info":
        info = event.get("info") if isinstance(event.get("info"), dict) else {}
        assert isinstance(info, dict)
        phone = str(info.get("phone", "") or "")
        return Contact(who, phone, str(info.get("name", "") or "")) if phone else Other(who, "info")
    kind = OTHER_KINDS.get(name)
    return Other(who, kind) if kind else None


def _who(user_id: str) -> ChannelUser:
    # Zalo says nothing of the citizen's language: the bot's default (Vietnamese) until they choose.
    return ChannelUser(ZALO, user_id, user_id)
