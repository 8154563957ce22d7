"""Settings read from the environment (and an optional `.env`), validated once at start."""

from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./lab_registry.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="Connections kept open per worker (PostgreSQL).")
    db_max_overflow: int = Field(default=10, ge=0, description="Extra connections allowed under bursts.")
    db_echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, description="How long SQLite waits for a lock.")
    public_reads: bool = Field(default=True, description="Reads need no key; false makes every read need one.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body (413 beyond).")
    max_import_bytes: int = Field(
        default=1_073_741_824, ge=1024, description="Largest body for /api/v1/imports (bulk files)."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS, comma-separated; empty turns CORS off."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        """SQLite needs pragmas, a single writer and no server-side pool settings."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
