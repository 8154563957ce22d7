"""Idempotency-Key on POST: a retried create answers what the first attempt answered instead of creating twice.

A pure ASGI middleware, inside the body-size limit. For a POST under the API that carries the header and a valid
API key it:

1. reads the body (spooled to disk beyond a megabyte, for imports) and fingerprints the request: method, path and
   query, content type, body;
2. claims the key in a short transaction of its own, committed before the app runs. A row already there decides:
   still in flight → 409; done with the same fingerprint → the stored answer, replayed with
   `Idempotent-Replayed: true`; another fingerprint → 422; older than the TTL → deleted and claimed anew;
   unanswered and never applied for longer than the abandon delay → taken over (below). Without one, an INSERT
   guarded by the unique (caller, key) constraint claims it: of two workers racing on one key exactly one
   inserts, and the other reads the winner's row;
3. runs the app on the buffered body, the claim's id in the request's state: the request's own transaction
   marks the claim applied just before it commits (`mark_applied`, called by the session dependency), and is
   refused with 409 if its claim is no longer there;
4. holds the app's response until it is stored (status, body, Content-Type, Location, ETag) in another short
   transaction, so a client that saw an answer always gets it again. 4xx answers are stored: a refused request
   retried is refused alike. 5xx answers and crashes release the key, so the client can retry a failure.

A worker killed while it runs a request leaves its claim unanswered. Applied (killed between its commit and
storing the answer), the key answers 409 until it expires: the request must not run twice, and the client can
look its result up. Never applied (killed before its commit, which wrote nothing), the claim is taken over by a
retry once IDEMPOTENCY_ABANDONED_SECONDS have passed, and the request runs again. A first request that was only
slow, not dead, finds its claim gone when it commits and is refused (409): either way it is applied once.

The caller is the API key the Authorization header names (its hash looked up, as the access check does); keys are
scoped to it, so two integrators choosing the same key never meet. When the header names no valid key the
middleware stands aside: the app answers 401 as it would anyway.

POSTs whose answer carries a secret shown once (a new API key, a webhook secret: `excluded`) are never stored:
the header is refused there with 400, rather than ignored, so that no client believes a retry safe.

A 5xx raised after the app's commit releases the key and allows a second write; the commit is the last step of
a request, so only a failure while sending can do that.

Expired rows are ignored and replaced when their key comes back, and each worker deletes them at most every ten
minutes, by the indexed `created_at`.
"""

import copy
import hashlib
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from tempfile import SpooledTemporaryFile
from typing import Any, Final

import anyio
from sqlalchemy import and_, delete, event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.dependencies import resolve_caller
from app.core.db import REQUEST_STATE
from app.core.errors import PROBLEM_JSON, AppError, FieldError, problem_response
from app.core.security import bearer_token
from app.models.base import utcnow
from app.models.idempotency import IdempotencyKey

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
MAX_KEY_LENGTH: Final = 255
PURGE_INTERVAL_SECONDS: Final = 600.0
# The headers that make up the answer; the rest (security, CORS, request id) are the outer layers' to add again.
_STORED_HEADERS = frozenset({b"content-type", b"location", b"etag"})
_SPOOL_IN_MEMORY = 1_048_576
_CLAIM_STATE: Final = "idempotency_claim"
_CHUNK = 65_536

logger = logging.getLogger(__name__)


def applies_to(path: str, *, prefix: str, excluded: tuple[str, ...]) -> bool:
    """POSTs under `prefix` take the header, except on the paths `excluded` (answers that carry a secret)."""
    return path.startswith(prefix) and path.rstrip("/") not in excluded


def valid_key(value: str) -> bool:
    """1 to 255 printable ASCII characters."""
    return 1 <= len(value) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in value)


@dataclass(frozen=True)
class _Claimed:
    row_id: uuid.UUID


@dataclass(frozen=True)
class _Stored:
    status: int
    headers: list[list[str]]
    body: bytes


class _InFlight:
    pass


class _AnswerLost:
    pass


class _Mismatch:
    pass


