"""Sending a file to the import endpoint as a client would."""

from typing import Any

import httpx2

CSV = "text/csv"
JSONL = "application/x-ndjson"


async def load(
    client: httpx2.AsyncClient, resource: str, body: bytes | str, media_type: str = CSV, **params: Any
) -> httpx2.Response:
    """POST the body to /api/v1/imports/{resource}; text is sent as UTF-8."""
    content = body.encode() if isinstance(body, str) else body
    return await client.post(
        f"/api/v1/imports/{resource}", content=content, headers={"Content-Type": media_type}, params=params
    )


async def loaded(client: httpx2.AsyncClient, resource: str, body: bytes | str, **params: Any) -> dict[str, Any]:
    """The report of an import that must succeed (200)."""
    response = await load(client, resource, body, **params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report
