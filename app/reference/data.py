"""The reference rows the migrations seed; also used to resolve region names and time zones without a query."""

from typing import Final

from app.core.text import fold

PARIS: Final = "Europe/Paris"

# INSEE code, French name, the IANA zone local times are read in.
REGIONS: Final[tuple[tuple[str, str, str], ...]] = (
    ("01", "Guadeloupe", "America/Guadeloupe"),
    ("02", "Martinique", "America/Martinique"),
    ("03", "Guyane", "America/Cayenne"),
    ("04", "La Réunion", "Indian/Reunion"),
    ("06", "Mayotte", "Indian/Mayotte"),
    ("11", "Île-de-France", PARIS),
    ("24", "Centre-Val de Loire", PARIS),
    ("27", "Bourgogne-Franche-Comté", PARIS),
    ("28", "Normandie", PARIS),
    ("32", "Hauts-de-France", PARIS),
    ("44", "Grand Est", PARIS),
    ("52", "Pays de la Loire", PARIS),
    ("53", "Bretagne", PARIS),
    ("75", "Nouvelle-Aquitaine", PARIS),
    ("76", "Occitanie", PARIS),
    ("84", "Auvergne-Rhône-Alpes", PARIS),
    ("93", "Provence-Alpes-Côte d'Azur", PARIS),
    ("94", "Corse", PARIS),
)

THEMES: Final[tuple[tuple[str, str], ...]] = (
    ("service-usager", "Service à l'usager"),
    ("continuite-crise", "Continuité des services publics en temps de crise"),
    ("innovation-manageriale", "Innovation managériale"),
    ("territorial", "Innovation territoriale"),
    ("design", "Design"),
    ("engagement-citoyen", "Engagement citoyen"),
    ("ecoresponsable", "Services écoresponsables"),
)

EVENT_FORMATS: Final[tuple[tuple[str, str], ...]] = (
    ("webinaire", "Webinaire"),
    ("formation", "Formation"),
    ("atelier-decouverte", "Atelier découverte"),
    ("atelier", "Atelier"),
    ("conference", "Conférence"),
    ("hackathon", "Hackathon"),
    ("visite", "Visite"),
    ("autre", "Autre"),
)

TRAINING_FORMAT: Final = "formation"

REGION_TIMEZONES: Final[dict[str, str]] = {code: tz for code, _, tz in REGIONS}
REGION_NAMES: Final[dict[str, str]] = {code: name for code, name, _ in REGIONS}
_REGION_LOOKUP: Final[dict[str, str]] = {
    **{fold(name): code for code, name, _ in REGIONS},
    **{fold(name).replace("-", " "): code for code, name, _ in REGIONS},
    **{code: code for code, _, _ in REGIONS},
}


def region_code_for(value: str) -> str | None:
    """Resolve an INSEE code or a region name (any case, accents optional) to its code."""
    key = fold(value).strip()
    return _REGION_LOOKUP.get(key) or _REGION_LOOKUP.get(key.replace("-", " "))


def timezone_for_region(region_code: str | None) -> str:
    """The zone a local time given without offset is read in: the region's own, else Paris."""
    return REGION_TIMEZONES.get(region_code or "", PARIS)
