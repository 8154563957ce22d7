"""Idempotency-Key on POST, through HTTP: replays, refusals, keys per caller, expiry, in-flight duplicates."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings
from app.idempotency.middleware import Idempotency
from app.labs import service as labs_service
from app.main import NOT_IDEMPOTENT
from app.models import ApiKey, IdempotencyKey, utcnow
from tests.conftest import KeyMaker
from tests.factories import create_lab
from tests.helpers import assert_problem, total

pytestmark = pytest.mark.anyio

LABS = "/api/v1/labs"
REPLAYED = "idempotent-replayed"


def lab_body(name: str = "Lab Bretagne") -> dict[str, Any]:
    return {"name": name, "region_code": "53", "city": "Rennes"}


async def post_lab(
    client: httpx2.AsyncClient, key: str | None, body: dict[str, Any] | None = None, path: str = LABS
) -> httpx2.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return await client.post(path, json=body or lab_body(), headers=headers)


async def stored_keys(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        count: int = (await session.execute(select(func.count()).select_from(IdempotencyKey))).scalar_one()
    return count


async def age_keys(app: FastAPI, by: timedelta) -> None:
    """Move every stored key back in time, as if it had been claimed `by` ago."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(IdempotencyKey).values(created_at=utcnow() - by))


def fail_once(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """The next lab creation raises `error` (a crash in the service); the ones after it create."""
    create = labs_service.create_lab
    calls = 0

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        return await create(*args, **kwargs)

    monkeypatch.setattr(labs_service, "create_lab", failing_once)


@asynccontextmanager
async def answering_500s(app: FastAPI, client: httpx2.AsyncClient) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of `app` with `client`'s key that gets the 500 answer instead of the app's exception."""
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test", headers=client.headers) as http:
        yield http


class TestReplay:
    async def test_same_request_answers_the_first_answer_once_created(
        self, app: FastAPI, client: httpx2.AsyncClient
    ) -> None:
        first = await post_lab(client, "create-lab-1")
        second = await post_lab(client, "create-lab-1")
        assert first.status_code == second.status_code == 201, first.text
        assert REPLAYED not in first.headers
        assert second.headers[REPLAYED] == "true"
        assert second.json() == first.json()
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["content-type"] == first.headers["content-type"]
        assert second.headers.get("etag") == first.headers.get("etag")
        assert second.headers["x-content-type-options"] == "nosniff"
        assert await total(client, LABS) == 1
        assert await stored_keys(app) == 1

    async def test_every_retry_is_a_replay(self, client: httpx2.AsyncClient) -> None:
        answers = [await post_lab(client, "create-lab-2") for _ in range(4)]
        assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
        assert [a.headers.get(REPLAYED) for a in answers] == [None, "true", "true", "true"]
        assert await total(client, LABS) == 1

    async def test_different_keys_create_different_entities(self, client: httpx2.AsyncClient) -> None:
        first = await post_lab(client, "key-a")
        second = await post_lab(client, "key-b")
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["id"] != second.json()["id"]
        assert await total(client, LABS) == 2

    async def test_without_the_header_every_post_creates(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        first = await post_lab(client, None)
        second = await post_lab(client, None)
        assert (first.status_code, second.status_code) == (201, 201)
        assert REPLAYED not in second.headers
        assert await total(client, LABS) == 2
        assert await stored_keys(app) == 0

    async def test_works_on_a_nested_create(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        stream = await client.post(
            "/api/v1/funding-streams", json={"code": "FTAP", "name": "FTAP", "envelope_cents": 1_000_000}
        )
        body = {"stream_id": stream.json()["id"], "lab_id": lab["id"], "amount_cents": 1000, "status": "committed"}
        answers = [await client.post("/api/v1/allocations", json=body, headers={"Idempotency-Key": "a"}) for _ in "12"]
        assert [a.status_code for a in answers] == [201, 201], answers[0].text
        assert answers[1].json() == answers[0].json()
        assert await total(client, "/api/v1/allocations") == 1


class TestRefusalsAreReplayed:
    async def test_an_invalid_body_gets_the_same_422(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        body = {**lab_body(), "region_code": "99"}
        first = await post_lab(client, "bad-lab", body)
        second = await post_lab(client, "bad-lab", body)
        assert assert_problem(first, 422, "region_code") == assert_problem(second, 422, "region_code")
        assert second.headers[REPLAYED] == "true"
        assert await total(client, LABS) == 0
        assert await stored_keys(app) == 1

    async def test_a_conflict_is_answered_again_after_its_cause_is_gone(self, client: httpx2.AsyncClient) -> None:
        taken = await create_lab(client, slug="bretagne")
        body = {**lab_body("Autre"), "slug": "bretagne"}
        first = await post_lab(client, "slug-taken", body)
        assert_problem(first, 409)
        assert (await client.delete(f"{LABS}/{taken['id']}")).status_code == 204
        second = await post_lab(client, "slug-taken", body)
        assert second.status_code == 409
        assert second.json() == first.json()
        assert second.headers[REPLAYED] == "true"
        assert await total(client, LABS) == 0


class TestKeyReusedForAnotherRequest:
    async def test_other_body_is_422_and_writes_nothing(self, client: httpx2.AsyncClient) -> None:
        first = await post_lab(client, "reused", lab_body("Lab Bretagne"))
        second = await post_lab(client, "reused", lab_body("Lab Normandie"))
        assert first.status_code == 201
        body = assert_problem(second, 422, "Idempotency-Key")
        assert "another request" in body["detail"]
        assert REPLAYED not in second.headers
        assert [lab["name"] for lab in (await client.get(LABS)).json()["items"]] == ["Lab Bretagne"]

    async def test_other_path_is_422_and_writes_nothing(self, client: httpx2.AsyncClient) -> None:
        assert (await post_lab(client, "reused")).status_code == 201
        response = await client.post(
            "/api/v1/organizations",
            json={"name": "Préfecture", "kind": "service-deconcentre"},
            headers={"Idempotency-Key": "reused"},
        )
        assert_problem(response, 422, "Idempotency-Key")
        assert await total(client, "/api/v1/organizations") == 0

    async def test_other_query_is_422(self, client: httpx2.AsyncClient) -> None:
        assert (await post_lab(client, "reused")).status_code == 201
        assert_problem(await post_lab(client, "reused", path=f"{LABS}?source=retry"), 422, "Idempotency-Key")
        assert await total(client, LABS) == 1

    async def test_other_content_type_is_422(self, client: httpx2.AsyncClient) -> None:
        content = b'{"name": "Lab Bretagne", "region_code": "53"}'
        first = await client.post(
            LABS, content=content, headers={"Idempotency-Key": "typed", "Content-Type": "application/json"}
        )
        second = await client.post(
            LABS, content=content, headers={"Idempotency-Key": "typed", "Content-Type": "text/plain"}
        )
        assert first.status_code == 201, first.text
        assert_problem(second, 422, "Idempotency-Key")

    async def test_a_refused_request_keeps_its_key(self, client: httpx2.AsyncClient) -> None:
        """A client that fixes its payload needs a new key: the key names the request that was refused."""
        assert_problem(await post_lab(client, "fix-me", {**lab_body(), "region_code": "99"}), 422, "region_code")
        assert_problem(await post_lab(client, "fix-me"), 422, "Idempotency-Key")
        assert await total(client, LABS) == 0


class TestKeysBelongToTheirCaller:
    async def test_same_key_from_another_api_key_is_independent(
        self, app: FastAPI, client: httpx2.AsyncClient, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        other = {"Authorization": f"Bearer {await make_key('write', name='other app')}", "Idempotency-Key": "shared"}
        mine = await post_lab(client, "shared", lab_body("Lab Bretagne"))
        theirs = await anonymous.post(LABS, json=lab_body("Lab Normandie"), headers=other)
        again = await anonymous.post(LABS, json=lab_body("Lab Normandie"), headers=other)
        assert (mine.status_code, theirs.status_code, again.status_code) == (201, 201, 201)
        assert REPLAYED not in theirs.headers
        assert again.headers[REPLAYED] == "true"
        assert again.json() == theirs.json() != mine.json()
        assert await total(client, LABS) == 2
        assert await stored_keys(app) == 2

    async def test_without_a_valid_api_key_the_app_answers_401(
        self, app: FastAPI, anonymous: httpx2.AsyncClient
    ) -> None:
        for authorization in (None, "Bearer lr_not-a-real-key", "Basic abc"):
            headers = {"Idempotency-Key": "!!"} | ({"Authorization": authorization} if authorization else {})
            response = await anonymous.post(LABS, json=lab_body(), headers=headers)
            assert_problem(response, 401)
        assert await stored_keys(app) == 0

    async def test_a_key_without_write_scope_is_refused_alike(
        self, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        headers = {"Authorization": f"Bearer {await make_key('read')}", "Idempotency-Key": "read-only"}
        first = await anonymous.post(LABS, json=lab_body(), headers=headers)
        second = await anonymous.post(LABS, json=lab_body(), headers=headers)
        assert_problem(first, 403)
        assert (second.status_code, second.headers[REPLAYED]) == (403, "true")

    async def test_api_key_creation_refuses_the_header(
        self, app: FastAPI, anonymous: httpx2.AsyncClient, make_key: KeyMaker
    ) -> None:
        """The answer carries the new key in clear: storing it would undo hash-only storage, and ignoring the
        header would let a client believe a retry safe."""
        headers = {"Authorization": f"Bearer {await make_key('admin', 'read')}", "Idempotency-Key": "new-key"}
        response = await anonymous.post("/api/v1/api-keys", json={"name": "app", "scopes": ["read"]}, headers=headers)
        assert "not accepted here" in assert_problem(response, 400)["detail"]
        assert await stored_keys(app) == 0
        async with app.state.sessionmaker() as session:
            assert (await session.execute(select(ApiKey).where(col(ApiKey.name) == "app"))).first() is None


class TestInvalidHeader:
    @pytest.mark.parametrize(
        "value",
        [b"", b"x" * 256, "clé".encode(), b"tab\there", b"line\x7f"],
        ids=["empty", "too-long", "not-ascii", "tab", "delete-char"],
    )
    async def test_is_400_and_writes_nothing(self, app: FastAPI, client: httpx2.AsyncClient, value: bytes) -> None:
        response = await client.post(LABS, json=lab_body(), headers=[(b"Idempotency-Key", value)])
        assert "Idempotency-Key" in assert_problem(response, 400)["detail"]
        assert await total(client, LABS) == 0
        assert await stored_keys(app) == 0

    async def test_sent_twice_is_400(self, client: httpx2.AsyncClient) -> None:
        response = await client.post(
            LABS, json=lab_body(), headers=[("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
        )
        assert_problem(response, 400)
        assert await total(client, LABS) == 0

    async def test_longest_and_punctuated_keys_are_accepted(self, client: httpx2.AsyncClient) -> None:
        for key in ("k" * 255, "order 42/retry:#1 {ok}~"):
            answers = [await post_lab(client, key, lab_body(key[:40])) for _ in "12"]
            assert [a.status_code for a in answers] == [201, 201]
            assert answers[1].headers[REPLAYED] == "true"
        assert await total(client, LABS) == 2


class TestOtherMethodsIgnoreTheHeader:
    async def test_get_is_answered_as_usual(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        await create_lab(client)
        answers = [await client.get(LABS, headers={"Idempotency-Key": "read"}) for _ in "12"]
        assert [a.status_code for a in answers] == [200, 200]
        assert REPLAYED not in answers[1].headers
        assert await stored_keys(app) == 0

    async def test_patch_applies_every_time(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        headers = {"Idempotency-Key": "patch"}
        first = await client.patch(f"{LABS}/{lab['id']}", json={"city": "Brest"}, headers=headers)
        second = await client.patch(f"{LABS}/{lab['id']}", json={"city": "Quimper"}, headers=headers)
        assert (first.status_code, second.status_code) == (200, 200), second.text
        assert REPLAYED not in second.headers
        assert second.json()["city"] == "Quimper"
        assert await stored_keys(app) == 0

    async def test_invalid_header_on_a_patch_is_ignored(self, client: httpx2.AsyncClient) -> None:
        lab = await create_lab(client)
        response = await client.patch(f"{LABS}/{lab['id']}", json={"city": "Brest"}, headers={"Idempotency-Key": ""})
        assert response.status_code == 200, response.text


class TestExpiry:
    async def test_an_expired_key_counts_as_new(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        first = await post_lab(client, "old", lab_body("Lab Bretagne"))
        await age_keys(app, timedelta(hours=24, seconds=1))
        again = await post_lab(client, "old", lab_body("Lab Normandie"))
        assert (first.status_code, again.status_code) == (201, 201)
        assert REPLAYED not in again.headers
        assert again.json()["name"] == "Lab Normandie"
        assert_problem(await post_lab(client, "old", lab_body("Lab Bretagne")), 422, "Idempotency-Key")
        assert await total(client, LABS) == 2
        assert await stored_keys(app) == 1

    async def test_a_key_younger_than_the_ttl_is_kept(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        await post_lab(client, "recent")
        await age_keys(app, timedelta(hours=23, minutes=59))
        assert (await post_lab(client, "recent")).headers[REPLAYED] == "true"
        assert await total(client, LABS) == 1

    @pytest.mark.fresh_app
    async def test_expired_keys_are_purged(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        """The worker's first claimed request purges; the next purges wait for the interval."""
        async with app.state.sessionmaker() as session, session.begin():
            caller = (
                await session.execute(select(col(ApiKey.id)).where(col(ApiKey.name) == "integrating app"))
            ).scalar_one()
            session.add(IdempotencyKey(api_key_id=caller, key="stale", fingerprint="0" * 64))
            session.add(IdempotencyKey(api_key_id=caller, key="fresh", fingerprint="0" * 64))
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                update(IdempotencyKey)
                .where(col(IdempotencyKey.key) == "stale")
                .values(created_at=utcnow() - timedelta(days=2))
            )
        await post_lab(client, "new")
        async with app.state.sessionmaker() as session:
            keys = set((await session.execute(select(col(IdempotencyKey.key)))).scalars())
        assert keys == {"fresh", "new"}


