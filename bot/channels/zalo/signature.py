"""The webhook's signature: `X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp + OA secret)>`.

A plain SHA-256 of the concatenation (not an HMAC), as Zalo's documentation and the integrations that check it
describe; `timestamp` is the event's own field. Compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json

HEADER = "X-ZEvent-Signature"


def mac(app_id: str, body: str, timestamp: str, secret: str) -> str:
    return hashlib.sha256(f"{app_id}{body}{timestamp}{secret}".encode()).hexdigest()


def header_value(app_id: str, body: str, timestamp: str, secret: str) -> str:
    return f"mac={mac(app_id, body, timestamp, secret)}"


def timestamp_of(body: str) -> str | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    value = event.get("timestamp") if isinstance(event, dict) else None
    return None if value is None else str(value)


def valid(header: str | None, app_id: str, body: str, secret: str) -> bool:
    if not header or not header.startswith("mac="):
        return False
    timestamp = timestamp_of(body)
    if timestamp is None:
        return False
    return hmac.compare_digest(header.removeprefix("mac=").strip().lower(), mac(app_id, body, timestamp, secret))
