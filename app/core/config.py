"""Settings read from the environment (and an optional `.env`), validated once at start."""

from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, case-insensitive."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./lab_registry.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db.",
    )
    db_pool_size: int = Field(
        default=20,
        ge=1,
        description="Connections kept open per worker: more than one worker's CPU can keep busy (bench/lists.py), "
        "and 4 workers stay under PostgreSQL's default 100 connections.",
    )
    db_max_overflow: int = Field(
        default=0,
        ge=0,
        description="Extra connections allowed under bursts; each is closed once returned, so a steady load above "
        "the pool size would open and close one per request: by default requests wait for a pooled one instead.",
    )
    sqlite_readers: int = Field(
        default=2,
        ge=1,
        description="On SQLite, the connections list pages are read and API keys looked up on, apart from the pool: "
        "each is a thread, and past one per core the threads' contention for the interpreter costs more than they "
        "read (bench/lists.py, 2 cores: 4 readers 440 pages/s, 2 readers 540).",
    )
    db_pool_timeout_seconds: float = Field(
        default=10, gt=0, description="How long a request waits for a free pooled connection before failing."
    )
    db_statement_timeout_seconds: float = Field(
        default=60,
        gt=0,
        description="On PostgreSQL, the longest a statement may run before the server cancels it (503 Retry-After); "
        "migrations run without it.",
    )
    export_pool_size: int = Field(
        default=3,
        ge=1,
        description="Connections per worker that exports (CSV, JSON Lines, iCalendar, GeoJSON, SCDL) read on, apart "
        "from the API's: each is held only while a chunk of rows is read.",
    )
    max_concurrent_exports: int = Field(
        default=8,
        ge=1,
        description="Exports one worker streams at once; beyond, 503 with Retry-After at once.",
    )
    fast_lists: bool = Field(
        default=True,
        description="Answer the GETs of top-level lists by the fast path (see docs/architecture.md); off sends them "
        "through FastAPI's routing, with the same answers (a debugging switch).",
    )
    db_pool_recycle_seconds: int = Field(
        default=1800, ge=-1, description="Reopen a pooled connection older than this (-1: never); outlives idle cuts."
    )
    db_connect_timeout_seconds: float = Field(
        default=5, gt=0, description="How long opening a PostgreSQL connection may take (fail fast in an outage)."
    )
    ready_timeout_seconds: float = Field(
        default=2, gt=0, description="How long GET /ready waits for the database before answering 503."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="json: one JSON object per line (production); console: readable (development)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe level logged (DEBUG, INFO, WARNING, ERROR)."
    )
    db_echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, description="How long SQLite waits for a lock.")
    public_reads: bool = Field(default=True, description="Reads need no key; false makes every read need one.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body (413 beyond).")
    max_import_bytes: int = Field(
        default=1_073_741_824, ge=1024, description="Largest body for /api/v1/imports (bulk files)."
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=1, description="How long an Idempotency-Key is remembered; after that it counts as new."
    )
    idempotency_abandoned_seconds: int = Field(
        default=60,
        ge=1,
        description="An unanswered Idempotency-Key whose request has not committed after this long is taken for "
        "abandoned (its worker died): a retry runs the request again. Should the first still be running, it is "
        "refused at its commit, so the request is applied once.",
    )
    webhook_allow_private_urls: bool = Field(
        default=False,
        description="Allow webhook targets on private, loopback or link-local addresses (tests, closed networks).",
    )
    webhooks_in_serve: bool = Field(
        default=False,
        description="Run the webhook dispatcher inside `serve` (each worker) besides `lab-registry worker`.",
    )
    webhook_max_attempts: int = Field(default=10, ge=1, description="Attempts before a delivery is marked failed.")
    webhook_backoff_base_seconds: float = Field(
        default=5, gt=0, description="Wait after the first failed attempt; doubled at each further one (with jitter)."
    )
    webhook_backoff_max_seconds: float = Field(default=3600, gt=0, description="Longest wait between two attempts.")
    webhook_timeout_seconds: float = Field(default=10, gt=0, description="How long a target gets to answer.")
    webhook_poll_seconds: float = Field(default=1, gt=0, description="How often the dispatcher looks for work.")
    public_base_url: str | None = Field(
        default=None,
        description="The origin clients reach the API at (`https://registry.example.gouv.fr`: scheme, host, port), "
        "which `Link` and `Location` are built on; unset, they use the request's Host when it is in ALLOWED_HOSTS, "
        "else they are relative.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Host names whose requests get absolute `Link` and `Location` on their own Host, comma-separated.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS, comma-separated; empty turns CORS off."
    )
    max_import_line_chars: int = Field(
        default=1_048_576,
        ge=1024,
        description="Longest line, or CSV record (quoted line breaks included), of an imported file in characters; "
        "a longer one refuses the file (422 naming the line) as soon as it is read.",
    )
    max_header_bytes: int = Field(
        default=32_768,
        ge=4096,
        description="Largest request line and headers together (`serve` answers 431 beyond, and closes).",
    )

    @field_validator("public_base_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/") or parts.query:
            raise ValueError("give the origin only: scheme, host and port (https://registry.example.gouv.fr)")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("cors_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def is_sqlite(self) -> bool:
        """SQLite needs pragmas, a single writer and no server-side pool settings."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
