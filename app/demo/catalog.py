"""The invented French content the demo dataset draws from: labs, organizations, subjects, titles, sentences.

Every name of a lab, project or event here is invented; real public bodies appear only as organizations,
with generated (not real) SIRET and RNA numbers.
"""

from dataclasses import dataclass
from datetime import date
from typing import Final

DEMO_NOTE: Final = "Données de démonstration synthétiques."

DEMO_PREFIX: Final = "demo-"


@dataclass(frozen=True)
class LabSpec:
    """A lab of the demo: where it is, when it opened, and the territories its projects name."""

    key: str
    name: str
    region_code: str
    city: str
    latitude: float
    longitude: float
    founded_on: date | None
    status: str
    focus: str
    territories: tuple[str, ...]


@dataclass(frozen=True)
class OrganizationSpec:
    """An organization of the demo, with the city its events take place in."""

    key: str
    name: str
    kind: str
    region_code: str
    city: str
    website: str | None = None


LABS: Final[tuple[LabSpec, ...]] = (
    LabSpec(
        "bretagne",
        "Lab'Bretagne",
        "53",
        "Rennes",
        48.1147,
        -1.6794,
        date(2017, 1, 16),
        "active",
        "le design des services d'accueil et la simplification des démarches",
        ("Rennes", "Ille-et-Vilaine", "Brest", "Finistère", "Vannes", "Morbihan", "Saint-Brieuc", "Lorient"),
    ),
    LabSpec(
        "hauts-de-france",
        "Le Lab Hauts-de-France",
        "32",
        "Lille",
        50.6292,
        3.0573,
        date(2017, 4, 3),
        "active",
        "l'inclusion numérique et les coopérations avec les collectivités",
        ("Lille", "Nord", "Roubaix", "Pas-de-Calais", "Arras", "Amiens", "Somme", "Valenciennes"),
    ),
    LabSpec(
        "nouvelle-aquitaine",
        "La Fabrique – Nouvelle-Aquitaine",
        "75",
        "Bordeaux",
        44.8378,
        -0.5792,
        date(2017, 6, 19),
        "active",
        "les services publics en milieu rural et l'innovation managériale",
        ("Bordeaux", "Gironde", "Limoges", "Poitiers", "La Rochelle", "Charente-Maritime", "Pau", "Landes"),
    ),
    LabSpec(
        "occitanie",
        "Lab'Oc – Laboratoire d'innovation publique d'Occitanie",
        "76",
        "Toulouse",
        43.6047,
        1.4442,
        date(2017, 10, 9),
        "active",
        "la transition écologique des services et l'engagement citoyen",
        ("Toulouse", "Haute-Garonne", "Montpellier", "Hérault", "Nîmes", "Gard", "Perpignan", "Albi"),
    ),
    LabSpec(
        "pays-de-la-loire",
        "L'Atelier ligérien",
        "52",
        "Nantes",
        47.2184,
        -1.5536,
        date(2018, 2, 5),
        "active",
        "les parcours des usagers et la qualité de l'accueil",
        ("Nantes", "Loire-Atlantique", "Angers", "Maine-et-Loire", "Le Mans", "Sarthe", "Laval", "Vendée"),
    ),
    LabSpec(
        "grand-est",
        "Le Labo Grand Est",
        "44",
        "Strasbourg",
        48.5734,
        7.7521,
        date(2018, 9, 17),
        "active",
        "les coopérations transfrontalières et la transformation des services déconcentrés",
        ("Strasbourg", "Bas-Rhin", "Metz", "Moselle", "Nancy", "Reims", "Mulhouse", "Haut-Rhin"),
    ),
    LabSpec(
        "auvergne-rhone-alpes",
        "Lab'AuRA",
        "84",
        "Lyon",
        45.7640,
        4.8357,
        date(2019, 1, 21),
        "active",
        "le management public et les espaces de travail partagés",
        ("Lyon", "Rhône", "Grenoble", "Isère", "Clermont-Ferrand", "Saint-Étienne", "Chambéry", "Savoie"),
    ),
    LabSpec(
        "bourgogne-franche-comte",
        "La Manufacture – Bourgogne-Franche-Comté",
        "27",
        "Dijon",
        47.3220,
        5.0415,
        date(2019, 6, 3),
        "active",
        "l'appui aux petites communes et la revitalisation des centres-bourgs",
        ("Dijon", "Côte-d'Or", "Besançon", "Doubs", "Auxerre", "Yonne", "Nevers", "Jura"),
    ),
    LabSpec(
        "la-reunion",
        "Kaz'Lab – La Réunion",
        "04",
        "Saint-Denis",
        -20.8821,
        55.4507,
        date(2020, 1, 13),
        "active",
        "l'accès aux droits et la continuité des services en période cyclonique",
        ("Saint-Denis", "Saint-Pierre", "Saint-Paul", "Le Port", "Saint-Benoît", "Le Tampon", "Saint-André"),
    ),
    LabSpec(
        "normandie",
        "Lab'Normandie",
        "28",
        "Rouen",
        49.4432,
        1.0999,
        None,
        "planned",
        "la préfiguration d'un laboratoire d'innovation territoriale",
        ("Rouen", "Seine-Maritime", "Caen", "Calvados"),
    ),
)

