"""The import report: `applied` says whether rows were written; `created`, `updated` and `unchanged` count what was
done (0 when nothing was), `would_create`, `would_update` and `would_leave_unchanged` what the file amounts to; the
errors listed are capped, with their full count."""

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from app.models.idempotency import IdempotencyKey
from tests.helpers import assert_problem, total
from tests.imports.loading import load, loaded

pytestmark = pytest.mark.anyio

HEADER = "external_id;name;kind;region\r\n"
ORGANIZATIONS = "/api/v1/organizations"


def rows(first: int, last: int, region: str = "53") -> str:
    return "".join(f"org-{n};Ville {n};collectivite;{region}\r\n" for n in range(first, last + 1))


def counts(report: dict[str, Any]) -> tuple[Any, ...]:
    names = ("applied", "read", "created", "updated", "unchanged", "would_create", "would_update")
    return (*(report[name] for name in names), report["would_leave_unchanged"], report["rejected"])


async def stored_before(client: httpx2.AsyncClient) -> None:
    """org-1 and org-2 stored; a file then brings org-1 unchanged, org-2 renamed, org-3 and org-4 new."""
    await loaded(client, "organizations", HEADER + rows(1, 2))


CHANGES = HEADER + rows(1, 1) + "org-2;Ville de Brest;collectivite;53\r\n" + rows(3, 4)


class TestApplied:
    async def test_an_import_that_writes_counts_what_it_did(self, client: httpx2.AsyncClient) -> None:
        await stored_before(client)
        report = await loaded(client, "organizations", CHANGES)
        #                        applied read created updated unchanged would: create update unchanged rejected
        assert counts(report) == (True, 4, 2, 1, 1, 2, 1, 1, 0)
        assert await total(client, ORGANIZATIONS) == 4

    async def test_a_dry_run_says_what_would_happen_and_that_nothing_was_done(self, client: httpx2.AsyncClient) -> None:
        await stored_before(client)
        report = await loaded(client, "organizations", CHANGES, dry_run="true")
        assert counts(report) == (False, 4, 0, 0, 0, 2, 1, 1, 0)
        assert await total(client, ORGANIZATIONS) == 2

    async def test_an_atomic_import_refused_for_bad_rows_reports_nothing_as_created(
        self, client: httpx2.AsyncClient
    ) -> None:
        body = HEADER + rows(1, 4) + "org-5;Ville 5;collectivite;Atlantide\r\n"
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert counts(problem) == (False, 5, 0, 0, 0, 4, 0, 0, 1)
        assert problem["detail"] == "1 of 5 rows were rejected; nothing was written."
        assert await total(client, ORGANIZATIONS) == 0

    async def test_a_non_atomic_import_writes_its_good_rows(self, client: httpx2.AsyncClient) -> None:
        body = HEADER + rows(1, 2) + "org-3;Ville 3;collectivite;Atlantide\r\n"
        report = await loaded(client, "organizations", body, atomic="false")
        assert counts(report) == (True, 3, 2, 0, 0, 2, 0, 0, 1)
        assert await total(client, ORGANIZATIONS) == 2

    async def test_metrics_count_only_rows_written_as_created(self, client: httpx2.AsyncClient) -> None:
        def sample(outcome: str) -> float:
            labels = {"resource": "organizations", "outcome": outcome}
            return REGISTRY.get_sample_value("lab_registry_import_rows_total", labels) or 0.0

        before = sample("created"), sample("rejected")
        body = HEADER + rows(1, 4) + "org-5;Ville 5;collectivite;Atlantide\r\n"
        assert_problem(await load(client, "organizations", body), 422)
        await loaded(client, "organizations", HEADER + rows(1, 4), dry_run="true")
        assert (sample("created") - before[0], sample("rejected") - before[1]) == (0, 1)


class TestErrorsAreCapped:
    async def test_the_first_thousand_errors_in_file_order_and_the_full_count(self, client: httpx2.AsyncClient) -> None:
        # 2 500 rows in two batches, each with one error; one good row among them.
        body = HEADER + rows(1, 1) + rows(2, 2501, region="Atlantide")
        report = await loaded(client, "organizations", body, atomic="false")
        assert (report["rejected"], report["error_count"], report["errors_truncated"]) == (2500, 2500, True)
        assert [error["line"] for error in report["errors"]] == list(range(3, 1003))
        assert report["created"] == 1

    async def test_a_row_with_several_errors_counts_once_as_rejected(self, client: httpx2.AsyncClient) -> None:
        body = "external_id;name;kind;siret\r\norg-1;;mairie;12\r\n"
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert (problem["rejected"], problem["error_count"], problem["errors_truncated"]) == (1, 3, False)
        assert len(problem["errors"]) == 3

    async def test_a_refused_atomic_import_is_capped_too(self, client: httpx2.AsyncClient) -> None:
        body = HEADER + rows(1, 1500, region="Atlantide")
        problem = assert_problem(await load(client, "organizations", body), 422)
        assert (len(problem["errors"]), problem["error_count"], problem["errors_truncated"]) == (1000, 1500, True)
        assert len((await load(client, "organizations", body)).content) < 200_000

    async def test_the_report_kept_for_an_idempotency_key_is_bounded(
        self, app: FastAPI, client: httpx2.AsyncClient
    ) -> None:
        body = HEADER + rows(1, 5000, region="Atlantide")
        headers = {"Content-Type": "text/csv", "Idempotency-Key": "big-bad-file"}
        params = {"atomic": "false"}
        first = await client.post("/api/v1/imports/organizations", content=body, headers=headers, params=params)
        assert first.status_code == 200, first.text
        again = await client.post("/api/v1/imports/organizations", content=body, headers=headers, params=params)
        assert again.content == first.content
        assert again.json()["error_count"] == 5000
        async with app.state.sessionmaker() as session:
            size = (await session.execute(select(func.max(func.length(IdempotencyKey.response_body))))).scalar_one()
        assert 100_000 < size < 200_000
