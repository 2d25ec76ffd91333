"""The OA's access token, kept fresh; its refresh token is single-use, so exactly one process spends it.

The tokens live in channel_tokens (one row per channel). A process that finds the access token about to expire
(or refused) takes a lease on the row — an UPDATE that succeeds only while the tokens are at the version it read
and nobody else holds the lease — spends the refresh token, and stores the new pair (version + 1) with the lease
dropped. Every other process, and every other task of this one, waits for the version to move and reads the new
token. Nothing holds a transaction open across the call to Zalo. A process that dies holding the lease loses it
when the lease ends; if it died after Zalo took the refresh token, the next refresh is refused and the log says
the OA must be authorised again (README: connecting an OA).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.channels.zalo.api import ZaloAPI, ZaloError
from bot.domain.channels import CHANNELS, Tokens
from bot.domain.clock import utcnow
from bot.domain.ports import Work

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
WAIT_STEP = 0.05
FIRST_TOKEN_LIFETIME = timedelta(hours=1)


class TokensMissing(RuntimeError):
    pass


class TokenService:
    def __init__(
        self,
        channel: str,
        api: ZaloAPI,
        app_id: str,
        app_secret: str,
        work: Callable[[], Work],
        seed_access: str | None,
        seed_refresh: str | None,
        margin_seconds: float = 300,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.channel = channel
        self._api = api
        self._app_id = app_id
        self._app_secret = app_secret
        self._work = work
        self._seed = (seed_access, seed_refresh)
        self._margin = timedelta(seconds=margin_seconds)
        self._clock = clock
        self._cached: Tokens | None = None
        self._local = asyncio.Lock()
        self.refreshes = 0  # refresh tokens this process spent (for tests and metrics)

    async def _load(self) -> Tokens | None:
        uow = self._work()
        try:
            async with uow:
                tokens = await uow[CHANNELS].tokens(self.channel)
                if tokens is None and self._seed[0] and self._seed[1]:
                    now = self._clock()
                    await uow[CHANNELS].tokens_seed(
                        Tokens(self.channel, self._seed[0], self._seed[1], now + FIRST_TOKEN_LIFETIME, None, None, 0)
                    )
                    await uow.commit()
                    tokens = await uow[CHANNELS].tokens(self.channel)
        finally:
            await uow.close()
        return tokens

    async def access_token(self) -> str:
        tokens = self._cached
        if tokens is None or tokens.access_expires_at - self._margin <= self._clock():
            tokens = await self._load()
            if tokens is None:
                raise TokensMissing("no Zalo tokens: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
            if tokens.access_expires_at - self._margin <= self._clock():
                tokens = await self.refresh(tokens.version)
            self._cached = tokens
        return tokens.access_token

    async def refresh(self, seen_version: int | None = None) -> Tokens:
        """New tokens, refreshed by this process or another; `seen_version`: the version whose access token
        expired or was refused (None: the stored one)."""
        async with self._local:
            for _ in range(int((LEASE_SECONDS + 5) / WAIT_STEP)):  # bounded: a lease ends by then
                tokens = await self._load()
                if tokens is None:
                    raise TokensMissing("no Zalo tokens: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
                version = tokens.version if seen_version is None else seen_version
                if tokens.version != version:  # somebody refreshed meanwhile
                    self._cached = tokens
                    return tokens
                now = self._clock()
                if await self._lease(version, now):
                    fresh = await self._spend(tokens)
                    self._cached = fresh
                    return fresh
                await asyncio.sleep(WAIT_STEP)
        raise TimeoutError("the Zalo tokens stayed leased by another process")

    async def _lease(self, version: int, now: datetime) -> bool:
        uow = self._work()
        try:
            async with uow:
                taken = await uow[CHANNELS].tokens_lease(
                    self.channel, version, now + timedelta(seconds=LEASE_SECONDS), now
                )
                await uow.commit()
        finally:
            await uow.close()
        return taken

    async def _spend(self, tokens: Tokens) -> Tokens:
        try:
            refreshed = await self._api.refresh(self._app_id, self._app_secret, tokens.refresh_token)
        except BaseException as error:
            uow = self._work()
            try:
                async with uow:
                    await uow[CHANNELS].tokens_release(self.channel)
                    await uow.commit()
            finally:
                await uow.close()
            if isinstance(error, ZaloError):
                log.error("Zalo refused to refresh the OA's tokens (%s): authorise the OA again", error)
            raise
        self.refreshes += 1
        fresh = Tokens(
            self.channel,
            refreshed.access_token,
            refreshed.refresh_token,
            refreshed.access_expires_at,
            refreshed.refresh_expires_at,
            None,
            tokens.version + 1,
        )
        uow = self._work()
        try:
            async with uow:
                stored = await uow[CHANNELS].tokens_store(fresh, tokens.version)
                await uow.commit()
        finally:
            await uow.close()
        if not stored:  # cannot happen while the lease holds; say so loudly if it does
            log.error("refreshed Zalo tokens could not be stored: the version moved under the lease")
        log.info("Zalo access token refreshed (version %d)", fresh.version)
        return fresh