# The bodies the source names, the DITP that manages the funds, and national partners.
NATIONAL_ORGANIZATIONS: Final[tuple[OrganizationSpec, ...]] = (
    OrganizationSpec(
        "ditp",
        "Direction interministérielle de la transformation publique (DITP)",
        "administration-centrale",
        "11",
        "Paris",
        "https://www.modernisation.gouv.fr",
    ),
    OrganizationSpec(
        "ministere-interieur",
        "Ministère de l'Intérieur",
        "administration-centrale",
        "11",
        "Paris",
        "https://www.interieur.gouv.fr",
    ),
    OrganizationSpec(
        "ministere-transformation",
        "Ministère de la Transformation et de la Fonction publiques",
        "administration-centrale",
        "11",
        "Paris",
        "https://www.fonction-publique.gouv.fr",
    ),
    OrganizationSpec(
        "banque-des-territoires",
        "Banque des Territoires",
        "operateur-public",
        "11",
        "Paris",
        "https://www.banquedesterritoires.fr",
    ),
    OrganizationSpec(
        "anct",
        "Agence nationale de la cohésion des territoires (ANCT)",
        "operateur-public",
        "11",
        "Paris",
        "https://agence-cohesion-territoires.gouv.fr",
    ),
    OrganizationSpec("departement-nord", "Département du Nord", "collectivite", "32", "Lille", "https://lenord.fr"),
    OrganizationSpec(
        "region-occitanie",
        "Conseil régional d'Occitanie",
        "collectivite",
        "76",
        "Toulouse",
        "https://www.laregion.fr",
    ),
    OrganizationSpec(
        "reseau-tiers-lieux", "Réseau national des tiers-lieux de service public", "association", "11", "Paris"
    ),
    OrganizationSpec(
        "usages-territoires", "Usages & Territoires – agence de design de services", "entreprise", "11", "Paris"
    ),
)

