"""Settings read from the environment (and a local .env file)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
_ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")
_RATE = re.compile(r"[1-9][0-9]{0,6}\s*/\s*(second|minute|hour|day)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = Field(default=None, description="Telegram bot token; empty starts the local sandbox")
    bot_api_url: str | None = Field(
        default=None, description="Base URL of a Bot API server (self-hosted or the emulator)"
    )
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'data' / 'bot.db'}"
    # PostgreSQL connections kept open per bot process (SQLite always uses one).
    database_pool_size: int = Field(default=30, ge=1, le=500)
    # Seconds a statement waits for a pooled connection before it fails.
    database_pool_timeout: float = Field(default=30.0, gt=0, le=600)
    # Updates handled at once per process; the others wait their turn. Default: DATABASE_POOL_SIZE, so that
    # a burst waits for a slot instead of failing for want of a database connection.
    max_concurrent_updates: int | None = Field(default=None, ge=1, le=10_000)
    redis_url: str | None = None
    redis_prefix: str = "citizen"
    admin_ids: list[int] = Field(default_factory=list)
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    procedures_dir: Path = ROOT / "procedures"
    quiz_bank_dir: Path = ROOT / "quiz_bank"
    quiz_sweep_seconds: float = Field(default=30, description="How often attempts past their deadline are closed")
    # `content check` warns when a guide, question bank or contest was last reviewed longer ago than this.
    content_review_max_age_days: int = Field(default=180, ge=1)
    # Open the demo contest (quiz_bank/contests with `demo: true`) in a short rolling window; the sandbox sets it.
    demo_contests: bool = False
    locales_dir: Path = ROOT / "bot" / "locales"
    province_hotline: str = ""
    # A guide left untouched this long counts as abandoned in the funnel.
    guide_abandon_after_minutes: int = Field(default=60, ge=1)
    # Messages the bot sends on its own (announcements, quiz results): Telegram allows about 30 a second in all,
    # and the replies in conversations need their share. A paid rate (up to 1,000 a second, paid in Stars above the
    # free rate) sends with allow_paid_broadcast; 0 is off.
    delivery_rate: float = Field(default=25, gt=0, le=1000)
    delivery_paid_rate: int = Field(default=0, ge=0, le=1000)
    # Sends let through at once after the sender fell behind (a busy moment); keep rate + burst under the limit.
    delivery_burst: int = Field(default=1, ge=1, le=100)
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)  # tries after server errors or network failures
    delivery_backoff_seconds: float = Field(default=2.0, gt=0)  # first wait after such a failure; doubles
    delivery_lease_seconds: float = Field(default=30, gt=0)  # a process silent this long lost what it claimed
    delivery_poll_seconds: float = Field(default=1.0, gt=0)  # how often work queued by other processes is seen
    # Announcements wait while it is quiet (in TIMEZONE); a citizen's own notices and urgent ones do not. "off": none.
    quiet_hours: str = "21:00-07:00"
    # An official's progress message is edited at most this often while their broadcast is sent.
    broadcast_progress_seconds: float = Field(default=5, gt=0)
    # Webhook mode (`python -m bot webhook`): several processes behind one public URL.
    webhook_url: str | None = Field(default=None, description="Public base URL Telegram posts updates to")
    webhook_path: str = "/telegram"
    webhook_secret: str | None = Field(default=None, description="Checked on every update Telegram posts")
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8081
    # Channels other than Telegram (Zalo, the web chat) are served here in polling mode; in webhook mode they share
    # the webhook server (WEBHOOK_HOST/PORT). 0: any free port.
    channels_host: str = "127.0.0.1"
    channels_port: int = Field(default=8082, ge=0, le=65535)
    # Zalo Official Account (bot/channels/zalo): on when ZALO_APP_ID and ZALO_OA_SECRET are set.
    zalo_app_id: str | None = Field(default=None, description="The Zalo app's id (developers.zalo.me)")
    zalo_oa_secret: str | None = Field(default=None, description="The OA secret key: checks every webhook event")
    zalo_app_secret: str | None = Field(default=None, description="The app's secret key: refreshes access tokens")
    zalo_oa_id: str | None = Field(default=None, description="The OA's own id: its echoed sends are dropped")
    # The first tokens (from the OA's authorisation); afterwards the bot keeps refreshed ones in the database.
    zalo_access_token: str | None = None
    zalo_refresh_token: str | None = None
    zalo_api_url: str = "https://openapi.zalo.me"  # the emulator's address in the sandbox and tests
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_webhook_path: str = "/zalo"
    zalo_token_margin_seconds: float = Field(default=300, ge=0, le=3000)  # refresh this long before expiry
    zalo_rate: float = Field(default=10, gt=0, le=1000)  # messages a second the delivery room sends to Zalo
    zalo_api_timeout: float = Field(default=10.0, gt=0, le=120)
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8080
    # Operations (bot.ops): /healthz, /readyz and /metrics on a server of their own, in polling mode; off
    # unless OPS_PORT is set (the webhook server serves them anyway).
    ops_host: str = "127.0.0.1"
    ops_port: int | None = Field(default=None, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"
    # On SIGTERM: how long the updates in flight may take to finish before the process exits anyway.
    shutdown_drain_seconds: float = Field(default=25.0, ge=0, le=600)
    # Bot API calls: seconds before one times out, and how many more attempts after a 5xx or a timeout.
    bot_api_timeout: float = Field(default=20.0, gt=0, le=300)
    bot_api_retries: int = Field(default=2, ge=0, le=10)
    # The web chat (bot/channels/web): a chat page on the bot's own web server, to open or embed on a portal.
    web_chat_enabled: bool = False
    # Signs the session cookies and file links; every process must have the same one. Empty: the sandbox makes
    # one up at start (sessions then end at a restart); `run` and `webhook` refuse to start the web chat without.
    web_chat_secret: str | None = Field(default=None, min_length=32)
    web_chat_path: str = Field(default="/chat", pattern=r"^/[A-Za-z0-9_-]+$")
    # The address citizens reach, e.g. https://chat.example.gov.vn (shown in the embedding snippet).
    web_chat_public_url: str | None = None
    # Portals that may show the chat in a frame (CSP frame-ancestors), e.g. https://thainguyen.gov.vn,
    # https://*.thainguyen.gov.vn; empty: only the chat's own pages.
    web_chat_embed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Requests allowed per browser session, per address, and new sessions per address ("N/second|minute|hour").
    web_chat_rate_session: str = "40/minute"
    web_chat_rate_address: str = "600/minute"
    web_chat_rate_new_sessions: str = "60/hour"
    web_chat_file_link_minutes: float = Field(default=10, gt=0, le=24 * 60)
    web_chat_history_days: int = Field(default=30, ge=1)  # messages and files older than this are deleted
    # Cookies only over HTTPS (and usable inside a portal's frame: SameSite=None; Partitioned). Off for plain
    # http on one's own machine (the sandbox).
    web_chat_cookie_secure: bool = True
    # Behind a reverse proxy: take the citizen's address from the last X-Forwarded-For entry it adds.
    web_chat_trust_proxy: bool = False

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # ADMIN_IDS=1,2,3 is friendlier in a .env file than a JSON list.
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("web_chat_embed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):  # WEB_CHAT_EMBED_ORIGINS=https://a.gov.vn,https://b.gov.vn
            return [part for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("web_chat_embed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        # They go into a response header: only scheme://host[:port], with an optional "*." before the host.
        for origin in value:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"not an origin like https://portal.example.gov.vn: {origin!r}")
        return value

    @field_validator("web_chat_rate_session", "web_chat_rate_address", "web_chat_rate_new_sessions")
    @classmethod
    def _rate(cls, value: str) -> str:
        if not _RATE.fullmatch(value.strip()):
            raise ValueError(f"not a rate like 30/minute: {value!r}")
        return value.strip()

    @field_validator(
        "web_chat_secret",
        "web_chat_public_url",
        "bot_token",
        "bot_api_url",
        "redis_url",
        "webhook_url",
        "webhook_secret",
        "ops_port",
        "max_concurrent_updates",
        "zalo_app_id",
        "zalo_oa_secret",
        "zalo_app_secret",
        "zalo_oa_id",
        "zalo_access_token",
        "zalo_refresh_token",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from bot.delivery.quiet import QuietHours

        QuietHours.parse(value, "UTC")  # raises on a malformed span
        return value

    def today(self) -> date:
        """Today in the configured time zone (review ages are counted in days)."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def concurrent_updates(self) -> int:
        """MAX_CONCURRENT_UPDATES, or as many as the database pool serves at once."""
        return self.max_concurrent_updates or self.database_pool_size

    @property
    def delivery_channels(self) -> tuple[str, ...]:
        """The messengers the bot reaches citizens on (announcements go to citizens of these): Telegram, and every
        other channel whose settings are given."""
        from bot.domain.platforms import TELEGRAM, WEB, ZALO

        channels = [TELEGRAM]
        if self.zalo_app_id and self.zalo_oa_secret:
            channels.append(ZALO)
        if self.web_chat_enabled:
            channels.append(WEB)
        return tuple(channels)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