_Claim = _Claimed | _Stored | _InFlight | _AnswerLost | _Mismatch


class _Body:
    """The request body, read once, replayed to the app in chunks; kept in memory up to a megabyte."""

    def __init__(self) -> None:
        self.file = SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
        self.digest = hashlib.sha256()
        self.size = 0

    async def read_from(self, receive: Receive) -> bool:
        """Read the whole body; False when the client went away first."""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk: bytes = message.get("body", b"")
            self.digest.update(chunk)
            self.file.write(chunk)
            self.size += len(chunk)
            if not message.get("more_body", False):
                self.file.seek(0)
                return True

    def replaying(self, receive: Receive) -> Receive:
        """A `receive` that hands the app the buffered body, then passes on what the client sends next."""
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                return await receive()
            chunk = self.file.read(_CHUNK)
            done = self.file.tell() >= self.size
            return {"type": "http.request", "body": chunk, "more_body": not done}

        return replay


def _fingerprint(scope: Scope, headers: Headers, body_digest: bytes) -> str:
    digest = hashlib.sha256()
    parts: Iterable[bytes] = (
        scope["method"].encode(),
        scope["path"].encode(),
        scope.get("query_string", b""),
        headers.get("content-type", "").encode("latin-1"),
        body_digest,
    )
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class ClaimTakenOver(AppError):
    status = 409
    slug = "idempotency-key-taken-over"