# Per lab region: the prefecture hosting the lab, then collectivités, a public service, an association, an ESS actor.
REGIONAL_ORGANIZATIONS: Final[tuple[OrganizationSpec, ...]] = (
    OrganizationSpec("prefecture-bretagne", "Préfecture de la région Bretagne", "service-deconcentre", "53", "Rennes"),
    OrganizationSpec("rennes-metropole", "Rennes Métropole", "collectivite", "53", "Rennes"),
    OrganizationSpec("departement-ille-et-vilaine", "Département d'Ille-et-Vilaine", "collectivite", "53", "Rennes"),
    OrganizationSpec("cpam-ille-et-vilaine", "CPAM d'Ille-et-Vilaine", "operateur-public", "53", "Rennes"),
    OrganizationSpec("bretagne-mediation", "Association Bretagne Médiation Numérique", "association", "53", "Brest"),
    OrganizationSpec("scop-breizh-design", "Breizh Design de services (SCOP)", "ess", "53", "Rennes"),
    OrganizationSpec(
        "prefecture-hauts-de-france", "Préfecture de la région Hauts-de-France", "service-deconcentre", "32", "Lille"
    ),
    OrganizationSpec("metropole-lille", "Métropole européenne de Lille", "collectivite", "32", "Lille"),
    OrganizationSpec("ville-roubaix", "Ville de Roubaix", "collectivite", "32", "Roubaix"),
    OrganizationSpec("pole-emploi-hdf", "Pôle emploi Hauts-de-France", "operateur-public", "32", "Lille"),
    OrganizationSpec("ateliers-du-lien", "Association Les Ateliers du Lien", "association", "32", "Lille"),
    OrganizationSpec("regie-lille-sud", "Régie de quartier Lille-Sud", "ess", "32", "Lille"),
    OrganizationSpec(
        "prefecture-nouvelle-aquitaine",
        "Préfecture de la région Nouvelle-Aquitaine",
        "service-deconcentre",
        "75",
        "Bordeaux",
    ),
    OrganizationSpec("bordeaux-metropole", "Bordeaux Métropole", "collectivite", "75", "Bordeaux"),
    OrganizationSpec("departement-gironde", "Département de la Gironde", "collectivite", "75", "Bordeaux"),
    OrganizationSpec("caf-gironde", "CAF de la Gironde", "operateur-public", "75", "Bordeaux"),
    OrganizationSpec(
        "gironde-numerique-solidaire", "Association Gironde Numérique Solidaire", "association", "75", "Bordeaux"
    ),
    OrganizationSpec("scic-tiers-lieux-na", "SCIC Tiers-Lieux Nouvelle-Aquitaine", "ess", "75", "Poitiers"),
    OrganizationSpec(
        "prefecture-occitanie", "Préfecture de la région Occitanie", "service-deconcentre", "76", "Toulouse"
    ),
    OrganizationSpec("toulouse-metropole", "Toulouse Métropole", "collectivite", "76", "Toulouse"),
    OrganizationSpec("departement-herault", "Département de l'Hérault", "collectivite", "76", "Montpellier"),
    OrganizationSpec("ars-occitanie", "Agence régionale de santé Occitanie", "operateur-public", "76", "Montpellier"),
    OrganizationSpec(
        "tiers-lieux-occitanie", "Association des tiers-lieux d'Occitanie", "association", "76", "Toulouse"
    ),
    OrganizationSpec("scic-mobilites-occitanie", "SCIC Mobilités solidaires Occitanie", "ess", "76", "Albi"),
    OrganizationSpec(
        "prefecture-pays-de-la-loire", "Préfecture de la région Pays de la Loire", "service-deconcentre", "52", "Nantes"
    ),
    OrganizationSpec("nantes-metropole", "Nantes Métropole", "collectivite", "52", "Nantes"),
    OrganizationSpec("departement-sarthe", "Département de la Sarthe", "collectivite", "52", "Le Mans"),
    OrganizationSpec(
        "ddfip-loire-atlantique",
        "Direction départementale des finances publiques de Loire-Atlantique",
        "service-deconcentre",
        "52",
        "Nantes",
    ),
    OrganizationSpec(
        "acces-droits-pdl", "Association Accès aux droits Pays de la Loire", "association", "52", "Angers"
    ),
    OrganizationSpec("ressourcerie-erdre", "Ressourcerie de l'Erdre (entreprise d'insertion)", "ess", "52", "Nantes"),
    OrganizationSpec(
        "prefecture-grand-est", "Préfecture de la région Grand Est", "service-deconcentre", "44", "Strasbourg"
    ),
    OrganizationSpec("eurometropole-strasbourg", "Eurométropole de Strasbourg", "collectivite", "44", "Strasbourg"),
    OrganizationSpec("ville-metz", "Ville de Metz", "collectivite", "44", "Metz"),
    OrganizationSpec(
        "rectorat-strasbourg", "Rectorat de l'académie de Strasbourg", "service-deconcentre", "44", "Strasbourg"
    ),
    OrganizationSpec(
        "alsace-accueil-solidaire", "Association Alsace Accueil Solidaire", "association", "44", "Mulhouse"
    ),
    OrganizationSpec("scop-atelier-rhenan", "SCOP L'Atelier rhénan de l'habitat", "ess", "44", "Strasbourg"),
    OrganizationSpec(
        "prefecture-auvergne-rhone-alpes",
        "Préfecture de la région Auvergne-Rhône-Alpes",
        "service-deconcentre",
        "84",
        "Lyon",
    ),
    OrganizationSpec("metropole-lyon", "Métropole de Lyon", "collectivite", "84", "Lyon"),
    OrganizationSpec("grenoble-alpes-metropole", "Grenoble-Alpes Métropole", "collectivite", "84", "Grenoble"),
    OrganizationSpec("dreal-aura", "DREAL Auvergne-Rhône-Alpes", "service-deconcentre", "84", "Lyon"),
    OrganizationSpec("usagers-en-action", "Collectif Usagers en action", "association", "84", "Clermont-Ferrand"),
    OrganizationSpec(
        "cae-rhone-alpes-solidaires", "Coopérative d'activités Rhône-Alpes Solidaires", "ess", "84", "Lyon"
    ),
    OrganizationSpec(
        "prefecture-bourgogne-franche-comte",
        "Préfecture de la région Bourgogne-Franche-Comté",
        "service-deconcentre",
        "27",
        "Dijon",
    ),
    OrganizationSpec("dijon-metropole", "Dijon Métropole", "collectivite", "27", "Dijon"),
    OrganizationSpec("grand-besancon", "Grand Besançon Métropole", "collectivite", "27", "Besançon"),
    OrganizationSpec(
        "ddt-cote-d-or",
        "Direction départementale des territoires de la Côte-d'Or",
        "service-deconcentre",
        "27",
        "Dijon",
    ),
    OrganizationSpec(
        "jura-ruralite-connectee", "Association Jura Ruralité Connectée", "association", "27", "Lons-le-Saunier"
    ),
    OrganizationSpec("scic-bois-bourgogne", "SCIC Bois et Territoires de Bourgogne", "ess", "27", "Nevers"),
    OrganizationSpec("prefecture-la-reunion", "Préfecture de La Réunion", "service-deconcentre", "04", "Saint-Denis"),
    OrganizationSpec("departement-la-reunion", "Département de La Réunion", "collectivite", "04", "Saint-Denis"),
    OrganizationSpec("ville-saint-pierre", "Ville de Saint-Pierre (La Réunion)", "collectivite", "04", "Saint-Pierre"),
    OrganizationSpec("caf-la-reunion", "CAF de La Réunion", "operateur-public", "04", "Saint-Denis"),
    OrganizationSpec("kaz-solidarite", "Association Kaz Solidarité", "association", "04", "Le Port"),
    OrganizationSpec("scic-numerique-ocean-indien", "SCIC Numérique Océan Indien", "ess", "04", "Saint-Pierre"),
    OrganizationSpec("prefecture-normandie", "Préfecture de la région Normandie", "service-deconcentre", "28", "Rouen"),
    OrganizationSpec("metropole-rouen", "Métropole Rouen Normandie", "collectivite", "28", "Rouen"),
)

