"""Labs as a GeoJSON FeatureCollection (RFC 7946), streamed.

Positions are `[longitude, latitude]` (WGS84), as RFC 7946 §3.1.1 orders them. A lab without coordinates is
still a feature, with `"geometry": null` (RFC 7946 §3.2 allows an unlocated feature), so the collection holds
every lab the filters match and a map simply skips those it cannot place. Each feature's `id` is the lab's
id and its `properties` are the lab exactly as the JSON list shows it.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.lists import SOURCES, records
from app.labs.schemas import LabFilters

GEOJSON_MEDIA_TYPE = "application/geo+json"


def feature(lab: Mapping[str, Any]) -> dict[str, Any]:
    """A lab as a Point feature, or an unlocated one."""
    located = lab["longitude"] is not None and lab["latitude"] is not None
    geometry = {"type": "Point", "coordinates": [lab["longitude"], lab["latitude"]]} if located else None
    return {"type": "Feature", "id": lab["id"], "geometry": geometry, "properties": dict(lab)}


async def geojson_chunks(session: AsyncSession, params: LabFilters) -> AsyncIterator[bytes]:
    """`{"type": "FeatureCollection", "features": [` then one feature at a time, then `]}`."""
    yield b'{"type":"FeatureCollection","features":['
    separator = b""
    async for lab in records(session, SOURCES["labs"], params):
        yield separator + orjson.dumps(feature(lab))
        separator = b","
    yield b"]}"
