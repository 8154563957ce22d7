"""The demo dataset, generated in pure Python: the same records, in the same order, on every run, keyed by stable
external ids (`demo-…`) and shaped to reproduce the figures of the DITP press release of 1 December 2020.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from app.demo.catalog import (
    ABANDON_REASONS,
    ACTION_RESULTS,
    ACTION_SUBJECTS,
    APPROACHES,
    CAMPAIGN_TOPICS,
    COMMUNES,
    DEMO_NOTE,
    FORMAT_PREFIXES,
    LAB_EVENTS,
    LABS,
    LESSONS,
    NATIONAL_ORGANIZATIONS,
    PROJECT_SUBJECTS,
    REGIONAL_ORGANIZATIONS,
    RESULTS,
    RNA_DEPARTMENT,
    THEME_CODES,
    TRAINING_COURSES,
    UNCOVERED_ORGANIZERS,
    LabSpec,
    OrganizationSpec,
)
from app.reference.data import timezone_for_region

SEED: Final = 2020

PROJECTS: Final = 140
ACTIONS: Final = 58
REPLICAS: Final = 8
TRAINING_SESSIONS: Final = 500
LAB_EVENT_COUNT: Final = 30

CAMPAIGN_SLUG: Final = "mois-innovation-publique-2020"
CAMPAIGN_START: Final = date(2020, 11, 1)
CAMPAIGN_END: Final = date(2020, 11, 30)
CAMPAIGN_THEMES: Final[dict[str, int]] = {
    "service-usager": 100,
    "innovation-manageriale": 66,
    "territorial": 57,
    "continuite-crise": 36,
    "design": 35,
    "engagement-citoyen": 32,
    "ecoresponsable": 30,
}
CAMPAIGN_FORMATS: Final[dict[str, int]] = {
    "webinaire": 150,
    "atelier-decouverte": 72,
    "formation": 62,
    "atelier": 38,
    "conference": 22,
    "hackathon": 6,
    "visite": 6,
}

# The day before the press release: what is "now" for the statuses of the projects.
AS_OF: Final = date(2020, 11, 30)
LOCKDOWN_START: Final = date(2020, 3, 17)
LOCKDOWN_END: Final = date(2020, 5, 11)

# The bodies the source names organize many of the campaign's events (relative weights).
CAMPAIGN_ORGANIZER_WEIGHTS: Final[dict[str, int]] = {
    "ministere-interieur": 16,
    "departement-nord": 14,
    "ditp": 12,
    "banque-des-territoires": 12,
    "region-occitanie": 12,
    "anct": 8,
    "ministere-transformation": 6,
    "reseau-tiers-lieux": 4,
    "usages-territoires": 2,
}

T = TypeVar("T")


class Kind(StrEnum):
    """The kinds of record, in the order they are loaded (each after the kinds it references)."""

    organization = "organizations"
    lab = "labs"
    stream = "funding streams"
    project = "projects"
    partner = "project partners"
    allocation = "allocations"
    disbursement = "disbursements"
    campaign = "campaigns"
    event = "events"


@dataclass(frozen=True)
class Ref:
    """Another record of the dataset, by external id; the seed replaces it with that row's id."""

    external_id: str


@dataclass(frozen=True)
class Record:
    """One entity to create: its external id, its fields (with `Ref`s), and its parent's external id if nested."""

    external_id: str
    fields: dict[str, Any]
    parent: str | None = None


@dataclass(frozen=True)
class Dataset:
    """Records by kind, each list in load order."""

    records: dict[Kind, list[Record]]


@dataclass
class _ProjectDraft:
    lab: LabSpec
    kind: str
    subject: str
    territory: str
    theme: str
    status: str
    starts_on: date
    ends_on: date | None
    users: int
    agents: int
    secondary: list[str] = field(default_factory=list)
    external_id: str = ""
    title: str = ""
    summary: str = ""
    results: str | None = None
    lessons: str | None = None
    replicates: str | None = None


def org_id(key: str) -> str:
    return f"demo-org-{key}"