class TestConfiguredTtl:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, idempotency_ttl_hours=2)

    async def test_keys_expire_after_the_configured_hours(self, app: FastAPI, client: httpx2.AsyncClient) -> None:
        await post_lab(client, "short")
        await age_keys(app, timedelta(hours=1, minutes=59))
        assert (await post_lab(client, "short")).headers[REPLAYED] == "true"
        await age_keys(app, timedelta(hours=2, seconds=1))
        assert REPLAYED not in (await post_lab(client, "short")).headers
        assert await total(client, LABS) == 2


class TestLargeBodies:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return Settings(database_url=database_url, max_body_bytes=4_194_304)

    @pytest.mark.parametrize("padding", [300_000, 2_000_000], ids=["in-memory", "spooled-to-disk"])
    async def test_the_whole_body_reaches_the_app_and_is_fingerprinted(
        self, client: httpx2.AsyncClient, padding: int
    ) -> None:
        content = b'{"name": "Lab Bretagne",' + b" " * padding + b'"region_code": "53"}'
        headers = {"Idempotency-Key": "big", "Content-Type": "application/json"}
        first = await client.post(LABS, content=content, headers=headers)
        second = await client.post(LABS, content=content, headers=headers)
        changed = await client.post(LABS, content=content.replace(b"53", b"52"), headers=headers)
        assert first.status_code == 201, first.text
        assert (second.headers[REPLAYED], second.json()) == ("true", first.json())
        assert_problem(changed, 422, "Idempotency-Key")
        assert await total(client, LABS) == 1