# Regions without an active lab still took part in the Mois de l'innovation publique.
UNCOVERED_ORGANIZERS: Final[tuple[OrganizationSpec, ...]] = (
    OrganizationSpec("ville-marseille", "Ville de Marseille", "collectivite", "93", "Marseille"),
    OrganizationSpec("collectivite-corse", "Collectivité de Corse", "collectivite", "94", "Ajaccio"),
    OrganizationSpec("departement-loiret", "Département du Loiret", "collectivite", "24", "Orléans"),
    OrganizationSpec("region-ile-de-france", "Région Île-de-France", "collectivite", "11", "Saint-Ouen-sur-Seine"),
    OrganizationSpec(
        "prefecture-guadeloupe", "Préfecture de la Guadeloupe", "service-deconcentre", "01", "Basse-Terre"
    ),
    OrganizationSpec(
        "collectivite-martinique", "Collectivité territoriale de Martinique", "collectivite", "02", "Fort-de-France"
    ),
    OrganizationSpec("collectivite-guyane", "Collectivité territoriale de Guyane", "collectivite", "03", "Cayenne"),
    OrganizationSpec("departement-mayotte", "Département de Mayotte", "collectivite", "06", "Mamoudzou"),
)

# The department an association's RNA number starts with, by region.
RNA_DEPARTMENT: Final[dict[str, str]] = {
    "11": "75",
    "53": "35",
    "32": "59",
    "75": "33",
    "76": "31",
    "52": "44",
    "44": "67",
    "84": "69",
    "27": "21",
    "04": "974",
    "28": "76",
}