def lab_id(key: str) -> str:
    return f"demo-lab-{key}"


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights`, rounding by largest remainder so the parts add up exactly."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def luhn_complete(prefix: str) -> str:
    """`prefix` followed by the digit that makes the whole number pass the Luhn check (SIREN, SIRET)."""
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("one of ten digits always completes a Luhn number")


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))


CYCLE_EVERY: Final = 50
"""One training in 50 is a cycle: its first session where the training was, then the same time a week and two
weeks later. Its start, and so every figure, stays; a training counts once however many sessions it has."""


def as_cycle(fields: dict[str, Any]) -> dict[str, Any]:
    """A training held three times a week apart (the same local time: the zone's wall clock)."""
    starts_at, ends_at = fields["starts_at"], fields["ends_at"]
    weeks = [timedelta(weeks=n) for n in range(3)]
    cycle = [{"starts_at": starts_at + week, "ends_at": ends_at + week} for week in weeks]
    # Its dates, as the API makes them: the span of its sessions.
    spanned = {"starts_at": cycle[0]["starts_at"], "ends_at": cycle[-1]["ends_at"]}
    return {**fields, **spanned, "title": f"{fields['title']} (cycle de trois séances)", "sessions": cycle}


def _campaign_days() -> list[date]:
    """Working days of November 2020 (11 November is a public holiday)."""
    days = [CAMPAIGN_START + timedelta(days=n) for n in range((CAMPAIGN_END - CAMPAIGN_START).days + 1)]
    return [d for d in days if d.weekday() < 5 and d != date(2020, 11, 11)]


class _Builder:
    """Draws every record from one seeded generator; the order of the draws is part of the dataset."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.records: dict[Kind, list[Record]] = {kind: [] for kind in Kind}
        self.organizations: dict[str, OrganizationSpec] = {
            spec.key: spec for spec in (*NATIONAL_ORGANIZATIONS, *REGIONAL_ORGANIZATIONS, *UNCOVERED_ORGANIZERS)
        }
        self.funded = [lab for lab in LABS if lab.status == "active"]
        self.sirets: set[str] = set()
        self.titles: set[str] = set()
        self.projects: list[_ProjectDraft] = []
        self.partners: dict[str, list[tuple[str, str]]] = {}

    def add(self, kind: Kind, external_id: str, fields: dict[str, Any], parent: str | None = None) -> None:
        if kind is Kind.event:
            fields = _placed_and_open(external_id, fields)
        self.records[kind].append(Record(external_id, fields, parent))

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def regional(self, region_code: str, *kinds: str) -> list[OrganizationSpec]:
        return [
            spec
            for spec in REGIONAL_ORGANIZATIONS
            if spec.region_code == region_code and spec.kind in kinds and not spec.key.startswith("prefecture-")
        ]

    def siret(self, kind: str) -> str:
        """A Luhn-valid SIREN, then a Luhn-valid SIRET; public bodies' SIRENs start with 1 (State) or 2 (local)."""
        first = {
            "administration-centrale": "1",
            "service-deconcentre": "1",
            "operateur-public": "1",
            "collectivite": "2",
        }
        while True:
            head = first.get(kind) or str(self.rng.randint(3, 9))
            siren = luhn_complete(head + f"{self.rng.randrange(10**7):07d}")
            siret = luhn_complete(siren + f"{self.rng.randrange(10**4):04d}")
            if siret not in self.sirets:
                self.sirets.add(siret)
                return siret

    def rna(self, region_code: str) -> str:
        department = RNA_DEPARTMENT.get(region_code, "75")
        return f"W{department}{self.rng.randrange(10 ** (9 - len(department))):0{9 - len(department)}d}"

    def build_organizations(self) -> None:
        for spec in self.organizations.values():
            fields: dict[str, Any] = {"name": spec.name, "kind": spec.kind, "region_code": spec.region_code}
            if spec.website:
                fields["website"] = spec.website
            if spec.kind == "association":
                fields["rna"] = self.rna(spec.region_code)
                if self.rng.random() < 0.5:
                    fields["siret"] = self.siret(spec.kind)
            else:
                fields["siret"] = self.siret(spec.kind)
            self.add(Kind.organization, org_id(spec.key), fields)

    def build_labs(self) -> None:
        for lab in LABS:
            host = self.organizations[f"prefecture-{lab.key}"]
            if lab.founded_on is None:
                description = (
                    f"Laboratoire en préfiguration à {lab.city}, porté par la {host.name[0].lower()}{host.name[1:]} "
                    f"pour doter la région d'un lieu d'innovation publique : {lab.focus}. {DEMO_NOTE}"
                )
            else:
                description = (
                    f"Laboratoire d'innovation territoriale hébergé par la {host.name[0].lower()}{host.name[1:]}, "
                    f"ouvert à {lab.city} en {lab.founded_on.year}. Ses priorités : {lab.focus}. Il accompagne les "
                    "services de l'État et les collectivités, forme les agents et anime la communauté régionale "
                    f"de l'innovation publique. {DEMO_NOTE}"
                )
            fields: dict[str, Any] = {
                "name": lab.name,
                "slug": lab.key,
                "region_code": lab.region_code,
                "city": lab.city,
                "host_organization_id": Ref(org_id(host.key)),
                "status": lab.status,
                "founded_on": lab.founded_on,
                "website": f"https://{lab.key}.labs.demo.example",
                "contact_email": f"contact@{lab.key}.labs.demo.example",
                "latitude": lab.latitude,
                "longitude": lab.longitude,
                "description": description,
            }
            self.add(Kind.lab, lab_id(lab.key), fields)

    def build_streams(self) -> None:
        self.add(
            Kind.stream,
            "demo-stream-ftap",
            {
                "code": "FTAP",
                "name": "Fonds pour la transformation de l'action publique",
                "description": "Finance les projets de transformation des administrations, dont l'amorçage et le "
                f"renforcement des laboratoires d'innovation territoriale. {DEMO_NOTE}",
                "managing_organization_id": Ref(org_id("ditp")),
                "envelope_cents": 70_000_000_000,
                "starts_on": date(2017, 1, 1),
                "ends_on": date(2022, 12, 31),
            },
        )
        self.add(
            Kind.stream,
            "demo-stream-relance",
            {
                "code": "RELANCE",
                "name": "France Relance",
                "description": "Volet innovation publique territoriale du plan de relance : amplifier les actions "
                f"des laboratoires et les projets menés avec les collectivités locales. {DEMO_NOTE}",
                "managing_organization_id": Ref(org_id("ditp")),
                "envelope_cents": 1_000_000_000,
                "starts_on": date(2020, 9, 3),
                "ends_on": date(2022, 12, 31),
            },
        )

    def project_theme(self, starts_on: date, subjects: dict[str, tuple[str, ...]]) -> str:
        weights = {
            "service-usager": 30,
            "territorial": 18,
            "innovation-manageriale": 15,
            "design": 12,
            "engagement-citoyen": 10,
            "ecoresponsable": 7,
            "continuite-crise": 25 if starts_on >= date(2020, 3, 1) else 0,
        }
        codes = [code for code in THEME_CODES if weights[code] and subjects.get(code)]
        return self.rng.choices(codes, weights=[weights[c] for c in codes])[0]

    def unique_title(self, subject: str, lab: LabSpec) -> tuple[str, str]:
        territories = list(lab.territories)
        self.rng.shuffle(territories)
        for territory in territories:
            title = f"{subject} – {territory}"
            if title not in self.titles:
                self.titles.add(title)
                return title, territory
        n = 2
        while f"{subject} – {lab.city} ({n})" in self.titles:
            n += 1
        title = f"{subject} – {lab.city} ({n})"
        self.titles.add(title)
        return title, lab.city

    def lifecycle(self, kind: str, starts_on: date) -> tuple[str, date | None]:
        """Status and end date as of the press release, from when the project started and how long it runs."""
        duration = self.rng.randint(150, 720) if kind == "project" else self.rng.randint(14, 120)
        elapsed = (AS_OF - starts_on).days
        if elapsed >= duration:
            roll = self.rng.random()
            if roll < 0.1:
                return "abandoned", starts_on + timedelta(days=int(duration * self.rng.uniform(0.3, 0.8)))
            if kind == "project" and roll < 0.3:
                return "scaling", None
            return "completed", starts_on + timedelta(days=duration)
        progress = elapsed / duration
        if kind == "action":
            return ("designing" if progress < 0.3 else "piloting"), None
        for limit, status in ((0.15, "exploring"), (0.4, "designing"), (0.75, "piloting")):
            if progress < limit:
                return status, None
        return "scaling", None

    def reach(self, kind: str, status: str) -> tuple[int, int]:
        """Users and agents involved: most projects touch a few hundred people, a few several thousand."""
        factor = {"exploring": 0.2, "designing": 0.4, "piloting": 0.8, "abandoned": 0.3}.get(status, 1.0)
        if kind == "action":
            return int(self.rng.randint(0, 150) * factor), int(self.rng.randint(10, 160) * factor)
        roll = self.rng.random()
        if roll < 0.55:
            users = self.rng.randint(20, 150)
        elif roll < 0.9:
            users = self.rng.randint(150, 500)
        else:
            users = self.rng.randint(500, 2000)
        return int(users * factor), int(self.rng.randint(6, 90) * factor)

    def draft_project(self, lab: LabSpec, kind: str) -> _ProjectDraft:
        assert lab.founded_on is not None
        subjects = PROJECT_SUBJECTS if kind == "project" else ACTION_SUBJECTS
        starts_on = self.between(lab.founded_on + timedelta(days=20), date(2020, 10, 15))
        theme = self.project_theme(starts_on, subjects)
        subject = self.pick(subjects[theme])
        status, ends_on = self.lifecycle(kind, starts_on)
        users, agents = self.reach(kind, status)
        draft = _ProjectDraft(lab, kind, subject, "", theme, status, starts_on, ends_on, users, agents)
        draft.title, draft.territory = self.unique_title(subject, lab)
        others = [c for c in THEME_CODES if c != theme and (c != "continuite-crise" or starts_on >= date(2020, 3, 1))]
        draft.secondary = self.rng.sample(others, self.rng.choice((0, 0, 1, 1, 2)))
        if kind == "project":
            draft.summary = f"{subject}, {draft.territory}. Démarche du lab : {self.pick(APPROACHES)} {DEMO_NOTE}"
        else:
            draft.summary = (
                f"{subject} ({draft.territory}) : action conduite par {lab.name} pour diffuser les méthodes "
                f"de l'innovation publique auprès des agents et des partenaires. {DEMO_NOTE}"
            )
        self.outcome(draft)
        return draft

    def outcome(self, draft: _ProjectDraft) -> None:
        """Results for what went far enough to show some, lessons for what is over."""
        rng = self.rng
        if draft.status == "abandoned":
            draft.results = f"Projet arrêté : {self.pick(ABANDON_REASONS)}."
            draft.lessons = self.pick(LESSONS)
        elif draft.status in ("completed", "scaling"):
            a = rng.randint(45, 70)
            draft.results = self.pick(RESULTS if draft.kind == "project" else ACTION_RESULTS).format(
                p=rng.randint(15, 60),
                n=max(draft.users, 12),
                g=max(draft.agents, 3),
                t=max(draft.users + draft.agents, 12),
                a=a,
                b=a + rng.randint(10, 25),
                k=rng.randint(2, 14),
                m=rng.randint(3, 12),
            )
            if draft.status == "completed":
                draft.lessons = " ".join(rng.sample(LESSONS, 2))

    @staticmethod
    def phases(draft: _ProjectDraft) -> list[tuple[str, date]]:
        """The phases the project went through up to its status of the press release, each with the day it began:
        the first on its start day, a final one (completed, abandoned) on its end day, the others in between.

        Drawn from a generator of the project's own, so the other draws of the dataset stay as they were."""
        rng = random.Random(f"{SEED} phases {draft.external_id}")
        ladder = ["designing", "piloting"] if draft.kind == "action" else ["exploring", "designing", "piloting"]
        if draft.status == "abandoned":
            steps = [*ladder[: rng.randint(1, 2)], "abandoned"]
        elif draft.status in ("completed", "scaling"):
            steps = [*ladder, draft.status]
        else:
            steps = ladder[: ladder.index(draft.status) + 1]
        last = draft.ends_on if draft.status in ("completed", "abandoned") and draft.ends_on else AS_OF
        span = (last - draft.starts_on).days
        cuts = sorted(rng.randint(0, span) for _ in steps[1:])
        if draft.status in ("completed", "abandoned"):
            cuts[-1] = span
        return [(status, draft.starts_on + timedelta(days=cut)) for status, cut in zip(steps, [0, *cuts], strict=True)]

    def build_projects(self) -> None:
        weights = [float((AS_OF - lab.founded_on).days) for lab in self.funded if lab.founded_on is not None]
        for kind, total in (("project", PROJECTS), ("action", ACTIONS)):
            for lab, count in zip(self.funded, apportion(total, weights), strict=True):
                self.projects.extend(self.draft_project(lab, kind) for _ in range(count))
        self.projects.sort(key=lambda d: (d.starts_on, d.kind, d.title))
        numbers = {"project": 0, "action": 0}
        for draft in self.projects:
            numbers[draft.kind] += 1
            draft.external_id = f"demo-{draft.kind}-{numbers[draft.kind]:03d}"
        self.replicate()
        for draft in self.projects:
            self.add(Kind.project, draft.external_id, self.project_fields(draft))
        for draft in self.projects:
            self.build_partners(draft)

    def replicate(self) -> None:
        """A handful of successes taken to other regions (« comment passer à l'échelle ? »), two of them twice."""
        originals = [
            d
            for d in self.projects
            if d.kind == "project" and d.status in ("completed", "scaling") and d.starts_on < date(2019, 4, 1)
        ]
        chosen = sorted(self.rng.sample(originals, REPLICAS - 2), key=self.projects.index)
        taken = {d.external_id for d in chosen}
        for n, original in enumerate(chosen):
            for _ in range(2 if n < 2 else 1):
                candidates = [
                    d
                    for d in self.projects
                    if d.kind == "project"
                    and d.lab.key != original.lab.key
                    and d.external_id not in taken
                    and d.starts_on >= original.starts_on + timedelta(days=270)
                ]
                replica = self.pick(candidates)
                taken.add(replica.external_id)
                self.titles.discard(replica.title)
                replica.subject, replica.theme = original.subject, original.theme
                replica.secondary = [c for c in replica.secondary if c != original.theme]
                replica.title, replica.territory = self.unique_title(original.subject, replica.lab)
                replica.replicates = original.external_id
                replica.summary = (
                    f"Essaimage du projet « {original.title} » mené par {original.lab.name} : {replica.lab.name} "
                    f"l'adapte à son territoire avec les partenaires locaux. {DEMO_NOTE}"
                )
                self.outcome(replica)

    @staticmethod
    def project_fields(draft: _ProjectDraft) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "title": draft.title,
            "kind": draft.kind,
            "lab_id": Ref(lab_id(draft.lab.key)),
            "region_code": draft.lab.region_code,
            "summary": draft.summary,
            "theme_code": draft.theme,
            "secondary_themes": draft.secondary,
            "status": draft.status,
            "phases": _Builder.phases(draft),
            "starts_on": draft.starts_on,
            "ends_on": draft.ends_on,
            "users_involved": draft.users,
            "agents_involved": draft.agents,
            "results": draft.results,
            "lessons": draft.lessons,
        }
        if draft.replicates:
            fields["replicates_project_id"] = Ref(draft.replicates)
        return fields

    def build_partners(self, draft: _ProjectDraft) -> None:
        """A pilot, a few partners, sometimes a funder and a beneficiary: never one organization in two roles."""
        region = draft.lab.region_code
        host = f"prefecture-{draft.lab.key}"
        collectivites = [s.key for s in self.regional(region, "collectivite")]
        services = [s.key for s in self.regional(region, "operateur-public", "service-deconcentre")]
        social = [s.key for s in self.regional(region, "association", "ess")]
        national = {
            "service-usager": ["ministere-interieur"],
            "territorial": ["anct", "reseau-tiers-lieux"],
            "design": ["usages-territoires"],
            "continuite-crise": ["ministere-interieur"],
            "innovation-manageriale": ["ministere-transformation"],
        }.get(draft.theme, [])
        funders = ["banque-des-territoires", *collectivites]
        if region == "76":
            funders.append("region-occitanie")
        if region == "32":
            funders.append("departement-nord")
        rng = self.rng
        roll = rng.random()
        if draft.kind == "action":
            pilot = host if roll < 0.7 else self.pick(collectivites)
        else:
            pilot = host if roll < 0.5 else self.pick(collectivites) if roll < 0.8 else self.pick(services)
        roles = [(pilot, "pilot")]
        used = {pilot}
        pool = [k for k in (*collectivites, *services, *national, host) if k not in used]
        for key in rng.sample(pool, rng.randint(1, 2) if draft.kind == "project" else rng.randint(0, 1)):
            roles.append((key, "partner"))
            used.add(key)
        if draft.kind == "project" and rng.random() < 0.45:
            free = [k for k in funders if k not in used]
            if free:
                key = self.pick(free)
                roles.append((key, "funder"))
                used.add(key)
        if rng.random() < 0.4:
            free = [k for k in social if k not in used]
            if free:
                roles.append((self.pick(free), "beneficiary"))
        self.partners[draft.external_id] = roles
        for n, (key, role) in enumerate(roles, start=1):
            self.add(
                Kind.partner,
                f"{draft.external_id}-partner-{n}",
                {"organization_id": Ref(org_id(key)), "role": role},
                parent=draft.external_id,
            )

    def amount(self, low_euros: int, high_euros: int) -> int:
        """Cents, in round steps of 500 €."""
        return self.rng.randint(low_euros // 500, high_euros // 500) * 500 * 100

    def build_allocations(self) -> None:
        rng = self.rng
        allocations: list[dict[str, Any]] = []
        sequence = {"FTAP": 0, "RELANCE": 0}

        def decision(stream: str, decided_on: date) -> str:
            sequence[stream] += 1
            return f"DITP-{stream}-{decided_on.year}-{sequence[stream]:03d}"

        for lab in self.funded:
            assert lab.founded_on is not None
            seeded = lab.founded_on + timedelta(days=rng.randint(20, 60))
            allocations.append(
                {
                    "stream": "FTAP",
                    "lab": lab.key,
                    "amount_cents": self.amount(150_000, 300_000),
                    "decided_on": seeded,
                    "purpose": f"Amorçage du laboratoire {lab.name} : équipe, lieu et premiers projets.",
                    "status": "committed",
                }
            )
            for year in (2019, 2020):
                if year <= lab.founded_on.year:
                    continue
                in_kind = lab.key == "grand-est" and year == 2019
                purpose = (
                    "Mise à disposition d'un designer de services de la DITP pendant six mois."
                    if in_kind
                    else f"Renforcement du laboratoire {lab.name} : formation des agents et accompagnement des projets."
                )
                allocations.append(
                    {
                        "stream": "FTAP",
                        "lab": lab.key,
                        "amount_cents": self.amount(45_000, 60_000) if in_kind else self.amount(80_000, 250_000),
                        "decided_on": date(year, rng.randint(3, 7), rng.randint(1, 28)),
                        "purpose": purpose,
                        "status": "committed",
                        "nature": "in-kind" if in_kind else "cash",
                    }
                )
        allocations.append(
            {
                "stream": "FTAP",
                "lab": "grand-est",
                "amount_cents": self.amount(60_000, 90_000),
                "decided_on": date(2020, 4, 14),
                "purpose": "Tiers-lieu de services publics reporté par la crise sanitaire : décision annulée.",
                "status": "cancelled",
            }
        )
        for lab in self.funded:
            allocations.append(
                {
                    "stream": "RELANCE",
                    "lab": lab.key,
                    "amount_cents": self.amount(100_000, 350_000),
                    "decided_on": self.between(date(2020, 12, 7), date(2021, 2, 26)),
                    "purpose": f"France Relance : amplifier les actions du laboratoire {lab.name} "
                    "avec les collectivités locales.",
                    "status": "committed",
                }
            )
        allocations.extend(self.project_allocations())
        for lab in self.funded[-3:]:
            allocations.append(
                {
                    "stream": "RELANCE",
                    "lab": lab.key,
                    "amount_cents": self.amount(50_000, 150_000),
                    "purpose": f"Demande en instruction : second projet du laboratoire {lab.name} "
                    "avec une collectivité.",
                    "status": "proposed",
                }
            )
        for n, allocation in enumerate(allocations, start=1):
            external_id = f"demo-allocation-{n:03d}"
            stream = allocation.pop("stream")
            fields: dict[str, Any] = {"stream_id": Ref(f"demo-stream-{stream.lower()}")}
            if "lab" in allocation:
                fields["lab_id"] = Ref(lab_id(allocation.pop("lab")))
            if "project" in allocation:
                fields["project_id"] = Ref(allocation.pop("project"))
            if "organization" in allocation:
                fields["organization_id"] = Ref(org_id(allocation.pop("organization")))
            fields.update(allocation)
            if fields.get("decided_on") and fields["status"] != "proposed":
                fields["reference"] = decision(stream, fields["decided_on"])
            self.add(Kind.allocation, external_id, fields)
            if fields["status"] == "committed" and fields.get("nature", "cash") == "cash":
                self.build_disbursements(external_id, fields["amount_cents"], fields["decided_on"])

    def project_allocations(self) -> list[dict[str, Any]]:
        """France Relance money for projects run with collectivités, paid to the collectivité for one of them."""
        running = [
            d
            for d in self.projects
            if d.kind == "project"
            and d.status in ("piloting", "scaling")
            and any(self.organizations[k].kind == "collectivite" for k, _ in self.partners[d.external_id])
        ]
        allocations = []
        for n, draft in enumerate(self.rng.sample(running, 3)):
            collectivite = next(
                k for k, _ in self.partners[draft.external_id] if self.organizations[k].kind == "collectivite"
            )
            allocation: dict[str, Any] = {
                "stream": "RELANCE",
                "project": draft.external_id,
                "amount_cents": self.amount(40_000, 120_000),
                "decided_on": self.between(date(2020, 12, 7), date(2021, 2, 26)),
                "purpose": f"Déploiement avec {self.organizations[collectivite].name} : {draft.title}"[:255],
                "status": "committed",
                "subsidy_share": Decimal("0.8"),
            }
            if n == 0:
                allocation["organization"] = collectivite
            else:
                allocation["lab"] = draft.lab.key
            allocations.append(allocation)
        return allocations

    def build_disbursements(self, allocation: str, amount_cents: int, decided_on: date) -> None:
        """Payments in instalments, never more than the allocation, none before the decision or after March 2021."""
        horizon = date(2021, 3, 31)
        first_on = decided_on + timedelta(days=self.rng.randint(30, 75))
        if first_on > horizon:
            return
        first = amount_cents * self.rng.choice((5, 6, 7)) // 10 // 10_000 * 10_000
        payments = [(first, first_on)]
        second_on = first_on + timedelta(days=self.rng.randint(200, 330))
        if second_on <= horizon:
            rest = amount_cents - first
            payments.append((rest if self.rng.random() < 0.7 else rest // 2 // 10_000 * 10_000, second_on))
        for n, (cents, paid_on) in enumerate(payments, start=1):
            if cents > 0:
                self.add(
                    Kind.disbursement,
                    f"{allocation}-payment-{n}",
                    {"amount_cents": cents, "paid_on": paid_on},
                    parent=allocation,
                )

    def build_campaign(self) -> None:
        self.add(
            Kind.campaign,
            f"demo-campaign-{CAMPAIGN_SLUG}",
            {
                "name": "Mois de l'innovation publique 2020",
                "slug": CAMPAIGN_SLUG,
                "starts_on": CAMPAIGN_START,
                "ends_on": CAMPAIGN_END,
                "description": "Un mois pour partager projets innovants et bonnes pratiques pour des services "
                "publics plus proches, plus efficaces et plus simples. Organisé par la DITP, entièrement en ligne "
                "en 2020 : webinaires, formations, ateliers découverte, avec les administrations centrales, les "
                "services déconcentrés, les collectivités, les laboratoires d'innovation territoriale et les "
                f"associations. {DEMO_NOTE}",
            },
        )

    def campaign_organizers(self) -> tuple[list[OrganizationSpec | LabSpec], list[float]]:
        """Labs hold over a third of the events, the bodies the source names a quarter, other organizations the rest."""
        organizers: list[OrganizationSpec | LabSpec] = []
        weights: list[float] = []
        for lab in self.funded:
            organizers.append(lab)
            weights.append(15.0)
        for key, weight in CAMPAIGN_ORGANIZER_WEIGHTS.items():
            organizers.append(self.organizations[key])
            weights.append(weight)
        for spec in (*REGIONAL_ORGANIZATIONS, *UNCOVERED_ORGANIZERS):
            organizers.append(spec)
            weights.append(1.0 if spec.kind in ("association", "ess", "operateur-public") else 2.5)
        return organizers, weights

    def event_size(self, format_code: str) -> tuple[int, int]:
        """Attendance and capacity by format."""
        low, high, capacity = {
            "webinaire": (20, 150, 300),
            "formation": (8, 24, 25),
            "atelier-decouverte": (10, 40, 40),
            "atelier": (8, 30, 30),
            "conference": (40, 350, 500),
            "hackathon": (20, 80, 100),
            "visite": (10, 45, 50),
        }[format_code]
        return self.rng.randint(low, high), capacity

    def build_campaign_events(self) -> None:
        rng = self.rng
        themes = [code for code, count in CAMPAIGN_THEMES.items() for _ in range(count)]
        formats = [code for code, count in CAMPAIGN_FORMATS.items() for _ in range(count)]
        rng.shuffle(themes)
        rng.shuffle(formats)
        organizers, weights = self.campaign_organizers()
        days = _campaign_days()
        events: list[dict[str, Any]] = []
        for theme, format_code in zip(themes, formats, strict=True):
            organizer = rng.choices(organizers, weights=weights)[0]
            day = self.pick(days)
            if format_code in ("formation", "hackathon"):
                start, minutes = self.pick((time(9, 0), time(9, 30))), self.pick((180, 420))
            else:
                start = self.pick((time(9, 30), time(10, 0), time(11, 0), time(12, 30), time(14, 0), time(16, 0)))
                minutes = self.pick((60, 90, 120))
            prefix = FORMAT_PREFIXES[format_code]
            topic = self.pick(CAMPAIGN_TOPICS[theme])
            fields: dict[str, Any] = {"theme_code": theme, "format": format_code}
            if isinstance(organizer, LabSpec):
                region, city, holder = organizer.region_code, organizer.city, organizer.name
                fields["lab_id"] = Ref(lab_id(organizer.key))
                shown = [d for d in self.projects if d.lab.key == organizer.key and d.theme == theme]
                if shown and rng.random() < 0.25:
                    project = self.pick(shown)
                    fields["project_id"] = Ref(project.external_id)
                    topic = f"retour d'expérience « {project.title} »"
            else:
                assert isinstance(organizer, OrganizationSpec)
                region, city, holder = organizer.region_code, organizer.city, organizer.name
                fields["organizer_organization_id"] = Ref(org_id(organizer.key))
            zone = timezone_for_region(region)
            participants, capacity = self.event_size(format_code)
            tags = ["mip-2020", "en-ligne"]
            if theme == "innovation-manageriale" and rng.random() < 0.6:
                tags.append("teletravail")
            if theme == "continuite-crise" or (theme == "service-usager" and rng.random() < 0.2):
                tags.append("crise-sanitaire")
            if theme == "engagement-citoyen":
                audience = self.pick(("citizens", "all"))
            elif theme == "service-usager":
                audience = "all" if rng.random() < 0.2 else "agents"
            else:
                audience = "agents"
            starts_at = _local(day, start, zone)
            fields.update(
                title=f"{prefix} : {topic}",
                description=f"{prefix} du Mois de l'innovation publique 2020, en ligne : {topic}. "
                f"Organisation : {holder}. {DEMO_NOTE}",
                tags=tags,
                attendance_mode="online",
                audience=audience,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                timezone=zone,
                status="moved-online" if rng.random() < 0.1 else "scheduled",
                campaign_id=Ref(f"demo-campaign-{CAMPAIGN_SLUG}"),
                region_code=region,
                city=city,
                capacity=capacity,
                participants_count=participants,
            )
            events.append(fields)
        events.sort(key=lambda e: (e["starts_at"], e["title"]))
        for n, fields in enumerate(events, start=1):
            fields["online_url"] = f"https://visio.demo.example/mip-2020/{n:03d}"
            fields["registration_url"] = f"https://mois-innovation-publique.demo.example/evenements/{n:03d}"
            self.add(Kind.event, f"demo-event-mip-2020-{n:03d}", fields)

    def working_day(self, start: date, end: date) -> date:
        """A weekday outside August between the two dates: when labs hold their sessions."""
        while True:
            day = self.between(start, end)
            if day.weekday() < 5 and day.month != 8:
                return day

    def mode_on(self, day: date) -> str:
        """In person before the first lockdown, online during it, a mix afterwards."""
        if day < LOCKDOWN_START:
            return "in-person" if self.rng.random() < 0.9 else "hybrid"
        if day < LOCKDOWN_END:
            return "online"
        return self.rng.choices(("in-person", "hybrid", "online"), weights=(4, 2, 4))[0]

    def build_trainings(self) -> None:
        """The labs' training sessions outside the campaign, from their opening to October 2020."""
        rng = self.rng
        total = TRAINING_SESSIONS - CAMPAIGN_FORMATS["formation"]
        last = date(2020, 10, 30)
        weights = [float((last - lab.founded_on).days) for lab in self.funded if lab.founded_on is not None]
        sessions: list[dict[str, Any]] = []
        for lab, count in zip(self.funded, apportion(total, weights), strict=True):
            assert lab.founded_on is not None
            zone = timezone_for_region(lab.region_code)
            for _ in range(count):
                day = self.working_day(lab.founded_on + timedelta(days=30), last)
                course, theme = self.pick(TRAINING_COURSES)
                while theme == "continuite-crise" and day < LOCKDOWN_START:
                    course, theme = self.pick(TRAINING_COURSES)
                mode = self.mode_on(day)
                full_day = rng.random() < 0.3
                starts_at = _local(day, time(9, 0) if full_day else time(9, 30), zone)
                ends_at = _local(day, time(17, 0) if full_day else time(12, 30), zone)
                where = " (en ligne)" if mode == "online" else f" – {lab.city}"
                participants = rng.randint(6, 20)
                fields: dict[str, Any] = {
                    "title": f"Formation : {course}{where}",
                    "description": f"Session de formation-action proposée par {lab.name} aux agents des services "
                    f"de l'État et des collectivités : {course}. {DEMO_NOTE}",
                    "theme_code": theme,
                    "tags": ["formation-agents"],
                    "format": "formation",
                    "attendance_mode": mode,
                    "audience": "agents",
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "timezone": zone,
                    "status": "moved-online"
                    if mode == "online" and day < LOCKDOWN_END and rng.random() < 0.5
                    else "scheduled",
                    "lab_id": Ref(lab_id(lab.key)),
                    "region_code": lab.region_code,
                    "city": lab.city,
                    "capacity": max(participants, rng.choice((12, 15, 20))),
                    "participants_count": participants,
                }
                sessions.append(fields)
        sessions.sort(key=lambda e: (e["starts_at"], e["title"]))
        for n, fields in enumerate(sessions, start=1):
            if n % CYCLE_EVERY == 0:
                fields = as_cycle(fields)
            self.add(Kind.event, f"demo-event-formation-{n:03d}", fields)

    def build_lab_events(self) -> None:
        """Hackathons, conferences, visits and workshops the labs held outside the campaign."""
        rng = self.rng
        events: list[dict[str, Any]] = []
        for lab in rng.choices(self.funded, k=LAB_EVENT_COUNT):
            assert lab.founded_on is not None
            format_code, title, theme = self.pick(LAB_EVENTS)
            day = self.working_day(max(lab.founded_on + timedelta(days=60), date(2018, 1, 8)), date(2020, 10, 23))
            mode = self.mode_on(day)
            zone = timezone_for_region(lab.region_code)
            starts_at = _local(day, time(9, 0) if format_code == "hackathon" else time(14, 0), zone)
            ends_at = starts_at + (
                timedelta(hours=33) if format_code == "hackathon" else timedelta(hours=2, minutes=30)
            )
            participants, capacity = self.event_size(format_code)
            events.append(
                {
                    "title": f"{title} – {lab.city}" if mode != "online" else f"{title} (en ligne)",
                    "description": f"Événement organisé par {lab.name}, ouvert aux agents publics, aux élus et aux "
                    f"partenaires du lab. {DEMO_NOTE}",
                    "theme_code": theme,
                    "tags": [format_code],
                    "format": format_code,
                    "attendance_mode": mode,
                    "audience": "all" if format_code in ("hackathon", "conference") else "agents",
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "timezone": zone,
                    "lab_id": Ref(lab_id(lab.key)),
                    "region_code": lab.region_code,
                    "city": lab.city,
                    "capacity": capacity,
                    "participants_count": participants,
                }
            )
        events.sort(key=lambda e: (e["starts_at"], e["title"]))
        for n, fields in enumerate(events, start=1):
            self.add(Kind.event, f"demo-event-lab-{n:03d}", fields)

    def build_drafts(self) -> None:
        """Work two labs have not published yet: a draft and a submission each, awaiting the DITP's review.
        They are outside every figure, which counts published rows only (docs/access.md#publication)."""
        first, second = self.funded[0], self.funded[1]
        for n, (lab, state, title, theme) in enumerate(
            (
                (first, "draft", "Simplifier les démarches des aidants familiaux", "service-usager"),
                (second, "submitted", "Tiers-lieu numérique pour les agents en zone rurale", "territorial"),
            ),
            start=1,
        ):
            self.add(
                Kind.project,
                f"demo-project-unpublished-{n}",
                {
                    "title": title,
                    "kind": "project",
                    "lab_id": Ref(lab_id(lab.key)),
                    "summary": f"Projet en préparation par {lab.name}, pas encore publié. {DEMO_NOTE}",
                    "theme_code": theme,
                    # The first moved on once the press release was out: its phases reach into 2021.
                    "status": "designing" if n == 1 else "exploring",
                    "phases": [
                        ("exploring", date(2020, 11, 16)),
                        *([("designing", date(2021, 2, 8))] if n == 1 else []),
                    ],
                    "starts_on": date(2020, 11, 16),
                    "publication": state,
                },
            )
        for n, (lab, state, day) in enumerate(
            ((first, "submitted", date(2021, 1, 19)), (second, "draft", date(2021, 2, 9))), start=1
        ):
            zone = timezone_for_region(lab.region_code)
            starts_at = _local(day, time(14, 0), zone)
            self.add(
                Kind.event,
                f"demo-event-unpublished-{n}",
                {
                    "title": f"Atelier de co-conception – {lab.city}",
                    "description": f"Atelier que prépare {lab.name}, pas encore publié. {DEMO_NOTE}",
                    "theme_code": "service-usager",
                    "format": "atelier",
                    "attendance_mode": "in-person",
                    "audience": "agents",
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(hours=3),
                    "timezone": zone,
                    "lab_id": Ref(lab_id(lab.key)),
                    "region_code": lab.region_code,
                    "city": lab.city,
                    "capacity": 20,
                    "publication": state,
                },
            )


def _placed_and_open(external_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An event with its place in its commune (in person and hybrid), its link (online and hybrid) and how to
    register: all derived from what the event is, drawing nothing, so that every figure stays as it was."""
    mode, city = fields["attendance_mode"], fields.get("city")
    added: dict[str, Any] = {}
    if mode != "online" and city in COMMUNES:
        commune, postcode, latitude, longitude = COMMUNES[city]
        added["place"] = {
            "name": "Salle de créativité du lab" if fields.get("lab_id") else f"Espace public de {city}",
            "address": "Centre-ville",
            "postal_code": postcode,
            "city": city,
            "commune_code": commune,
            "latitude": latitude,
            "longitude": longitude,
        }
        added["accessibility"] = ["wheelchair", "hearing"] if fields["format"] == "conference" else ["wheelchair"]
    if mode != "in-person" and not fields.get("online_url"):
        added["online_url"] = f"https://visio.demo.example/{external_id}"
    if not fields.get("registration_url"):
        added["registration_url"] = f"https://inscriptions.demo.example/{external_id}"
    added["registration_deadline"] = fields["starts_at"] - timedelta(days=2)
    added["registered_count"] = fields.get("participants_count")
    if fields["format"] in ("conference", "hackathon") and mode != "online":
        added.update(price="paid", price_note="20 € ; gratuit pour les agents publics")
    else:
        added["price"] = "free"
    return {**fields, **added}


def build_dataset() -> Dataset:
    """Every record of the demo, in load order; deterministic (`random.Random(2020)`)."""
    builder = _Builder()
    builder.build_organizations()
    builder.build_labs()
    builder.build_streams()
    builder.build_projects()
    builder.build_allocations()
    builder.build_campaign()
    builder.build_campaign_events()
    builder.build_trainings()
    builder.build_lab_events()
    builder.build_drafts()
    return Dataset(builder.records)
