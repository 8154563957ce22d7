"""French labels shown beside the stable codes of the figures: enums, months, ISO weeks, missing values.

Themes, formats, regions, labs, campaigns and streams take their labels from their own rows; the values below
have no table of their own.
"""

from typing import Final

from app.events.schemas import AttendanceMode, Audience
from app.funding.schemas import AllocationStatus
from app.organizations.schemas import OrganizationKind
from app.projects.schemas import ProjectKind, ProjectStatus

LAB_ORGANIZER: Final = "laboratoire"
"""The organizer kind of an event a lab holds with no organization named as organizer."""

PROJECT_STATUS: Final[dict[str, str]] = {
    ProjectStatus.exploring: "Exploration",
    ProjectStatus.designing: "Conception",
    ProjectStatus.piloting: "Expérimentation",
    ProjectStatus.scaling: "Passage à l'échelle",
    ProjectStatus.completed: "Terminé",
    ProjectStatus.abandoned: "Abandonné",
}

PROJECT_KIND: Final[dict[str, str]] = {ProjectKind.project: "Projet", ProjectKind.action: "Action"}

ATTENDANCE_MODE: Final[dict[str, str]] = {
    AttendanceMode.online: "En ligne",
    AttendanceMode.in_person: "En présentiel",
    AttendanceMode.hybrid: "Hybride",
}

AUDIENCE: Final[dict[str, str]] = {
    Audience.agents: "Agents publics",
    Audience.citizens: "Usagers et citoyens",
    Audience.all: "Tout public",
}

ORGANIZER_KIND: Final[dict[str, str]] = {
    OrganizationKind.administration_centrale: "Administration centrale",
    OrganizationKind.service_deconcentre: "Service déconcentré de l'État",
    OrganizationKind.collectivite: "Collectivité territoriale",
    OrganizationKind.operateur_public: "Opérateur public",
    OrganizationKind.association: "Association",
    OrganizationKind.ess: "Acteur de l'économie sociale et solidaire",
    OrganizationKind.entreprise: "Entreprise",
    OrganizationKind.autre: "Autre organisation",
    LAB_ORGANIZER: "Laboratoire d'innovation territoriale",
}

ALLOCATION_STATUS: Final[dict[str, str]] = {
    AllocationStatus.proposed: "Proposée",
    AllocationStatus.committed: "Engagée",
    AllocationStatus.cancelled: "Annulée",
}

NO_REGION: Final = "Région non renseignée"
NO_LAB: Final = "Sans laboratoire"
NO_CAMPAIGN: Final = "Hors campagne"
NO_DECISION_DATE: Final = "Date de décision non renseignée"

MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_label(key: str) -> str:
    """`2020-11` → « novembre 2020 »."""
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def week_label(key: str) -> str:
    """`2020-W47` → « semaine 47 (2020) » (ISO week and its ISO year)."""
    year, week = key.split("-W")
    return f"semaine {int(week)} ({year})"
