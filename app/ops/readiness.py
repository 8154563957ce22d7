"""Whether this worker can serve: the database answers, and has every migration this code ships.

A database at a revision this code does not know was migrated by newer code: that is the middle of a rolling
upgrade (migrate, then roll the workers), and the old workers keep serving until they are replaced, since
migrations are written to be compatible with the code before them. A database at an older revision of this code,
or never migrated, is not ready.
"""

from enum import StrEnum
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.migrations import alembic_config


class Schema(StrEnum):
    at_head = "at-head"
    ahead = "ahead"
    behind = "behind"


@cache
def _scripts() -> ScriptDirectory:
    """The code's migrations, read once: they change only with the code, that is with a new process."""
    return ScriptDirectory.from_config(alembic_config(""))


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _compare(connection: Connection) -> Schema:
    scripts = _scripts()
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == set(scripts.get_heads()):
        return Schema.at_head
    if current and not all(_known(scripts, revision) for revision in current):
        return Schema.ahead
    return Schema.behind


async def schema_state(engine: AsyncEngine) -> Schema:
    """Where the database's schema stands against this code's migration head (raises if it cannot be reached)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_compare)
