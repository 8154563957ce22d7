"""A client generated from the committed openapi.yaml by openapi-python-client, as an integrator would, used against
a live server: the document is only as good as what a generator makes of it.

The generator parses a 200 by its first media type (JSON): an alternative output (`output=csv`) is sent with the
generated request (`_get_kwargs`) and its body read as it is.
"""

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.servers import create_api_key, serve

pytestmark = [pytest.mark.slow, pytest.mark.anyio, pytest.mark.usefixtures("app")]

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "lab_registry_client"
GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))

ORGANIZATIONS_CSV = "external_id;name;kind;region_code\r\n" + "".join(
    f"gen-{n};Commune {n:02d};{'collectivite' if n % 3 else 'association'};53\r\n" for n in range(12)
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package, imported; the generator must take every operation (no warning)."""
    where = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--meta",
            "none",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--output-path",
            str(where / PACKAGE),
        ],
        cwd=where,
        # Its formatting hook runs ruff, from the same venv.
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    skipped = [line for line in output.splitlines() if line.startswith(("WARNING", "Unable"))]
    # The raw text/csv and JSON Lines bodies are for curl: the generator takes the multipart form instead.
    assert skipped == ["WARNING parsing POST /api/v1/imports/{resource} within imports."] * 2, output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_client_works_against_a_live_server(database_url: str, generated: Any) -> None:
    models, types = module("models"), module("types")
    organizations = module("api.organizations.list_organizations")
    create = module("api.organizations.create_organization")
    import_rows = module("api.imports.import_rows")
    overview = module("api.stats.stats_overview")
    key = create_api_key(database_url, name=f"generated client {uuid.uuid4().hex[:8]}", scopes="read,write")

    with serve(database_url) as base_url:
        async with generated.AuthenticatedClient(
            base_url=base_url, token=key, raise_on_unexpected_status=True
        ) as client:
            # A CSV file imported as a form's file.
            csv_file = types.File(
                payload=BytesIO(ORGANIZATIONS_CSV.encode()), file_name="orgs.csv", mime_type="text/csv"
            )
            report = await import_rows.asyncio(
                resource=models.ImportRowsResource.ORGANIZATIONS,
                client=client,
                body=models.ImportRowsFilesImportFile(file=csv_file),
            )
            assert isinstance(report, models.ImportReport), report
            assert (report.applied, report.created) == (True, 12)

            # Created with the write key and an Idempotency-Key: the retry is the stored answer.
            body = models.OrganizationCreate(name="Ville de Brest", kind=models.OrganizationKind.COLLECTIVITE)
            first = await create.asyncio_detailed(client=client, body=body, idempotency_key="brest-1")
            again = await create.asyncio_detailed(client=client, body=body, idempotency_key="brest-1")
            assert first.status_code == again.status_code == 201
            assert again.headers["Idempotent-Replayed"] == "true"
            assert first.parsed.id == again.parsed.id
            assert first.headers["Location"].endswith(f"/api/v1/organizations/{first.parsed.id}")

            # A filtered list, walked page by page through next_cursor.
            names: list[str] = []
            cursor: Any = types.UNSET
            while True:
                page = await organizations.asyncio(
                    client=client, kind=models.OrganizationKind.COLLECTIVITE, limit=3, cursor=cursor
                )
                assert isinstance(page, models.PageOrganizationRead), page
                names += [item.name for item in page.items]
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            assert names == sorted([f"Commune {n:02d}" for n in range(12) if n % 3] + ["Ville de Brest"])

            # Stats as JSON (the typed model), and as CSV (the generated request, its body read as text).
            figures = await overview.asyncio(client=client)
            assert isinstance(figures, models.Overview), figures
            kwargs = overview._get_kwargs(output=models.StatsOverviewOutputType0.CSV)
            answer = await client.get_async_httpx_client().request(**kwargs)
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/csv")
            assert answer.text.lstrip("\ufeff").splitlines()[0].split(",") == list(figures.to_dict())
