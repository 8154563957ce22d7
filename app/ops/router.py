"""Probes and metrics for the platform (load balancer, orchestrator, Prometheus), at the root and without a key.

They are left out of the OpenAPI document: they are the operators' interface, not the integrators' contract.
"""

import asyncio
import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from app.core.errors import problem_response
from app.ops import metrics
from app.ops.readiness import Schema, schema_state

router = APIRouter(include_in_schema=False)
logger = logging.getLogger("app.ops.ready")


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up and answering; says nothing of the database (that is /ready), so it never flaps."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> Response:
    """Whether this worker can serve: the database answers within READY_TIMEOUT_SECONDS and lacks none of the
    code's migrations (see app.ops.readiness). 503 problem+json otherwise, saying which, so that the load
    balancer takes the worker out of rotation."""
    timeout = request.app.state.settings.ready_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            schema = await schema_state(request.app.state.engine)
    except TimeoutError:
        logger.warning("Not ready: the database did not answer within %s s", timeout)
        return problem_response(
            request, 503, f"The database did not answer within {timeout:g} s.", slug="database-unreachable"
        )
    except Exception as exc:
        logger.warning("Not ready: the database is unreachable (%s: %s)", type(exc).__name__, exc)
        return problem_response(request, 503, "The database is unreachable.", slug="database-unreachable")
    if schema is Schema.behind:
        return problem_response(
            request,
            503,
            "The database schema is not at the code's migration head: run `lab-registry migrate`.",
            slug="migrations-pending",
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    """Prometheus text format; with several workers, the sum over all of them (see app.ops.metrics)."""
    body, content_type = await run_in_threadpool(metrics.exposition)
    return Response(body, media_type=content_type)