THEME_CODES: Final = (
    "service-usager",
    "continuite-crise",
    "innovation-manageriale",
    "territorial",
    "design",
    "engagement-citoyen",
    "ecoresponsable",
)

PROJECT_SUBJECTS: Final[dict[str, tuple[str, ...]]] = {
    "service-usager": (
        "Simplifier la demande de titre de séjour",
        "Refonte de l'accueil en sous-préfecture",
        "Courriers administratifs en langage clair",
        "Parcours usager du permis de conduire",
        "Guichet unique pour les créateurs d'entreprise",
        "Accueil téléphonique des services de l'État",
        "Démarches en ligne accessibles à tous",
        "Accompagnement des usagers éloignés du numérique",
        "Prise de rendez-vous en préfecture",
        "Signalétique des accueils publics",
        "Information des usagers sur les aides au logement",
        "Accès aux droits des jeunes de 16 à 25 ans",
    ),
    "continuite-crise": (
        "Continuité de l'accueil du public pendant le confinement",
        "Cellule d'appui aux entreprises en difficulté",
        "Maintien du lien avec les personnes âgées isolées",
        "Plan de continuité d'activité des services de l'État",
        "Coordination des distributions alimentaires",
        "Accueil à distance des demandeurs d'asile",
    ),
    "innovation-manageriale": (
        "Télétravail des agents de préfecture",
        "Communauté de managers de proximité",
        "Codéveloppement entre cadres des services de l'État",
        "Intégration des nouveaux agents",
        "Espaces de travail partagés entre administrations",
        "Qualité de vie au travail en service déconcentré",
        "Mobilité des agents entre fonctions publiques",
        "Droit à l'expérimentation pour les équipes",
    ),
    "territorial": (
        "Maisons France Services co-construites avec les communes",
        "Revitalisation des centres-bourgs",
        "Tiers-lieu de services publics",
        "Coopération État–collectivités pour l'instruction des permis",
        "Mobilité solidaire en zone rurale",
        "Bus itinérant des services publics",
        "Accueil des saisonniers agricoles",
        "Appui en ingénierie aux petites communes",
        "Alimentation locale dans la restauration collective",
    ),
    "design": (
        "Design du parcours des bénéficiaires du RSA",
        "Immersion des agents dans les files d'attente",
        "Prototype d'un formulaire unique de demande d'aide",
        "Refonte des espaces d'attente des services publics",
        "Cartographie des irritants des usagers",
        "Design des courriers de relance fiscale",
    ),
    "engagement-citoyen": (
        "Budget participatif des lycéens",
        "Convention citoyenne sur la mobilité",
        "Consultation des habitants sur l'aménagement d'un quartier",
        "Jury citoyen sur l'accueil des services publics",
        "Engagement des jeunes en service civique",
        "Ateliers citoyens sur la transition écologique",
    ),
    "ecoresponsable": (
        "Écoconception des services numériques",
        "Sobriété énergétique des bâtiments de l'État",
        "Réemploi du mobilier administratif",
        "Plan de mobilité des agents",
        "Achats publics responsables",
        "Réduction des impressions papier",
    ),
}

