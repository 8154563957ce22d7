"""Run the Alembic chain from code (CLI, tests) against a given database URL.

Alembic is configured here, not by an alembic.ini: an installed package has none. The chain's files are found
inside the package (a wheel ships the repository's migrations/ as app/migrations), else beside it in a checkout.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_PACKAGE = Path(__file__).resolve().parents[1]
_PACKAGED = _PACKAGE / "migrations"
SCRIPT_LOCATION = _PACKAGED if _PACKAGED.is_dir() else _PACKAGE.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, pointed at `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.set_main_option("timezone", "UTC")
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
