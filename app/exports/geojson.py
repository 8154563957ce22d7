"""GeoJSON FeatureCollections (RFC 7946), streamed a feature at a time."""

from collections.abc import AsyncIterator
from typing import Any

import orjson

GEOJSON_MEDIA_TYPE = "application/geo+json"


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
