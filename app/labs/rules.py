"""The rules of labs, as plain functions the service and the importer call: one wording each."""

from typing import Any

from app.core.errors import FieldError, InvalidInput
from app.reference.data import REGION_NAMES, within_region


def located_in_region(values: dict[str, Any]) -> dict[str, Any]:
    """The row, when its point (if any) lies in its region's box (app.reference.data.REGION_BOUNDS): swapped
    coordinates or a point in another region are refused."""
    latitude, longitude, region = values.get("latitude"), values.get("longitude"), values.get("region_code")
    if latitude is None or longitude is None or region is None or within_region(region, latitude, longitude):
        return values
    name = REGION_NAMES.get(region, region)
    msg = f"({latitude}, {longitude}) is not in {name}: latitude first, then longitude"
    raise InvalidInput([FieldError(loc=["latitude"], msg=msg, type="outside_region")])