@event.listens_for(Session, "before_commit")
def _mark_applied(session: Session) -> None:
    """In the request's transaction, just before its commit: mark its claim applied, or refuse the commit when
    a retry took the claim over (this request ran too long without an answer and was taken for dead)."""
    row_id = getattr(session.info.get(REQUEST_STATE), _CLAIM_STATE, None)
    if row_id is None or session.in_nested_transaction():
        return
    marked = session.execute(
        update(IdempotencyKey)
        .where(col(IdempotencyKey.id) == row_id, col(IdempotencyKey.applied_at).is_(None))
        .values(applied_at=utcnow())
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimTakenOver(
            f"A retry with the same {HEADER} took this request over while it ran without an answer; "
            "it was not applied here. The retry's answer is the one that counts."
        )


class Idempotency:
    """Make POSTs that carry an `Idempotency-Key` safe to retry (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        ttl: timedelta,
        abandoned: timedelta = timedelta(seconds=60),
        excluded: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.ttl = ttl
        self.abandoned = abandoned
        self.excluded = excluded
        self._next_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        keys = headers.getlist(HEADER)
        token = bearer_token(headers.get("authorization", ""))
        if not keys or token is None:
            await self.app(scope, receive, send)
            return
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.sessionmaker
        caller = await self._caller(scope)
        if caller is None:
            await self.app(scope, receive, send)
            return
        if not applies_to(scope["path"], prefix=self.prefix, excluded=self.excluded):
            detail = (
                f"{HEADER} is not accepted here: the answer carries a secret shown only once, which is never "
                "stored, so it could not be replayed. Send the request without it; should its answer be lost, "
                "list what exists and remove the one you cannot use."
            )
            response = problem_response(Request(scope), 400, detail, slug="idempotency-key-not-accepted")
            await response(scope, receive, send)
            return
        if len(keys) > 1 or not valid_key(keys[0]):
            detail = f"{HEADER} must be sent once, as 1 to {MAX_KEY_LENGTH} printable ASCII characters."
            await problem_response(Request(scope), 400, detail, slug="idempotency-key-invalid")(scope, receive, send)
            return
        body = _Body()
        try:
            if not await body.read_from(receive):
                return
            fingerprint = _fingerprint(scope, headers, body.digest.digest())
            claim = await self._claim(sessions, caller, keys[0], fingerprint)
            if isinstance(claim, _Claimed):
                await self._run(scope, body.replaying(receive), send, sessions, claim.row_id)
            else:
                await self._refuse_or_replay(claim, scope, receive, send)
        finally:
            body.file.close()

    @staticmethod
    async def _caller(scope: Scope) -> uuid.UUID | None:
        """The id of the valid key the request presents, resolved as the app's access check resolves it."""
        try:
            caller = await resolve_caller(Request(scope))
        except AppError:
            return None
        return caller.key_id

    async def _claim(
        self, sessions: async_sessionmaker[AsyncSession], caller: uuid.UUID, key: str, fingerprint: str
    ) -> _Claim:
        """Read what holds the key, or insert it, in one short committed transaction.

        Reading first answers replays and duplicates without a write (on SQLite, without waiting for the write
        lock a request in flight holds); the INSERT, guarded by the unique constraint, decides between racers.
        """
        async with sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            same_key = (col(IdempotencyKey.api_key_id) == caller) & (col(IdempotencyKey.key) == key)
            # Losing the INSERT to a racer sends us round to read its row; so does a row released meanwhile.
            for _ in range(3):
                now = utcnow()
                expired, abandoned = now - self.ttl, now - self.abandoned
                row = (
                    await session.execute(
                        select(
                            col(IdempotencyKey.id),
                            col(IdempotencyKey.fingerprint),
                            col(IdempotencyKey.created_at),
                            col(IdempotencyKey.applied_at),
                            col(IdempotencyKey.response_status),
                            col(IdempotencyKey.response_headers),
                            col(IdempotencyKey.response_body),
                        ).where(same_key)
                    )
                ).one_or_none()
                if row is not None and row.created_at > expired:
                    if row.fingerprint != fingerprint:
                        return _Mismatch()
                    if row.response_status is not None:
                        return _Stored(row.response_status, row.response_headers or [], row.response_body or b"")
                    if row.applied_at is not None:
                        return _AnswerLost()
                    if row.created_at > abandoned:
                        return _InFlight()
                if row is not None:
                    # Only while still expired or abandoned: a concurrent claim may have replaced it already, and
                    # on PostgreSQL the first request marking it applied holds its row until it commits.
                    await session.execute(
                        delete(IdempotencyKey).where(
                            col(IdempotencyKey.id) == row.id,
                            or_(
                                col(IdempotencyKey.created_at) <= expired,
                                and_(
                                    col(IdempotencyKey.created_at) <= abandoned,
                                    col(IdempotencyKey.applied_at).is_(None),
                                    col(IdempotencyKey.response_status).is_(None),
                                ),
                            ),
                        )
                    )
                row_id = uuid.uuid4()
                inserted = await session.execute(
                    insert(IdempotencyKey)
                    .values(id=row_id, api_key_id=caller, key=key, fingerprint=fingerprint, created_at=now)
                    .on_conflict_do_nothing(index_elements=["api_key_id", "key"])
                    .returning(col(IdempotencyKey.id))
                )
                if inserted.scalar_one_or_none() is not None:
                    return _Claimed(row_id)
        return _InFlight()

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, sessions: async_sessionmaker[AsyncSession], row_id: uuid.UUID
    ) -> None:
        """Run the app, then store its answer before the client sees it (or release the key on a 5xx)."""
        start: Message | None = None
        chunks: list[bytes] = []
        settled = False

        async def capture(message: Message) -> None:
            nonlocal start, settled
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            settled = True
            if start["status"] >= 500:
                await self._release(sessions, row_id)
            else:
                kept = [
                    [n.decode("latin-1"), v.decode("latin-1")]
                    for n, v in start["headers"]
                    if n.lower() in _STORED_HEADERS
                ]
                await self._store(sessions, row_id, _Stored(start["status"], kept, body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        scope.setdefault("state", {})[_CLAIM_STATE] = row_id
        try:
            await self.app(scope, receive, capture)
        finally:
            if not settled:
                await self._release(sessions, row_id)
        await self._purge_now_and_then(sessions)

    async def _store(self, sessions: async_sessionmaker[AsyncSession], row_id: uuid.UUID, answer: _Stored) -> None:
        """Record the answer; if that fails the key stays in flight (409 on retry) rather than free (a duplicate)."""
        try:
            async with sessions() as session, session.begin():
                await session.execute(
                    update(IdempotencyKey)
                    .where(col(IdempotencyKey.id) == row_id)
                    .values(
                        response_status=answer.status,
                        response_headers=answer.headers,
                        response_body=answer.body,
                        completed_at=utcnow(),
                    )
                )
        except Exception:
            logger.exception("could not store the answer for idempotency key row %s", row_id)

    async def _release(self, sessions: async_sessionmaker[AsyncSession], row_id: uuid.UUID) -> None:
        """Free the key after a failure, even while the request is being cancelled."""
        with anyio.CancelScope(shield=True):
            try:
                async with sessions() as session, session.begin():
                    await session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.id) == row_id))
            except Exception:
                logger.exception("could not release idempotency key row %s; it expires with its TTL", row_id)

    async def _purge_now_and_then(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Delete expired keys, at most once per interval per worker: one indexed DELETE."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
        try:
            async with sessions() as session, session.begin():
                await session.execute(
                    delete(IdempotencyKey).where(col(IdempotencyKey.created_at) <= utcnow() - self.ttl)
                )
        except Exception:
            logger.exception("could not purge expired idempotency keys")

    async def _refuse_or_replay(self, claim: _Claim, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if isinstance(claim, _Stored):
            headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in claim.headers]
            headers += [(b"content-length", str(len(claim.body)).encode()), (REPLAYED_HEADER.lower().encode(), b"true")]
            await send({"type": "http.response.start", "status": claim.status, "headers": headers})
            await send({"type": "http.response.body", "body": claim.body})
        elif isinstance(claim, _AnswerLost):
            detail = (
                f"The request with this {HEADER} was applied, but its answer is not stored: it is being stored "
                "right now, or the server stopped before storing it. Retry in a moment; if this persists, look "
                "its result up instead of retrying."
            )
            response = problem_response(
                request, 409, detail, slug="idempotency-key-answer-lost", headers={"Retry-After": "1"}
            )
            await response(scope, receive, send)
        elif isinstance(claim, _InFlight):
            detail = f"A request with this {HEADER} is still being processed; retry once it has been answered."
            response = problem_response(
                request, 409, detail, slug="idempotency-key-in-flight", headers={"Retry-After": "1"}
            )
            await response(scope, receive, send)
        else:
            detail = f"This {HEADER} was already used for another request (method, path, query or body differ)."
            error = FieldError(loc=["header", HEADER], msg=detail, type="idempotency_key_reused")
            response = problem_response(request, 422, detail, slug="idempotency-key-reused", errors=[error])
            await response(scope, receive, send)


_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes the request safe to retry: the same key with the same request answers the first answer again "
        f"(with `{REPLAYED_HEADER}: true`) instead of creating twice; with another request it is 422; while the "
        "first is still being processed, 409. Keys are per API key and remembered for IDEMPOTENCY_TTL_HOURS "
        "(24 h by default). 5xx answers are not remembered."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x20-\\x7E]+$"},
}
_ERRORS = {
    "400": f"The {HEADER} is sent more than once, or is not 1 to {MAX_KEY_LENGTH} printable ASCII characters",
    "409": f"A request with the same {HEADER} is still in flight, or was applied but its answer was lost",
    "422": f"The {HEADER} was already used for another request",
}
_PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
_REPLAYED: dict[str, Any] = {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}


def document(schema: dict[str, Any], *, prefix: str, excluded: tuple[str, ...]) -> dict[str, Any]:
    """Add the header, its 400, 409 and 422 answers and the replay marker to every POST the middleware serves."""
    for path, item in schema.get("paths", {}).items():
        operation = item.get("post")
        if operation is None or not applies_to(path, prefix=prefix, excluded=excluded):
            continue
        operation.setdefault("parameters", []).append(copy.deepcopy(_PARAMETER))
        responses = operation.setdefault("responses", {})
        for status, description in _ERRORS.items():
            responses.setdefault(
                status, {"description": description, "content": {PROBLEM_JSON: copy.deepcopy(_PROBLEM)}}
            )
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})[REPLAYED_HEADER] = copy.deepcopy(_REPLAYED)
    return schema
