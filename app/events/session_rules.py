"""The rules of sessions, as plain functions: local times read in the event's zone, no two scheduled sessions of
one event at the same time, and the event's dates as the span of its sessions. The event service, the session
service and the importer apply them; one wording each."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from app.core.errors import FieldError, InvalidInput
from app.events.rules import to_utc

CANCELLED = "cancelled"


def placed(session: Mapping[str, Any], zone: ZoneInfo, loc: Sequence[str | int] = ()) -> dict[str, Any]:
    """A session with its instants in UTC; InvalidInput locating each bad field under `loc`."""
    instants: dict[str, datetime] = {}
    errors: list[FieldError] = []
    for name in ("starts_at", "ends_at"):
        try:
            instants[name] = to_utc(session[name], zone, [*loc, name])
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    if instants["ends_at"] < instants["starts_at"]:
        raise InvalidInput(
            [FieldError(loc=[*loc, "ends_at"], msg="must be on or after starts_at", type="ends_before_start")]
        )
    return {**session, **instants}


def overlap(sessions: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    """Two sessions of one event held at the same time (their indexes, the earlier first); cancelled sessions take
    no time, and sessions that only touch (one ends as the next starts) do not overlap."""
    held = sorted(
        (index for index, session in enumerate(sessions) if session.get("status") != CANCELLED),
        key=lambda index: (sessions[index]["starts_at"], index),
    )
    for before, after in pairwise(held):
        if sessions[after]["starts_at"] < sessions[before]["ends_at"]:
            return before, after
    return None


def overlap_message(other: Mapping[str, Any], zone: ZoneInfo) -> str:
    start, end = (other[name].astimezone(zone).isoformat() for name in ("starts_at", "ends_at"))
    return f"overlaps another session of this event ({start} – {end}): its sessions are held one at a time"


def span(sessions: Sequence[Mapping[str, Any]]) -> dict[str, datetime]:
    """The event's `starts_at` and `ends_at`: from its first session's start to its last one's end, cancelled
    sessions included (an event whose sessions are all cancelled keeps its dates)."""
    return {
        "starts_at": min(session["starts_at"] for session in sessions),
        "ends_at": max(session["ends_at"] for session in sessions),
    }


def spanned(values: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """An event's values whose `sessions` are given: each placed in UTC, none overlapping, and the event's dates
    their span; refusals located under `sessions`."""
    sessions = [placed(item, zone, ["sessions", index]) for index, item in enumerate(values["sessions"])]
    found = overlap(sessions)
    if found is not None:
        before, after = found
        message = overlap_message(sessions[before], zone)
        raise InvalidInput([FieldError(loc=["sessions", after, "starts_at"], msg=message, type="sessions_overlap")])
    return {**values, "sessions": sessions, **span(sessions)}
