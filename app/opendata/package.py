"""The Data Package descriptor (datapackage.org, v1) of the list exports: one CSV resource per list, its Table
Schema taken from the same columns the CSV is written from (app.exports.columns), its foreign keys from the
tables' own, under the Licence Ouverte 2.0."""

from typing import Any

from app.campaigns.service import CAMPAIGNS
from app.events.service import EVENTS
from app.exports.columns import columns, table_schema
from app.funding.service import ALLOCATIONS, STREAMS
from app.labs.service import LABS
from app.lists.listing import Listing
from app.organizations.service import ORGANIZATIONS
from app.projects.service import PROJECTS

LISTINGS: tuple[Listing, ...] = (ORGANIZATIONS, LABS, STREAMS, ALLOCATIONS, PROJECTS, CAMPAIGNS, EVENTS)
"""The lists exported whole, over HTTP (`?output=csv`) and by `lab-registry export`."""

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
NAME = "lab-registry"


def _foreign_keys(listing: Listing, resources: dict[str, str]) -> list[dict[str, Any]]:
    """The table's foreign keys that point at another exported list, on a column the CSV has."""
    exported = {column.name for column in columns(listing.read_model)}
    keys = []
    for key in sorted(listing.table.foreign_keys, key=lambda key: key.parent.name):
        target = resources.get(key.column.table.name)
        if key.parent.name in exported and target is not None:
            keys.append({"fields": [key.parent.name], "reference": {"resource": target, "fields": [key.column.name]}})
    return keys


def descriptor(api_url: str) -> dict[str, Any]:
    """The package: each resource's `path` is the file name its export is saved under (so a descriptor beside
    the downloaded files validates them), its `sources` the URL it is read from (`api_url` + the list's path)."""
    resources = {listing.table.name: listing.name for listing in LISTINGS}
    return {
        "profile": "data-package",
        "name": NAME,
        "title": "Registre des laboratoires d'innovation territoriale",
        "description": "Labs, funding, projects, campaigns and events of France's territorial public-innovation "
        "labs, as published by the registry: only published rows, in each list's default order.",
        "licenses": [LICENCE],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": listing.name,
                "path": f"{listing.name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "sources": [{"title": "Export", "path": f"{api_url}/{listing.name}?output=csv"}],
                "licenses": [LICENCE],
                "dialect": {"delimiter": ",", "header": True},
                "schema": {
                    **table_schema(listing.read_model, listing.tie),
                    "foreignKeys": _foreign_keys(listing, resources),
                },
            }
            for listing in LISTINGS
        ],
    }
