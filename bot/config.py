"""Settings read from the environment (and a local .env file)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str | None = Field(default=None, description="Telegram bot token; empty starts the local sandbox")
    bot_api_url: str | None = Field(default=None, description="Base URL of a Bot API server (self-hosted or the emulator)")
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'data' / 'bot.db'}"
    # PostgreSQL connections kept open per bot process (SQLite always uses one).
    database_pool_size: int = Field(default=30, ge=1, le=500)
    redis_url: str | None = None
    redis_prefix: str = "citizen"
    admin_ids: list[int] = Field(default_factory=list)
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    procedures_dir: Path = ROOT / "procedures"
    quiz_bank_dir: Path = ROOT / "quiz_bank"
    quiz_sweep_seconds: float = Field(default=30, description="How often attempts past their deadline are closed")
    locales_dir: Path = ROOT / "bot" / "locales"
    province_hotline: str = ""
    # A guide left untouched this long counts as abandoned in the funnel.
    guide_abandon_after_minutes: int = Field(default=60, ge=1)
    # Webhook mode (`python -m bot webhook`): several processes behind one public URL.
    webhook_url: str | None = Field(default=None, description="Public base URL Telegram posts updates to")
    webhook_path: str = "/telegram"
    webhook_secret: str | None = Field(default=None, description="Checked on every update Telegram posts")
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8081
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8080

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # ADMIN_IDS=1,2,3 is friendlier in a .env file than a JSON list.
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("bot_token", "bot_api_url", "redis_url", "webhook_url", "webhook_secret", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
