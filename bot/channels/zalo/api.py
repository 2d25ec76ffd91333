"""The Zalo OA Open API, as far as the bot uses it: consultation messages, uploads, and the OAuth refresh.

Every answer of the Open API is JSON with `error` (0: success) and `message`; a refusal is raised as ZaloError
with Zalo's code, which bot/channels/zalo/errors.py sorts into the delivery room's Outcomes. Ids stay strings.
aiohttp is the HTTP client (aiogram depends on it already, so it adds nothing to the install).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.domain.clock import utcnow

log = logging.getLogger(__name__)

MESSAGE_CS = "/v3.0/oa/message/cs"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
UPLOAD_FILE = "/v2.0/oa/upload/file"
OAUTH_REFRESH = "/v4/oa/access_token"


class ZaloError(Exception):
    def __init__(self, code: int, message: str, status: int = 200) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Refreshed:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime | None


class ZaloAPI:
    def __init__(self, api_url: str, oauth_url: str, timeout: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @staticmethod
    async def _answer(response: aiohttp.ClientResponse) -> dict[str, Any]:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ZaloError(-1, f"HTTP {response.status}: not JSON", response.status)
        if response.status >= 500:
            raise ZaloError(int(body.get("error", -1) or -1), str(body.get("message", "")), response.status)
        code = int(body.get("error", 0) or 0)
        if code != 0:
            raise ZaloError(code, str(body.get("message") or body.get("error_name") or ""), response.status)
        return body

    async def send(self, access_token: str, user_id: str, message: dict[str, Any]) -> str:
        """Send one consultation message; Zalo's message id."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        async with self._http().post(
            self.api_url + MESSAGE_CS, json=body, headers={"access_token": access_token}
        ) as response:
            answer = await self._answer(response)
        return str((answer.get("data") or {}).get("message_id", ""))

    async def upload(self, access_token: str, kind: str, filename: str, data: bytes) -> str:
        """Upload an image (JPEG/PNG ≤ 1 MB: its attachment_id) or a file (PDF/DOC/DOCX ≤ 5 MB: its token)."""
        form = aiohttp.FormData()
        form.add_field("file", data, filename=filename)
        path = UPLOAD_IMAGE if kind == "photo" else UPLOAD_FILE
        async with self._http().post(
            self.api_url + path, data=form, headers={"access_token": access_token}
        ) as response:
            answer = await self._answer(response)
        payload = answer.get("data") or {}
        return str(payload.get("attachment_id") or payload.get("token") or "")

    async def refresh(self, app_id: str, app_secret: str, refresh_token: str) -> Refreshed:
        """Spend the refresh token (single-use) for a new access token and a new refresh token."""
        form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}
        async with self._http().post(
            self.oauth_url + OAUTH_REFRESH, data=form, headers={"secret_key": app_secret}
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        if not isinstance(body, dict) or "access_token" not in body:
            error = body if isinstance(body, dict) else {}
            raise ZaloError(int(error.get("error", -1) or -1), str(error.get("error_name") or error or "no token"))
        now = utcnow()
        refresh_seconds = body.get("refresh_token_expires_in")
        return Refreshed(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            access_expires_at=now + timedelta(seconds=float(body.get("expires_in", 3600))),
            refresh_expires_at=now + timedelta(seconds=float(refresh_seconds)) if refresh_seconds else None,
        )