ACTION_SUBJECTS: Final[dict[str, tuple[str, ...]]] = {
    "service-usager": (
        "Formation des agents d'accueil au langage clair",
        "Tests utilisateurs d'une démarche en ligne",
        "Enquête de satisfaction des usagers",
        "Immersion d'agents en maison France Services",
    ),
    "continuite-crise": (
        "Retour d'expérience sur la gestion de crise",
        "Guide de l'accueil à distance",
    ),
    "innovation-manageriale": (
        "Séminaire de codéveloppement des managers",
        "Atelier d'intelligence collective",
        "Parcours d'accueil des nouveaux arrivants",
    ),
    "territorial": (
        "Tournée des communes rurales",
        "Forum des acteurs de l'économie sociale et solidaire",
        "Visite apprenante d'un tiers-lieu",
    ),
    "design": (
        "Sprint de design de services",
        "Atelier de prototypage rapide",
        "Initiation au design de services",
    ),
    "engagement-citoyen": (
        "Café citoyen",
        "Atelier de concertation avec les habitants",
    ),
    "ecoresponsable": (
        "Défi « zéro papier »",
        "Fresque du climat pour les agents",
    ),
}

APPROACHES: Final = (
    "diagnostic des irritants avec les usagers, ateliers de co-conception avec les agents, puis prototype testé "
    "sur le terrain.",
    "immersion de l'équipe du lab auprès des agents, entretiens avec les usagers et expérimentation sur un site "
    "pilote.",
    "démarche de design de services menée avec les partenaires locaux pour repenser le parcours de bout en bout.",
    "expérimentation en conditions réelles, mesurée avant et après, pour décider d'un déploiement.",
    "collaboration entre services de l'État, collectivités et acteurs de l'économie sociale et solidaire.",
)

RESULTS: Final = (
    "Délai moyen de traitement réduit de {p} % ; {n} usagers accompagnés pendant l'expérimentation.",
    "Satisfaction des usagers passée de {a} % à {b} % ; solution reprise par {k} services.",
    "{g} agents formés et {k} démarches simplifiées ; appels répétés en baisse de {p} %.",
    "Nouveau parcours déployé sur {k} sites ; {n} usagers concernés chaque année.",
    "Solution adoptée par {k} équipes après une expérimentation de {m} mois auprès de {n} usagers.",
)

ACTION_RESULTS: Final = (
    "{t} participants, dont des agents de {k} services ; {b} % se disent prêts à reprendre la méthode.",
    "{k} idées d'amélioration remontées aux services ; {t} personnes associées.",
    "Un guide pratique diffusé à {k} services ; {t} personnes touchées.",
)

ABANDON_REASONS: Final = (
    "le partenaire principal s'est retiré du projet",
    "la crise sanitaire a réorienté les équipes vers l'urgence",
    "une solution nationale a rendu le projet sans objet",
    "le financement de la phase de déploiement n'a pas été trouvé",
)

LESSONS: Final = (
    "Associer les agents de guichet dès le diagnostic : ils connaissent les irritants mieux que quiconque.",
    "Tester tôt avec de vrais usagers, même avec un prototype en papier.",
    "Prévoir dès le départ qui portera la solution une fois l'expérimentation terminée.",
    "Un sponsor au niveau du préfet ou de la direction accélère les décisions.",
    "Mesurer la situation de départ pour pouvoir démontrer l'impact.",
    "Associer les collectivités partenaires à la gouvernance, pas seulement les informer.",
    "Documenter la démarche pour qu'un autre territoire puisse la reprendre.",
    "Anticiper le calendrier budgétaire, souvent plus long que celui du projet.",
)

