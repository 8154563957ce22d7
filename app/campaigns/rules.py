"""The rules of campaigns, as plain functions: an event in a campaign lies within the campaign's dates, and new
dates leave none of its events outside. The event and campaign services and the importer call them; one wording
each. (They live here, not in `app.events`, because events already depend on campaigns.)"""

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo


def campaign_refusal(
    spans: Sequence[tuple[datetime, datetime]], zone: ZoneInfo, campaign: str, starts_on: date, ends_on: date
) -> str | None:
    """An event in a campaign happens within the campaign's days: each of its spans (the event's own for now,
    each session's once events have several), read as days where the event happens."""
    for starts_at, ends_at in spans:
        first, last = starts_at.astimezone(zone).date(), ends_at.astimezone(zone).date()
        if first < starts_on or last > ends_on:
            return (
                f"The event ({first} to {last}) lies outside the campaign '{campaign}' ({starts_on} to {ends_on}): "
                "an event in a campaign lies within the campaign's dates."
            )
    return None


def campaign_change_refusal(campaign: str, starts_on: date, ends_on: date, outside: int) -> str | None:
    """New dates of a campaign leave none of its events outside them."""
    if not outside:
        return None
    events = "1 event" if outside == 1 else f"{outside} events"
    return (
        f"{events} of the campaign '{campaign}' would lie outside its new dates ({starts_on} to {ends_on}): "
        "move them or take them out of the campaign first."
    )
