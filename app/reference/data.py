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


# Where each region lies, as a box (south, west, north, east) in WGS84 degrees, drawn a few kilometres wider than
# the region: it refuses swapped coordinates and a point in another region or abroad, not a point just across a
# border with a neighbouring region (docs/api.md says so).
REGION_BOUNDS: Final[dict[str, tuple[float, float, float, float]]] = {
    "01": (15.8, -61.85, 16.55, -60.95),
    "02": (14.35, -61.25, 14.9, -60.8),
    "03": (2.1, -54.65, 5.85, -51.6),
    "04": (-21.4, 55.2, -20.85, 55.85),
    "06": (-13.05, 44.95, -12.6, 45.35),
    "11": (48.1, 1.4, 49.25, 3.6),
    "24": (46.3, 0.0, 48.95, 3.15),
    "27": (46.1, 2.8, 48.45, 7.2),
    "28": (48.15, -1.97, 50.1, 1.85),
    "32": (48.8, 1.35, 51.1, 4.3),
    "44": (47.4, 3.35, 50.2, 8.25),
    "52": (46.25, -2.65, 48.6, 0.95),
    "53": (47.25, -5.2, 48.9, -1.0),
    "75": (42.75, -1.85, 47.2, 2.65),
    "76": (42.3, -0.35, 45.1, 4.9),
    "84": (44.1, 2.05, 46.85, 7.2),
    "93": (42.95, 4.2, 45.15, 7.75),
    "94": (41.3, 8.5, 43.05, 9.6),
}


def within_region(region_code: str, latitude: float, longitude: float) -> bool:
    """Whether a point lies in the region's box (a region without a box takes any point)."""
    bounds = REGION_BOUNDS.get(region_code)
    if bounds is None:
        return True
    south, west, north, east = bounds
    return south <= latitude <= north and west <= longitude <= east


def region_at(latitude: float, longitude: float) -> str | None:
    """A region whose box holds the point, or None when it lies outside France and its overseas regions."""
    return next((code for code in REGION_BOUNDS if within_region(code, latitude, longitude)), None)


def department_of(commune_code: str) -> str:
    """The département of an INSEE commune code: its first two characters (`35`, `2A`), three overseas (`974`)."""
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]
