"""Run the Alembic chain from code (CLI, tests) against a given database URL."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, pointed at `database_url`."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def pending_migrations(engine: AsyncEngine) -> bool:
    """Whether the database is behind the code's migration head (or not migrated at all)."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False))).get_heads())
    async with engine.connect() as connection:
        return await connection.run_sync(_current_heads) != heads
