"""Who a browser is, what it may fetch, and how often it may ask: signed cookies, signed file links, rate limits.

- A web citizen is a random session id in a cookie signed with WEB_CHAT_SECRET (itsdangerous): a browser that
  comes without one, or with one that does not verify, is a new visitor and gets a new id; the same cookie on
  the same device is the same citizen. The id is never derived from anything the browser says.
- A file is fetched through a link that carries its number signed with a time stamp: it opens for
  WEB_CHAT_FILE_LINK_MINUTES, without the cookie (a link opened in a new tab from an embedded chat does not get
  the embedded chat's cookie), and the page asks for fresh links whenever it loads the history.
- Rate limits (the `limits` library; in Redis when REDIS_URL is set, so every process counts together): per
  session, per address, and new sessions per address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

SESSION_SALT = "web-chat-session"
FILE_SALT = "web-chat-file"


def new_session_id() -> str:
    """A new citizen's id: 24 random bytes, URL-safe (32 characters, within users.platform_user_id)."""
    return secrets.token_urlsafe(24)


class SessionCookies:
    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, salt=SESSION_SALT)

    def sign(self, session_id: str) -> str:
        return self._signer.sign(session_id).decode()

    def read(self, value: str | None) -> str | None:
        """The session id of a cookie, or None when there is none or it does not verify."""
        if not value or len(value) > 200:
            return None
        try:
            session_id = self._signer.unsign(value).decode()
        except (BadSignature, UnicodeDecodeError):
            return None
        return session_id if 16 <= len(session_id) <= 64 else None


class FileLinks:
    def __init__(self, secret: str, minutes: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=FILE_SALT)
        self._max_age = max(1, round(minutes * 60))

    def token(self, file_id: int) -> str:
        return self._serializer.dumps(file_id)

    def file_id(self, token: str) -> int | None:
        """The file a link names while it is valid; None when it is forged or expired."""
        if len(token) > 200:
            return None
        try:
            value = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is one
            return None
        return value if isinstance(value, int) and value > 0 else None


@dataclass(frozen=True, slots=True)
class Limits:
    per_session: str  # e.g. "30/minute"
    per_address: str
    new_sessions_per_address: str


class RateLimits:
    def __init__(self, limits: Limits, redis_url: str | None = None, prefix: str = "citizen") -> None:
        storage: Storage
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = RedisStorage(uri, implementation="redispy", key_prefix=f"{prefix}:web-limits")
        else:
            storage = MemoryStorage()
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._session: RateLimitItem = parse(limits.per_session)
        self._address: RateLimitItem = parse(limits.per_address)
        self._new: RateLimitItem = parse(limits.new_sessions_per_address)

    async def allow(self, session_id: str, address: str) -> bool:
        """Count one request of this session from this address: False when either is over its limit."""
        by_address = await self._limiter.hit(self._address, "address", address)
        by_session = await self._limiter.hit(self._session, "session", session_id)
        return by_address and by_session

    async def allow_read(self, address: str) -> bool:
        """Reading the log (the page's long polls) counts against the address only."""
        return await self._limiter.hit(self._address, "address", address)

    async def allow_new_session(self, address: str) -> bool:
        return await self._limiter.hit(self._new, "new", address)