class TestInFlight:
    async def test_a_duplicate_while_the_first_runs_is_409(
        self, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        entered, release = asyncio.Event(), asyncio.Event()
        create = labs_service.create_lab

        async def slow_create(*args: Any, **kwargs: Any) -> Any:
            entered.set()
            await release.wait()
            return await create(*args, **kwargs)

        monkeypatch.setattr(labs_service, "create_lab", slow_create)
        first = asyncio.create_task(post_lab(client, "slow"))
        await asyncio.wait_for(entered.wait(), 10)
        duplicate = await post_lab(client, "slow")
        release.set()
        done = await first
        body = assert_problem(duplicate, 409)
        assert "still being processed" in body["detail"]
        assert duplicate.headers["retry-after"] == "1"
        assert done.status_code == 201
        replay = await post_lab(client, "slow")
        assert (replay.headers[REPLAYED], replay.json()) == ("true", done.json())
        assert await total(client, LABS) == 1

    async def test_an_applied_claim_without_answer_is_409_until_it_expires(
        self, app: FastAPI, client: httpx2.AsyncClient
    ) -> None:
        """What a worker that died between the app's commit and storing the answer leaves behind: running the
        request again would apply it twice, so the key answers 409 until it expires, however old."""
        assert (await post_lab(client, "orphan")).status_code == 201
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(update(IdempotencyKey).values(response_status=None, response_body=None))
        lost = assert_problem(await post_lab(client, "orphan"), 409)
        assert lost["type"].endswith("idempotency-key-answer-lost")
        assert "look its result up" in lost["detail"]
        await age_keys(app, timedelta(hours=23))
        assert_problem(await post_lab(client, "orphan"), 409)
        await age_keys(app, timedelta(hours=25))
        assert (await post_lab(client, "orphan")).status_code == 201
        assert await total(client, LABS) == 2

    async def test_a_claim_abandoned_before_its_commit_is_taken_over_by_a_retry(
        self, app: FastAPI, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A worker killed mid-request neither commits nor releases its key: the claim stays unanswered and
        unapplied. A retry is 409 while the first could still be running, then runs the request again."""

        async def no_release(*_args: Any) -> None:
            """A killed worker releases nothing."""

        fail_once(monkeypatch, RuntimeError("worker killed"))
        monkeypatch.setattr(Idempotency, "_release", no_release)
        async with answering_500s(app, client) as http:
            assert_problem(await post_lab(http, "abandoned"), 500)
            assert await stored_keys(app) == 1
            in_flight = assert_problem(await post_lab(http, "abandoned"), 409)
            assert "still being processed" in in_flight["detail"]
            await age_keys(app, timedelta(seconds=61))
            retried = await post_lab(http, "abandoned")
            assert retried.status_code == 201, retried.text
            assert REPLAYED not in retried.headers
            replay = await post_lab(http, "abandoned")
        assert (replay.headers[REPLAYED], replay.json()) == ("true", retried.json())
        assert await total(client, LABS) == 1

    async def test_a_first_request_whose_claim_was_taken_over_is_refused_at_its_commit(
        self, app: FastAPI, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A first request that was slow, not dead: a retry took its claim over meanwhile (here the claim is
        removed from inside the request's own transaction, the moment a retry would have replaced it). Its
        commit is refused, so the request is applied once, by the retry."""
        create = labs_service.create_lab

        async def overtaken(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
            lab = await create(session, *args, **kwargs)
            await session.execute(delete(IdempotencyKey))
            return lab

        monkeypatch.setattr(labs_service, "create_lab", overtaken)
        refused = await post_lab(client, "overtaken")
        body = assert_problem(refused, 409)
        assert body["type"].endswith("idempotency-key-taken-over")
        assert "not applied" in body["detail"]
        assert await total(client, LABS) == 0

    async def test_concurrent_duplicates_create_one_entity(self, client: httpx2.AsyncClient) -> None:
        answers = await asyncio.gather(*(post_lab(client, "burst") for _ in range(8)))
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) <= {201, 409}, [a.text for a in answers]
        created = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
        assert len(created) == 1
        assert await total(client, LABS) == 1


class TestServerErrorsAreNotRemembered:
    async def test_a_crash_releases_the_key(
        self, app: FastAPI, client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failure injected into the service, once: the retry with the same key runs for real."""
        fail_once(monkeypatch, RuntimeError("database went away"))
        async with answering_500s(app, client) as http:
            failed = await post_lab(http, "retry-me")
            assert_problem(failed, 500)
            assert await stored_keys(app) == 0
            retried = await post_lab(http, "retry-me")
        assert retried.status_code == 201, retried.text
        assert REPLAYED not in retried.headers
        assert await total(client, LABS) == 1


class TestDocumented:
    async def test_every_post_documents_the_header_and_its_answers(self, app: FastAPI) -> None:
        schema = app.openapi()
        posts = [(path, item["post"]) for path, item in schema["paths"].items() if "post" in item]
        assert posts
        for path, operation in posts:
            names = [p.get("name") for p in operation.get("parameters", [])]
            if path in NOT_IDEMPOTENT:
                assert "Idempotency-Key" not in names
                continue
            assert "Idempotency-Key" in names, path
            assert {"409", "422"} <= operation["responses"].keys(), path
            # A create answers 201; an import (which may create many rows, or none) answers 200 with its report.
            successes = [answer for status, answer in operation["responses"].items() if status.startswith("2")]
            assert successes, path
            for answer in successes:
                assert "Idempotent-Replayed" in answer.get("headers", {}), path
