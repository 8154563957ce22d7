"""A corpus of bad and awkward input, on both engines: each request is either stored exactly (when valid) or
refused with a 4xx problem+json, never a 500, and a refused write leaves every table as it was.

The decisions this corpus pins down:

- A body that is not JSON (malformed, truncated, not UTF-8, nested deeper than the parser goes) is a 422
  `json_invalid`; a body sent under another media type than JSON is a 422 too (FastAPI reads only JSON).
- No text may hold NUL, in a body, a path or a query (PostgreSQL cannot store it, SQLite could): 422.
- A body over the size limit is a 413 before anything is read; a long string under it is a 422 past its
  field's maximum, and stored exactly up to it, multi-byte characters included.
- Dates and instants are text: a number is not read as Unix time; instants too close to year 1 or 9999 to be
  moved to UTC are refused.
- Each query parameter takes one value: `?limit=1&limit=2` is a 422 naming it, rather than FastAPI's silent
  last-one-wins.
- Cursors are opaque: forged, truncated or foreign ones are a 400, whatever they decode to.
- SQL meta-characters, emoji and right-to-left text are data: stored and returned exactly, and found by `q` as
  themselves (`%` and `_` match only themselves).
"""

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import SQLModel

from tests import factories
from tests.conftest import KeyMaker
from tests.helpers import assert_problem

pytestmark = pytest.mark.anyio

JSON = "application/json"
MAX_BODY = 1_048_576

Factory = Callable[..., Awaitable[dict[str, Any]]]
FACTORIES: dict[str, Factory] = {
    "labs": factories.create_lab,
    "funding-streams": factories.create_stream,
    "events": factories.create_event,
}


