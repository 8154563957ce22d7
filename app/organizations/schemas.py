"""Request and response shapes of organizations, and the SIRET and RNA identifiers they carry."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import EntityRead, ExternalId, Input, Name, Slug, Url, partial
from app.lists.params import ListParams
from app.reference.schemas import RegionParam

LA_POSTE_SIREN = "356000000"


class OrganizationKind(StrEnum):
    administration_centrale = "administration-centrale"
    service_deconcentre = "service-deconcentre"
    collectivite = "collectivite"
    operateur_public = "operateur-public"
    association = "association"
    ess = "ess"
    entreprise = "entreprise"
    autre = "autre"


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum INSEE uses for SIREN and SIRET numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _check_siret(value: str) -> str:
    if luhn_valid(value):
        return value
    # La Poste has more establishments than Luhn keys allow under one SIREN: INSEE checks their digit sum instead.
    if value.startswith(LA_POSTE_SIREN):
        if sum(map(int, value)) % 5 == 0:
            return value
        raise ValueError("not a valid SIRET: a La Poste SIRET passes Luhn or has a digit sum that is a multiple of 5")
    raise ValueError("not a valid SIRET: the Luhn checksum fails (check for a typo)")


Siret = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{14}$"),
    AfterValidator(_check_siret),
    Field(description="14 digits, Luhn-valid (SIREN + NIC).", examples=["73282932000074"]),
]
Rna = Annotated[
    str,
    StringConstraints(pattern=r"^W[0-9]{9}$"),
    Field(description="Association number in the RNA: `W` and 9 digits.", examples=["W751234567"]),
]


class OrganizationCreate(Input):
    """A public or social-economy actor: host of a lab, partner of a project, organizer of events, funder."""

    name: Name = Field(examples=["Conseil régional d'Occitanie"])
    slug: Slug | None = Field(default=None, description="Derived from the name when omitted.")
    external_id: ExternalId | None = None
    kind: OrganizationKind = Field(examples=[OrganizationKind.collectivite])
    siret: Siret | None = None
    rna: Rna | None = None
    region_code: str | None = Field(
        default=None, max_length=3, examples=["76"], description="INSEE code of the region."
    )
    website: Url | None = None


OrganizationUpdate = partial(
    OrganizationCreate, "OrganizationUpdate", "Fields to change on an organization (JSON merge patch)."
)


class OrganizationRead(EntityRead):
    """An organization as stored."""

    slug: str
    external_id: str | None
    name: str
    kind: OrganizationKind
    siret: str | None
    rna: str | None
    region_code: str | None
    website: str | None


class OrganizationFilters(ListParams):
    """Filters of the organization list."""

    kind: OrganizationKind | None = None
    region: RegionParam | None = Field(default=None, description="INSEE code or name.")
    sort: Literal["relevance", "name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = "name"