# Subjects of the Mois de l'innovation publique 2020, by theme.
CAMPAIGN_TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "service-usager": (
        "l'usager au centre de la conception des démarches",
        "simplifier les courriers administratifs avec le langage clair",
        "l'accueil des usagers en maison France Services",
        "mesurer et afficher la qualité de service",
        "cartographier les parcours usagers pour mieux simplifier",
        "l'accessibilité des démarches en ligne",
        "en finir avec les pièces justificatives redemandées",
        "repenser l'accueil téléphonique avec les usagers",
        "les tests utilisateurs à la portée des agents publics",
        "co-construire un formulaire avec ses usagers",
        "la médiation numérique au service de l'inclusion",
        "accompagner les usagers éloignés du numérique",
    ),
    "continuite-crise": (
        "assurer la continuité du service public pendant le confinement",
        "l'accueil du public en période de crise sanitaire",
        "ce que la crise nous a appris sur les plans de continuité d'activité",
        "coordonner État et collectivités en cellule de crise",
        "maintenir le lien avec les usagers vulnérables",
        "les outils collaboratifs de l'État en situation de crise",
    ),
    "innovation-manageriale": (
        "les clés du management à distance",
        "le codéveloppement entre managers publics",
        "animer une équipe hybride",
        "l'intelligence collective au service des équipes",
        "la qualité de vie au travail en période de télétravail",
        "faire de l'erreur un levier d'apprentissage",
        "les communautés de pratique d'agents publics",
        "les rituels d'équipe à distance",
        "donner de l'autonomie à ses équipes",
        "l'intrapreneuriat dans l'administration",
    ),
    "territorial": (
        "coopérer entre État et collectivités sur un territoire",
        "les tiers-lieux, nouveaux lieux de service public",
        "revitaliser les centres-bourgs avec les habitants",
        "l'innovation publique en milieu rural",
        "passer à l'échelle en essaimant une solution locale",
        "les laboratoires d'innovation territoriale, mode d'emploi",
        "co-construire un accueil de proximité avec France Services",
        "les collaborations avec les acteurs de l'économie sociale et solidaire",
        "l'appui aux petites communes",
    ),
    "design": (
        "le design de services appliqué aux politiques publiques",
        "prototyper un service public en une journée",
        "la facilitation graphique pour les agents",
        "le design fiction pour imaginer l'action publique de demain",
        "observer les usages sur le terrain",
        "tester avec les usagers, du prototype au déploiement",
    ),
    "engagement-citoyen": (
        "associer les citoyens aux décisions locales",
        "retour d'expérience sur un budget participatif",
        "les conventions citoyennes à l'échelle d'un territoire",
        "les jeunes et l'engagement de service civique",
        "la consultation numérique des habitants",
        "co-construire une politique publique avec les citoyens",
    ),
    "ecoresponsable": (
        "l'écoconception des services numériques",
        "l'achat public responsable",
        "la sobriété énergétique des bâtiments publics",
        "réduire l'empreinte carbone de son administration",
        "les mobilités durables des agents",
        "le réemploi du mobilier administratif",
    ),
}

# Training courses the labs run all year round: subject and theme.
TRAINING_COURSES: Final[tuple[tuple[str, str], ...]] = (
    ("initiation au design de services publics", "design"),
    ("mener des entretiens avec les usagers", "service-usager"),
    ("rédiger en langage clair", "service-usager"),
    ("animer un atelier de co-conception", "design"),
    ("prototyper un service en une journée", "design"),
    ("conduire le changement avec ses équipes", "innovation-manageriale"),
    ("les méthodes agiles appliquées aux projets publics", "innovation-manageriale"),
    ("la facilitation graphique pour agents publics", "design"),
    ("associer les citoyens à la décision publique", "engagement-citoyen"),
    ("organiser une consultation citoyenne", "engagement-citoyen"),
    ("l'écoconception des services numériques", "ecoresponsable"),
    ("les achats publics responsables", "ecoresponsable"),
    ("mesurer la satisfaction des usagers", "service-usager"),
    ("l'accessibilité numérique des démarches en ligne", "service-usager"),
    ("coopérer avec les acteurs de l'économie sociale et solidaire", "territorial"),
    ("monter un projet avec les collectivités locales", "territorial"),
    ("l'innovation publique en milieu rural", "territorial"),
    ("manager une équipe à distance", "innovation-manageriale"),
    ("accueillir les usagers à distance", "continuite-crise"),
    ("tirer les leçons de la crise pour son plan de continuité", "continuite-crise"),
)

FORMAT_PREFIXES: Final[dict[str, str]] = {
    "webinaire": "Webinaire",
    "formation": "Formation",
    "atelier-decouverte": "Atelier découverte",
    "atelier": "Atelier",
    "conference": "Conférence en ligne",
    "hackathon": "Hackathon",
    "visite": "Visite virtuelle",
}

