"""Pooled connections go back to the pool clean: on SQLite the pool rolls a connection back only when it holds an
open transaction (app.core.db), which a read never opens — a write left open must still be undone."""

from typing import Any

import pytest
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import create_engine

pytestmark = pytest.mark.anyio


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url), pool_size=1)
    try:
        async with engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            if engine.dialect.name == "sqlite":
                await driver.execute("INSERT INTO regions (code, name, timezone) VALUES ('zz', 'Nulle part', 'UTC')")
                assert driver.in_transaction
            else:
                await connection.exec_driver_sql(
                    "INSERT INTO regions (code, name, timezone) VALUES ('zz', 'Nulle part', 'UTC')"
                )
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert not (driver.in_transaction if engine.dialect.name == "sqlite" else driver.is_in_transaction())
            found = await connection.execute(text("SELECT count(*) FROM regions WHERE code = 'zz'"))
            assert found.scalar_one() == 0
    finally:
        await engine.dispose()
