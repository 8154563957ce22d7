"""Schemathesis over every operation of the app's own OpenAPI, on the engine of the run (SQLite, or PostgreSQL
with TEST_DATABASE_URL), authenticated with a real key holding every scope.

All four phases run, as `schemathesis run` would: examples (the schema's own), coverage (every boundary and
every kind of invalid value the schema defines, for each parameter and body field, and each query parameter
sent twice), fuzzing (random cases,
valid and invalid) and stateful (chains such as create → read → update → delete, over links schemathesis
infers from response schemas, path parameters and the Location headers the earlier phases saw: the OpenAPI
declares none). The checks: all of them but `positive_data_acceptance` (see CHECKS).

Bounded for CI, about a minute per engine on two cores: the examples and coverage phases are exhaustive by
nature (coverage alone is some 5 000 requests); fuzzing tries FUZZ_EXAMPLES cases per operation and the stateful
phase STATEFUL_SCENARIOS chains of up to STATEFUL_STEPS calls. SEED makes each run generate the same requests,
so a failure reproduces; change it (or raise the bounds) to explore further.

The run has a database of its own, seeded with one entity of every kind so that reads and writes by id also
reach their 200 paths, not only 404.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
import schemathesis
from asgi_lifespan import LifespanManager
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.engine import Status, StopReason, events
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema

from app.auth import service as auth_service
from app.auth.schemas import Scope
from app.core import migrations
from app.core.config import Settings
from app.core.db import reading
from app.main import create_app
from tests import factories
from tests.databases import scratch_database

pytestmark = pytest.mark.slow

SEED = 20_201_117
FUZZ_EXAMPLES = 6
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
)
"""Every check but `positive_data_acceptance` (which wants every schema-valid request accepted, where the
rules of the domain refuse many: a reference to nothing, an envelope exceeded)."""
# Schemathesis's default list, plus 412 and 413: preconditions are evaluated before the content (RFC 9110
# §13.2.1), so a write with a stale If-Match and a bad body is rightly a 412; an oversized body is a 413 first.
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]


@dataclass(frozen=True)
class Target:
    schema: BaseSchema
    settings: Settings
    key: str


async def _seed(settings: Settings) -> str:
    """Issue the key the run uses, and create one entity of each kind through the API."""
    app = create_app(settings)
    async with LifespanManager(app):
        async with app.state.sessionmaker() as session, session.begin():
            _, key = await auth_service.create_key(session, name="schemathesis", scopes=list(Scope), expires_at=None)
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client:
            allocation = await factories.create_allocation(client)
            await factories.create_disbursement(client, allocation["id"])
            project = await factories.create_project(client)
            await factories.create_partner(client, project["id"])
            campaign = await factories.create_campaign(client)
            await factories.create_event(client, campaign_id=campaign["id"])
    return key


async def _key_still_valid(settings: Settings, key: str) -> bool:
    app = create_app(settings)
    async with LifespanManager(app), reading(app.state.engine) as connection:
        return await auth_service.find_caller(connection, key) is not None


def _config(key: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {key}"},
            "generation": {"mode": "all", "database": "none", "max-examples": FUZZ_EXAMPLES},
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                "negative_data_rejection": {"enabled": True, "expected-statuses": REJECTION_STATUSES},
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "generate-duplicate-query-parameters": True},
                "fuzzing": {"enabled": True},
                "stateful": {
                    "enabled": True,
                    "max-steps": STATEFUL_STEPS,
                    "generation": {"max-examples": STATEFUL_SCENARIOS},
                },
            },
        }
    )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The app on a seeded database of its own; schemathesis runs its lifespan, in its own event loop."""
    # Import bodies are CSV or JSON Lines files, described as strings: sent as they are, like text/plain.
    schemathesis.serializer.alias("application/x-ndjson", "text/plain")
    with scratch_database(tmp_path_factory.mktemp("fuzz"), "lr_fuzz") as url:
        migrations.upgrade(url)
        settings = Settings(database_url=url, log_level="ERROR")
        key = asyncio.run(_seed(settings))
        app = create_app(settings)
        try:
            yield Target(schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(key)), settings, key)
        finally:
            asgi.shutdown_lifespans()


def _describe(phase: str, label: str, check: str, title: str, message: str, code_sample: str) -> str:
    return f"[{phase}] {label} — {check}: {title}\n{message.strip()[:800]}\n{code_sample[:1500]}"


def test_every_operation_holds_to_its_schema(target: Target) -> None:
    failures: list[str] = []
    tested: set[str] = set()
    phases: dict[str, Status] = {}
    inferred_links = 0
    stop_reason = None
    for event in engine.from_schema(target.schema).execute():
        if isinstance(event, events.PhaseStarted) and event.payload is not None:
            inferred_links = event.payload.inferred_transitions
        elif isinstance(event, events.PhaseFinished):
            phases[event.phase.name.value] = event.status
        elif isinstance(event, events.ScenarioFinished):
            if event.recorder.cases:
                tested.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if check.status == Status.FAILURE and info is not None:
                        failure = info.failure
                        failures.append(
                            _describe(
                                event.phase.value,
                                event.recorder.label,
                                check.name,
                                failure.title,
                                failure.message,
                                info.code_sample,
                            )
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"[{event.phase}] {event.label} — error: {event.info.format()[:2000]}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason

    assert failures == [], f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
    assert stop_reason == StopReason.COMPLETED
    assert set(phases) >= {"examples", "coverage", "fuzzing", "stateful"}, phases
    operations = {result.ok().label for result in target.schema.get_all_operations() if isinstance(result, Ok)}
    assert operations - tested == set(), "operations no phase reached"
    assert inferred_links > 50, "the stateful phase found too few links to chain calls"
    assert asyncio.run(_key_still_valid(target.settings, target.key)), "the run revoked its own key"