# Subjects of the labs' other events (outside the campaign): format, title, theme.
LAB_EVENTS: Final[tuple[tuple[str, str, str], ...]] = (
    ("hackathon", "Hackathon : simplifier les démarches des associations", "service-usager"),
    ("hackathon", "Hackathon : des données ouvertes pour le territoire", "territorial"),
    ("conference", "Conférence : les labs d'innovation publique, un an après", "territorial"),
    ("conference", "Conférence : le design au service de l'action publique", "design"),
    ("visite", "Visite apprenante d'une maison France Services", "territorial"),
    ("visite", "Visite apprenante d'un tiers-lieu rural", "territorial"),
    ("atelier", "Atelier : imaginer l'accueil de demain avec les usagers", "service-usager"),
    ("atelier", "Atelier : la sobriété numérique au bureau", "ecoresponsable"),
    ("atelier-decouverte", "Atelier découverte : l'intelligence collective", "innovation-manageriale"),
    ("webinaire", "Webinaire : associer les habitants à un projet local", "engagement-citoyen"),
)

# The communes the demo's events take place in: INSEE code, postcode, and the point of the town centre (WGS84).
COMMUNES: Final[dict[str, tuple[str, str, float, float]]] = {
    "Ajaccio": ("2A004", "20000", 41.9192, 8.7386),
    "Albi": ("81004", "81000", 43.9289, 2.1464),
    "Angers": ("49007", "49000", 47.4784, -0.5632),
    "Basse-Terre": ("97105", "97100", 15.9985, -61.7255),
    "Besançon": ("25056", "25000", 47.2378, 6.0241),
    "Bordeaux": ("33063", "33000", 44.8378, -0.5792),
    "Brest": ("29019", "29200", 48.3904, -4.4861),
    "Cayenne": ("97302", "97300", 4.9224, -52.3135),
    "Clermont-Ferrand": ("63113", "63000", 45.7772, 3.0870),
    "Dijon": ("21231", "21000", 47.3220, 5.0415),
    "Fort-de-France": ("97209", "97200", 14.6161, -61.0588),
    "Grenoble": ("38185", "38000", 45.1885, 5.7245),
    "Le Mans": ("72181", "72000", 48.0061, 0.1996),
    "Le Port": ("97407", "97420", -20.9373, 55.2919),
    "Lille": ("59350", "59000", 50.6292, 3.0573),
    "Lons-le-Saunier": ("39300", "39000", 46.6747, 5.5550),
    "Lyon": ("69123", "69001", 45.7640, 4.8357),
    "Mamoudzou": ("97611", "97600", -12.7806, 45.2278),
    "Marseille": ("13055", "13001", 43.2965, 5.3698),
    "Metz": ("57463", "57000", 49.1193, 6.1757),
    "Montpellier": ("34172", "34000", 43.6108, 3.8767),
    "Mulhouse": ("68224", "68100", 47.7508, 7.3359),
    "Nantes": ("44109", "44000", 47.2184, -1.5536),
    "Nevers": ("58194", "58000", 46.9896, 3.1590),
    "Orléans": ("45234", "45000", 47.9030, 1.9093),
    "Paris": ("75056", "75001", 48.8566, 2.3522),
    "Poitiers": ("86194", "86000", 46.5802, 0.3404),
    "Rennes": ("35238", "35000", 48.1147, -1.6794),
    "Roubaix": ("59512", "59100", 50.6942, 3.1746),
    "Rouen": ("76540", "76000", 49.4432, 1.0999),
    "Saint-Denis": ("97411", "97400", -20.8821, 55.4507),
    "Saint-Ouen-sur-Seine": ("93070", "93400", 48.9116, 2.3338),
    "Saint-Pierre": ("97416", "97410", -21.3393, 55.4781),
    "Strasbourg": ("67482", "67000", 48.5734, 7.7521),
    "Toulouse": ("31555", "31000", 43.6047, 1.4442),
}