async def row_counts(app: FastAPI) -> dict[str, int]:
    """Rows in every table: what a refused request must leave untouched."""
    async with app.state.engine.connect() as connection:
        return {
            name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b', "region_code": "53"}'


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


LAB = {"name": "Lab d'essai", "region_code": "53"}

# (case, resource, raw body, Content-Type, expected status, field the 422 names)
BODIES = [
    ("truncated-json", "labs", b'{"name": "Lab", "region_code": "53"', JSON, 422, "body"),
    ("trailing-comma", "labs", b'{"name": "Lab", "region_code": "53",}', JSON, 422, "body"),
    ("single-quotes", "labs", b"{'name': 'Lab', 'region_code': '53'}", JSON, 422, "body"),
    ("text-after-json", "labs", body(**LAB) + b" trailing", JSON, 422, "body"),
    ("empty-body", "labs", b"", JSON, 422, "body"),
    ("json-null", "labs", b"null", JSON, 422, "body"),
    ("json-array", "labs", b'[{"name": "Lab", "region_code": "53"}]', JSON, 422, "body"),
    ("json-string", "labs", b'"Lab"', JSON, 422, "body"),
    ("text-plain", "labs", body(**LAB), "text/plain", 422, "body"),
    ("form", "labs", b"name=Lab&region_code=53", "application/x-www-form-urlencoded", 422, "body"),
    (
        "multipart",
        "labs",
        b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nLab\r\n--x--\r\n',
        "multipart/form-data; boundary=x",
        422,
        "body",
    ),
    ("xml", "labs", b"<lab><name>Lab</name></lab>", "application/xml", 422, "body"),
    ("no-content-type", "labs", body(**LAB), None, 422, "body"),
    ("latin-1-bytes", "labs", b'{"name": "\xe9cole", "region_code": "53"}', JSON, 422, "body"),
    ("invalid-utf-8", "labs", b'{"name": "\xff\xfe", "region_code": "53"}', JSON, 422, "body"),
    ("overlong-utf-8", "labs", b'{"name": "\xc0\xaf", "region_code": "53"}', JSON, 422, "body"),
    ("lone-surrogate", "labs", b'{"name": "a\\ud800b", "region_code": "53"}', JSON, 422, "name"),
    ("nul-escaped", "labs", body(name="a\x00b", region_code="53"), JSON, 422, "name"),
    ("nul-raw-byte", "labs", b'{"name": "a\x00b", "region_code": "53"}', JSON, 422, "body"),
    ("nul-alone", "labs", body(**LAB, description="\x00"), JSON, 422, "description"),
    ("nul-in-a-list", "events", body(title="T", tags=["ok", "a\x00"]), JSON, 422, "tags"),
    ("2-mb-of-text", "labs", body(**LAB, description="é" * 1_000_000), JSON, 413, None),
    ("1-mib-string", "labs", body(**LAB, description="x" * MAX_BODY), JSON, 413, None),
    ("1-mb-string", "labs", body(**LAB, description="x" * 1_000_000), JSON, 422, "description"),
    ("name-too-long", "labs", body(name="x" * 301, region_code="53"), JSON, 422, "name"),
    ("nested-100000", "labs", nested(100_000), JSON, 422, "body"),
    ("nested-1000", "labs", nested(1_000), JSON, 422, "body"),
    ("nested-50", "labs", nested(50), JSON, 422, "name"),
    ("huge-float", "labs", body(**LAB, latitude=1e308, longitude=0), JSON, 422, "latitude"),
    (
        "float-overflow",
        "labs",
        b'{"name": "L", "region_code": "53", "latitude": 1e400, "longitude": 0}',
        JSON,
        422,
        "latitude",
    ),
    ("nan", "labs", b'{"name": "L", "region_code": "53", "latitude": NaN, "longitude": 0}', JSON, 422, "latitude"),
    ("negative-latitude", "labs", body(**LAB, latitude=-91, longitude=0), JSON, 422, "latitude"),
    ("date-as-number", "labs", body(**LAB, founded_on=0), JSON, 422, "founded_on"),
    ("date-as-numeric-text", "labs", body(**LAB, founded_on="86400"), JSON, 422, "founded_on"),
    ("huge-integer", "funding-streams", body(code="X", name="X", envelope_cents=10**30), JSON, 422, "envelope_cents"),
    ("int64-overflow", "funding-streams", body(code="X", name="X", envelope_cents=2**63), JSON, 422, "envelope_cents"),
    ("negative-money", "funding-streams", body(code="X", name="X", envelope_cents=-1), JSON, 422, "envelope_cents"),
    ("int32-overflow", "events", body(title="T", capacity=2**31), JSON, 422, "capacity"),
    ("negative-count", "events", body(title="T", participants_count=-5), JSON, 422, "participants_count"),
    ("instant-as-number", "events", body(title="T", starts_at=0), JSON, 422, "starts_at"),
    ("instant-at-year-1", "events", body(title="T", starts_at="0001-01-01T00:00:00"), JSON, 422, "starts_at"),
    ("instant-at-year-9999", "events", body(title="T", ends_at="9999-12-31T23:00:00-05:00"), JSON, 422, "ends_at"),
]


async def test_a_bad_body_is_refused_and_writes_nothing(
    app: FastAPI, client: httpx2.AsyncClient, subtests: pytest.Subtests
) -> None:
    """Each body is tried on the three writes that take one: create, replace and merge-patch."""
    existing = {resource: await create(client) for resource, create in FACTORIES.items()}
    before = await row_counts(app)
    for case, resource, content, content_type, status, field in BODIES:
        with subtests.test(case):
            item = f"/api/v1/{resource}/{existing[resource]['id']}"
            headers = {"Content-Type": content_type} if content_type else {}
            for method, path in [("POST", f"/api/v1/{resource}"), ("PUT", item), ("PATCH", item)]:
                response = await client.request(method, path, content=content, headers=headers)
                assert_problem(response, status, field)
            assert await row_counts(app) == before
            assert (await client.get(item)).json() == existing[resource]


TRICKY_NAMES = [
    "'; DROP TABLE labs; --",
    "100 % public",
    "lab_un",
    "C:\\Labs\\Nord",
    'Le "Lab" `code` $1 ?',
    "Lab 🧪 créatif 👩🏽‍🔬",
    "مختبر الابتكار العمومي",
    "מעבדת חדשנות",
    "\u202eRTL override\u202c mixed עברית and français",
    "e\u0301cole (NFD)",
    "🧪" * 300,
]


async def test_tricky_text_is_stored_and_returned_exactly(client: httpx2.AsyncClient) -> None:
    """SQL meta-characters, emoji (300 of them fill the name), right-to-left text and decomposed accents, as
    created and as patched."""
    for name in TRICKY_NAMES:
        description = f"{name}\n{name}\t{name}"
        created = await factories.create_lab(client, name=name, description=description, city=name[:200])
        stored = (await client.get(f"/api/v1/labs/{created['id']}")).json()
        assert (created["name"], stored["name"]) == (name, name)
        assert (stored["description"], stored["city"]) == (description, name[:200])
    lab = await factories.create_lab(client)
    patched = await client.patch(f"/api/v1/labs/{lab['id']}", json={"description": "\n".join(TRICKY_NAMES)})
    assert patched.status_code == 200, patched.text
    assert (await client.get(f"/api/v1/labs/{lab['id']}")).json()["description"] == "\n".join(TRICKY_NAMES)


LABS = ["'; DROP TABLE labs; --", "lab_un", "C:\\Labs\\Nord", 'Le "Lab" `code` $1 ?', "Lab 🧪 créatif 👩🏽‍🔬"]
SEARCHES = [
    # `q` is words (docs/search.md): punctuation separates them, SQL and FTS syntax are taken as text.
    ("percent", "100 %", ["100 % public"]),
    ("underscore", "lab_un", LABS),
    ("backslash", "C:\\Labs\\Nord", ["C:\\Labs\\Nord"]),
    ("sql-injection", "'; DROP", ["'; DROP TABLE labs; --"]),
    ("double-quotes", '"Lab" `code` $1 ?', ['Le "Lab" `code` $1 ?']),
    ("fts-syntax", 'NEAR(lab) ^nord : * " AND', []),
    ("emoji", "🧪 créatif", ["Lab 🧪 créatif 👩🏽‍🔬"]),
    ("arabic", "الابتكار", ["مختبر الابتكار العمومي"]),
    ("hebrew", "חדשנות", ["מעבדת חדשנות"]),
    ("decomposed-accent", "école", ["e\u0301cole (NFD)"]),
]


async def test_search_takes_meta_characters_literally(client: httpx2.AsyncClient, subtests: pytest.Subtests) -> None:
    for name in TRICKY_NAMES:
        await factories.create_lab(client, name=name)
    for case, q, found in SEARCHES:
        with subtests.test(case):
            response = await client.get("/api/v1/labs", params={"q": q, "sort": "created_at"})
            assert response.status_code == 200, response.text
            assert [item["name"] for item in response.json()["items"]] == found


QUERIES = [
    ("zero-limit", "limit=0", "limit"),
    ("negative-limit", "limit=-1", "limit"),
    ("limit-over-max", "limit=501", "limit"),
    ("huge-limit", "limit=99999999999999999999999999", "limit"),
    ("fractional-limit", "limit=1.5", "limit"),
    ("empty-limit", "limit=", "limit"),
    ("word-limit", "limit=ten", "limit"),
    ("repeated-limit", "limit=1&limit=2", "limit"),
    ("repeated-region", "region=53&region=11", "region"),
    ("repeated-q", "q=a&q=b", "q"),
    ("nul-in-q", "q=a%00b", "q"),
    ("nul-in-filter", "region=%00", "region"),
    ("nul-in-sort", "sort=name%00", "sort"),
    ("60-kb-query", "q=" + "x" * 60_000, "q"),  # clients and servers cap URLs near 64 KB
    ("repeated-instant", "updated_since=2020-01-01T00:00:00Z&updated_since=2021-01-01T00:00:00Z", "updated_since"),
    ("sql-in-sort", "sort=name;DROP TABLE labs", "sort"),
    ("not-a-boolean", "include_total=maybe", "include_total"),
    ("unknown-output", "output=xml", "output"),
    ("unknown-parameter", "unknown=1", "unknown"),
]


async def test_a_bad_query_is_refused(app: FastAPI, client: httpx2.AsyncClient, subtests: pytest.Subtests) -> None:
    """On a list, for each of its parameters; and on a write, whose query nothing reads but this check."""
    lab = await factories.create_lab(client)
    before = await row_counts(app)
    for case, query, field in QUERIES:
        with subtests.test(case):
            assert_problem(await client.get(f"/api/v1/labs?{query}"), 422, field)
    for case, query, field in [("write-repeated", "a=1&a=2", "a"), ("write-nul", "a=%00", "a")]:
        with subtests.test(case):
            assert_problem(await client.patch(f"/api/v1/labs/{lab['id']}?{query}", json={"city": "Brest"}), 422, field)
    assert await row_counts(app) == before
    assert (await client.get(f"/api/v1/labs/{lab['id']}")).json() == lab


OTHER_QUERIES = [
    ("instant-as-number", "/api/v1/events", "starts_after=0", "starts_after"),
    ("unix-time", "/api/v1/events", "starts_after=1700000000", "starts_after"),
    ("year-1", "/api/v1/events", "starts_before=0001-01-01T00:00:00%2B01:00", "starts_before"),
    ("year-9999", "/api/v1/events", "starts_after=9999-12-31", "starts_after"),
    ("date-as-number", "/api/v1/campaigns", "starts_after=0", "starts_after"),
    ("naive-instant", "/api/v1/audit", "since=2024-01-01T00:00:00", "since"),
    ("fractional-unix-time", "/api/v1/audit", "since=0.5", "since"),
    ("audit-zero-limit", "/api/v1/audit", "limit=0", "limit"),
    ("nul-in-audit-filter", "/api/v1/audit", "actor=a%00", "actor"),
    ("changes-negative-limit", "/api/v1/changes", "limit=-5", "limit"),
    ("repeated-since", "/api/v1/changes", "since=1&since=2", "since"),
    ("stats-filter", "/api/v1/stats/events", "starts_after=0", "starts_after"),
    ("naive-updated-since", "/api/v1/labs", "updated_since=2024-01-01T00:00:00", "updated_since"),
    ("updated-since-year-1", "/api/v1/labs", "updated_since=0001-01-01T00:00:00%2B01:00", "updated_since"),
    ("updated-since-unix", "/api/v1/stats/events", "updated_since=0.5", "updated_since"),
]


async def test_bad_instants_limits_and_filters_elsewhere(
    anonymous: httpx2.AsyncClient, make_key: KeyMaker, subtests: pytest.Subtests
) -> None:
    anonymous.headers["Authorization"] = f"Bearer {await make_key('read', 'admin')}"
    for case, path, query, field in OTHER_QUERIES:
        with subtests.test(case):
            assert_problem(await anonymous.get(f"{path}?{query}"), 422, field)


def forge(payload: Any) -> str:
    """A cursor as the app makes them: URL-safe base64 of JSON, unpadded."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


ID = "6f1a3c2e-0000-4000-8000-000000000000"
CURSORS = [
    ("not-base64", "name", "!!!"),
    ("not-json", "name", forge(b"not json")),
    ("json-array", "name", forge([1, 2])),
    ("one-key", "name", forge({"s": "name", "k": ["a"]})),
    ("three-keys", "name", forge({"s": "name", "k": ["a", ID, 3]})),
    ("other-sort", "name", forge({"s": "-name", "k": ["a", ID]})),
    ("bad-id", "name", forge({"s": "name", "k": ["a", "not-a-uuid"]})),
    ("number-for-text", "name", forge({"s": "name", "k": [7, ID]})),
    ("nul-in-key", "name", forge({"s": "name", "k": ["a\x00", ID]})),
    ("object-key", "name", forge({"s": "name", "k": [{"$gt": ""}, ID]})),
    ("naive-instant", "updated_at", forge({"s": "updated_at", "k": ["2020-01-01T00:00:00", ID]})),
    ("year-1", "updated_at", forge({"s": "updated_at", "k": ["0001-01-01T00:00:00+01:00", ID]})),
    ("not-an-instant", "updated_at", forge({"s": "updated_at", "k": ["yesterday", ID]})),
    ("non-ascii", "name", "é" * 10),
]


async def test_a_forged_or_truncated_cursor_is_refused(client: httpx2.AsyncClient, subtests: pytest.Subtests) -> None:
    for _ in range(3):
        await factories.create_lab(client)
    cursor = (await client.get("/api/v1/labs", params={"limit": 1})).json()["next_cursor"]
    assert (await client.get("/api/v1/labs", params={"limit": 1, "cursor": cursor})).status_code == 200
    truncated = [(f"truncated-by-{cut}", "name", cursor[:-cut]) for cut in (1, 4, 10, 30)]
    for case, sort, forged in [*CURSORS, *truncated]:
        with subtests.test(case):
            assert_problem(await client.get("/api/v1/labs", params={"sort": sort, "cursor": forged}), 400)


OTHER_CURSORS = [
    ("audit-int64", "/api/v1/audit", "cursor=" + forge({"s": "id", "k": [2**64 - 1, 2**64 - 1]})),
    ("audit-float", "/api/v1/audit", "cursor=" + forge({"s": "id", "k": [1.5, 1]})),
    ("changes-beyond-64-bits", "/api/v1/changes", "since=99999999999999999999999"),
    ("changes-negative", "/api/v1/changes", "since=-1"),
    ("changes-arabic-digit", "/api/v1/changes", "since=%D9%A3"),
    (
        "money-beyond-64-bits",
        "/api/v1/allocations",
        "sort=amount_cents&cursor=" + forge({"s": "amount_cents", "k": [2**64 - 1, ID]}),
    ),
]


async def test_forged_cursors_elsewhere(
    anonymous: httpx2.AsyncClient, make_key: KeyMaker, subtests: pytest.Subtests
) -> None:
    anonymous.headers["Authorization"] = f"Bearer {await make_key('read', 'admin')}"
    for case, path, query in OTHER_CURSORS:
        with subtests.test(case):
            assert_problem(await anonymous.get(f"{path}?{query}"), 400)


async def test_nul_in_a_path_is_refused(client: httpx2.AsyncClient) -> None:
    lab = await factories.create_lab(client, slug="lab-nul")
    for path in ["/api/v1/labs/lab-nul%00", f"/api/v1/labs/{lab['id']}%00", "/api/v1/regions/5%003"]:
        assert_problem(await client.get(path), 422, "path")
    assert_problem(await client.delete("/api/v1/labs/lab-nul%00"), 422, "path")
    assert (await client.get("/api/v1/labs/lab-nul")).status_code == 200


async def test_nul_in_headers_is_refused(app: FastAPI, client: httpx2.AsyncClient) -> None:
    """Only an in-process client can send these (HTTP servers refuse NUL in headers): refused all the same."""
    lab = await factories.create_lab(client)
    before = await row_counts(app)
    response = await client.post("/api/v1/labs", json=LAB, headers={"Idempotency-Key": "key\x00"})
    assert_problem(response, 400)
    response = await client.patch(f"/api/v1/labs/{lab['id']}", json={"city": "Brest"}, headers={"If-Match": '"1\x00"'})
    assert_problem(response, 422)
    response = await client.post("/api/v1/labs", json=LAB, headers={"Authorization": "Bearer lr_\x00"})
    assert_problem(response, 401)
    assert await row_counts(app) == before
