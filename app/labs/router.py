"""HTTP routes of labs."""

from functools import partial

from fastapi import APIRouter, Request, Response

from app.auth.dependencies import CallerDep
from app.core.db import SessionDep
from app.core.errors import error_responses
from app.core.schemas import Page, merge_patch
from app.crud.conditional import ItemRoute, created
from app.exports.geojson import GEOJSON_MEDIA_TYPE, FeatureCollection, GeoJSONResponse
from app.labs import service
from app.labs.dependencies import LabItem
from app.labs.schemas import LabCreate, LabFilters, LabRead, LabUpdate
from app.lists.export import streamed
from app.lists.fast import fast_list
from app.lists.params import LIST_EXPORTS
from app.lists.query import QueryModel
from app.models import Lab

router = APIRouter(route_class=ItemRoute, prefix="/labs", tags=["labs"])


@router.get("", response_model=Page[LabRead], responses={**LIST_EXPORTS, **error_responses(400, 422)})
@fast_list(service.LABS)
async def list_labs(request: Request, params: QueryModel[LabFilters]) -> Response:
    """List labs, filtered and keyset-paginated."""
    return await service.LABS.respond(request, params)


@router.get(
    ".geojson",
    response_class=GeoJSONResponse,
    response_model=FeatureCollection[LabRead],
    responses=error_responses(400, 422),
)
async def labs_geojson(request: Request, caller: CallerDep, params: QueryModel[LabFilters]) -> Response:
    """The matching labs as an RFC 7946 FeatureCollection ([lon, lat]; `geometry: null` when unlocated)."""
    chunks = partial(service.geojson_chunks, params=params, caller=caller)
    return await streamed(request, chunks, GEOJSON_MEDIA_TYPE, 'inline; filename="labs.geojson"')


@router.post("", status_code=201, response_model=LabRead, responses=error_responses(409, 422))
async def create_lab(session: SessionDep, request: Request, response: Response, body: LabCreate) -> Lab:
    """Create a lab; its slug is derived from the name unless given."""
    lab = await service.create_lab(session, body)
    created(request, response, lab, "get_lab", lab=str(lab.id))
    return lab


@router.get("/{lab}", response_model=LabRead, responses=error_responses(404))
async def get_lab(lab: LabItem) -> Lab:
    """Read one lab, by id or slug."""
    return lab


@router.patch("/{lab}", response_model=LabRead, responses=error_responses(404, 409, 422))
async def update_lab(session: SessionDep, lab: LabItem, body: LabUpdate) -> Lab:  # type: ignore[valid-type]
    """Change some fields of a lab (JSON merge patch: `null` clears a field)."""
    return await service.replace_lab(session, lab, merge_patch(LabCreate, lab, body))


@router.put("/{lab}", response_model=LabRead, responses=error_responses(404, 409, 422))
async def replace_lab(session: SessionDep, lab: LabItem, body: LabCreate) -> Lab:
    """Replace a lab with a full representation; omitted optional fields are cleared."""
    return await service.replace_lab(session, lab, body)


@router.delete("/{lab}", status_code=204, responses=error_responses(404, 409))
async def delete_lab(session: SessionDep, lab: LabItem) -> None:
    """Delete a lab; refused (409) while projects, events or allocations name it."""
    await service.delete_lab(session, lab)
