"""GeoJSON FeatureCollections (RFC 7946), streamed a feature at a time."""

from collections.abc import AsyncIterator
from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

GEOJSON_MEDIA_TYPE = "application/geo+json"

P = TypeVar("P")


class GeoJSONResponse(JSONResponse):
    """A GeoJSON answer, for OpenAPI only: as a route's `response_class` (a JSON one, so that FastAPI documents the
    route's `response_model` under this media type); the answer itself is streamed by app.lists.export.streamed."""

    media_type = GEOJSON_MEDIA_TYPE


class Point(BaseModel):
    """A position, `[longitude, latitude]` in WGS 84 (RFC 7946 §3.1.2)."""

    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=3)


class Feature(BaseModel, Generic[P]):
    """One item: its id, its Point (`null` when unlocated) and the item itself as `properties`."""

    type: Literal["Feature"]
    id: str | int
    geometry: Point | None
    properties: P


class FeatureCollection(BaseModel, Generic[P]):
    """The shape of a GeoJSON answer, for OpenAPI (the answer itself is streamed, never built as this model)."""

    type: Literal["FeatureCollection"]
    features: list[Feature[P]]


def point(
    feature_id: Any, longitude: float | None, latitude: float | None, properties: dict[str, Any]
) -> dict[str, Any]:
    """A Point feature at `[longitude, latitude]` (RFC 7946 §3.1.1), or an unlocated one (`geometry: null`, §3.2)."""
    located = longitude is not None and latitude is not None
    geometry = {"type": "Point", "coordinates": [longitude, latitude]} if located else None
    return {"type": "Feature", "id": feature_id, "geometry": geometry, "properties": properties}


async def feature_collection(features: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """`{"type": "FeatureCollection", "features": [` then the features, then `]}`."""
    yield b'{"type":"FeatureCollection","features":['
    separator = b""
    async for feature in features:
        yield separator + orjson.dumps(feature)
        separator = b","
    yield b"]}"
