"""The rules of events, as plain functions: when and where an event happens, read in the time zone it happens
in and stored in UTC. The service applies them to one write, the importer to each row; one wording each."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.core.errors import FieldError, InvalidInput
from app.reference.data import timezone_for_region


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
    for name in ("starts_at", "ends_at"):
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
