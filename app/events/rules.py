"""The rules of events, as plain functions: when and where an event happens, read in the time zone it happens
in and stored in UTC. The service applies them to one write, the importer to each row; one wording each."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.core.errors import FieldError, InvalidInput
from app.reference.data import department_of, timezone_for_region

PLACE_KEYS = ("name", "address", "postal_code", "city", "commune_code", "latitude", "longitude")
ONLINE, IN_PERSON = "online", "in-person"


def to_utc(value: datetime, zone: ZoneInfo, loc: list[str | int]) -> datetime:
    """The instant a datetime names, in UTC; one without an offset is a local time in `zone`. An ambiguous local
    time (clocks going back) is its first occurrence; one the clocks skip does not exist and is refused."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    aware = value.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        msg = f"{value.isoformat()} does not exist in {zone.key}: the clocks skip that hour (daylight saving time)"
        raise InvalidInput([FieldError(loc=loc, msg=msg, type="nonexistent_local_time")])
    return aware.astimezone(UTC)


def zone_for(values: dict[str, Any], holder_region: str | None) -> tuple[str | None, str]:
    """The row's region (else its holder's) and the time zone its local times are read in (else its region's)."""
    region_code = values.get("region_code") or holder_region
    return region_code, values.get("timezone") or timezone_for_region(region_code)


def placed_in_time(values: dict[str, Any], holder_region: str | None) -> dict[str, Any]:
    """The row with its region (else its lab's or organizer's, `holder_region`), its zone (else its region's),
    its instants in UTC and its local start day; InvalidInput locating each bad field by its name."""
    region_code, zone_name = zone_for(values, holder_region)
    zone = ZoneInfo(zone_name)
    instants: dict[str, datetime] = {}
    errors: list[FieldError] = []
    for name in ("starts_at", "ends_at", "registration_deadline"):
        if values.get(name) is None:
            continue
        try:
            instants[name] = to_utc(values[name], zone, [name])
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    if instants["ends_at"] < instants["starts_at"]:
        raise InvalidInput([FieldError(loc=["ends_at"], msg="must be on or after starts_at", type="ends_before_start")])
    local_day = instants["starts_at"].astimezone(zone).date()
    return {**values, **instants, "region_code": region_code, "timezone": zone_name, "local_start_date": local_day}


def _refused(field: str, msg: str, kind: str) -> InvalidInput:
    return InvalidInput([FieldError(loc=[field], msg=msg, type=kind)])


def placed_in_space(values: dict[str, Any]) -> dict[str, Any]:
    """The row with its place (`city` alone is the place's city; with a place, the place's city is the city),
    what its attendance mode needs (a city in person, a link online, both hybrid), the place's point and commune
    as indexed columns of their own, and the places left; InvalidInput naming the field at fault."""
    place = values.get("place")
    city = values.get("city")
    if place is not None:
        place = {key: place.get(key) for key in PLACE_KEYS}
        place["city"] = place["city"] or city
    elif city:
        place = {**dict.fromkeys(PLACE_KEYS), "city": city}
    if place is not None and all(value is None for value in place.values()):
        place = None
    mode = str(values["attendance_mode"])
    if mode != ONLINE and (place is None or not place["city"]):
        raise _refused("place", f"attendance_mode {mode} needs a place with at least its city", "place_missing")
    if mode != IN_PERSON and not values.get("online_url"):
        raise _refused("online_url", f"attendance_mode {mode} needs an online_url", "online_url_missing")
    commune = place["commune_code"] if place is not None else None
    capacity, registered = values.get("capacity"), values.get("registered_count")
    places_left = None if capacity is None else max(capacity - (registered or 0), 0)
    return {
        **values,
        "place": place,
        "city": place["city"] if place is not None else None,
        "latitude": place["latitude"] if place is not None else None,
        "longitude": place["longitude"] if place is not None else None,
        "commune_code": commune,
        "department_code": department_of(commune) if commune is not None else None,
        "places_left": places_left,
        "is_full": places_left == 0,
    }
