"""Demo data of the projects app (issue 11), called by `load_demo` after the sessions.

* **DESIGN PALAS** (Mayotte): the programme's list of themes (seed 003), and the fiches
  projet of its 17 CCAS and the UDCCAS in various states: eight complete (data sheet, two
  themes, both projects, a team with its referent and an elected member or a partner,
  lessons learned, a road map of two to four axes), seven half-filled, three untouched.
  Every fiche is written through `services.fiche_edit` by the demo accounts
  (`coordination`, the trainer `formatrice`, the referent `referent` for the CCAS de
  Mamoudzou), part by part, so their history shows several versions by different people;
  each version is dated in the programme's period (around the labos). Then the follow-up
  log of each structure (contacts, relances, questions with their answers, réunions; a
  few structures left without contact for months) and the intersession tasks (the past
  ones done; the current ones dated from the day of the first load: some still to do, two
  overdue).
* **Centres sociaux connectés** (Lille Sud, seed 000): the journal de bord is switched on,
  and three participants have entries, some shared with the trainer `formateur`.

Idempotent: a fiche already edited is left as it is, and the follow-up, the tasks and the
journal of a programme are written once (a second `load_demo` adds nothing).
"""

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from formations.models import Participant, Programme, Structure, User
from projects import services_journal
from projects.models import (
    ActionStatus,
    FicheRevision,
    FollowUpEntry,
    IntersessionTask,
    JournalEntry,
    Project,
    ProjectFiche,
    ProjectStage,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
    Theme,
)
from projects.services import fiche_edit
from sessions.models import Enrolment

MAYOTTE_PROGRAMME = "DESIGN-PALAS"
LILLE_PROGRAMME = "CSC-MEL-2018"

THEMES = (
    "Accès aux droits",
    "Lutte contre l'isolement des personnes âgées",
    "Inclusion numérique",
    "Petite enfance et parentalité",
    "Insertion des jeunes",
    "Aide alimentaire",
    "Handicap et accessibilité",
)


@dataclass(frozen=True)
class ProjectIdea:
    title: str
    problem: str
    public: str
    partners: str
    means: str


# Two ideas per theme: a structure experiments one on its priority theme and proposes one
# on its secondary theme. « {commune} » is the structure's commune.
IDEAS = {
    "Accès aux droits": (
        ProjectIdea(
            "Permanence itinérante d'accès aux droits dans les villages",
            "Les habitants des villages éloignés du bourg de {commune} renoncent à leurs "
            "droits (RSA, prime d'activité, complémentaire santé) faute de transport jusqu'au "
            "CCAS.",
            "Familles et personnes isolées des villages de {commune}",
            "CAF de Mayotte, CSSM, France Services",
            "Un agent deux demi-journées par semaine, le véhicule de la mairie, un ordinateur "
            "portable avec une clé 4G",
        ),
        ProjectIdea(
            "Rendez-vous des droits avec la CSSM",
            "Les dossiers de complémentaire santé arrivent incomplets et reviennent deux ou "
            "trois fois avant d'être acceptés.",
            "Personnes reçues à l'accueil du CCAS de {commune}",
            "CSSM, CAF de Mayotte",
            "Une liste des pièces traduite en shimaoré, un créneau mensuel avec un conseiller "
            "de la CSSM",
        ),
    ),
    "Lutte contre l'isolement des personnes âgées": (
        ProjectIdea(
            "Visites de convivialité chez les personnes âgées isolées",
            "Des personnes âgées de {commune} vivent seules depuis le départ de leurs enfants "
            "et ne reçoivent aucune visite régulière.",
            "Personnes de plus de 65 ans vivant seules",
            "Associations de quartier, infirmiers libéraux, Croix-Rouge",
            "Six bénévoles formés, un planning de visites, le registre des personnes fragiles",
        ),
        ProjectIdea(
            "Repas partagés intergénérationnels",
            "Les anciens de {commune} ne sortent plus de chez eux et perdent le lien avec les "
            "jeunes du quartier.",
            "Personnes âgées et jeunes volontaires du service civique",
            "Associations de jeunes, cuisine centrale de la commune",
            "Un repas par mois au foyer du quartier, un minibus pour les personnes peu mobiles",
        ),
    ),
    "Inclusion numérique": (
        ProjectIdea(
            "Ateliers numériques : mon adresse e-mail et mon espace CAF",
            "La dématérialisation des démarches laisse de côté les personnes sans équipement "
            "ni pratique du numérique.",
            "Adultes accompagnés par le CCAS de {commune}",
            "Conseiller numérique France Services, médiathèque",
            "Trois ordinateurs, une connexion, un agent formé aux démarches en ligne",
        ),
        ProjectIdea(
            "Point numérique libre-service à l'accueil du CCAS",
            "Les usagers attendent un agent pour des démarches qu'ils pourraient faire seuls "
            "avec un poste et un peu d'aide.",
            "Usagers du CCAS de {commune} déjà un peu autonomes",
            "France Services, médiateurs numériques du Département",
            "Un poste en libre accès, une imprimante, un volontaire en service civique",
        ),
    ),
    "Petite enfance et parentalité": (
        ProjectIdea(
            "Café des parents",
            "Les jeunes parents isolés de {commune} manquent de lieux pour échanger et "
            "s'informer sur les droits et la santé des enfants.",
            "Parents d'enfants de 0 à 6 ans",
            "PMI du Département, CAF de Mayotte, associations de parents",
            "Une salle un samedi par mois, une animatrice, une collation",
        ),
        ProjectIdea(
            "Accompagnement des familles à l'inscription à l'école",
            "Des enfants de {commune} ne sont pas scolarisés à la rentrée faute de dossier "
            "complet.",
            "Familles d'enfants de 3 à 6 ans",
            "Service des écoles de la mairie, associations de parents d'élèves",
            "Deux permanences en juin, une liste des pièces, un agent du CCAS",
        ),
    ),
    "Insertion des jeunes": (
        ProjectIdea(
            "Chantier d'insertion : embellissement du front de mer",
            "Des jeunes de 16 à 25 ans de {commune} sont sortis de l'école sans qualification "
            "et sans suivi de la Mission locale.",
            "Jeunes de 16 à 25 ans sans emploi ni formation",
            "Mission locale, RSMA, entreprises locales",
            "Un encadrant technique, une convention avec la Mission locale, du petit matériel",
        ),
        ProjectIdea(
            "Forum des métiers au CCAS",
            "Les jeunes de {commune} connaissent mal les formations et les employeurs de l'île.",
            "Jeunes de 16 à 25 ans et leurs familles",
            "Mission locale, Pôle emploi, chambre des métiers",
            "Une journée par an, dix stands d'employeurs, une navette depuis les villages",
        ),
    ),
    "Aide alimentaire": (
        ProjectIdea(
            "Épicerie solidaire communale",
            "L'aide alimentaire d'urgence de {commune} est distribuée sans accompagnement et "
            "ne touche pas les familles qui n'osent pas la demander.",
            "Familles orientées par les travailleurs sociaux",
            "Banque alimentaire, Croix-Rouge, commerçants de la commune",
            "Un local, des bons d'achat, un agent et deux bénévoles",
        ),
        ProjectIdea(
            "Jardin partagé nourricier",
            "Les familles aidées par le CCAS de {commune} dépendent des colis alimentaires.",
            "Familles bénéficiaires de l'aide alimentaire",
            "Lycée agricole de Coconi, association de quartier",
            "Un terrain prêté par la mairie, des outils, un animateur deux matinées par semaine",
        ),
    ),
    "Handicap et accessibilité": (
        ProjectIdea(
            "Repérage des personnes en situation de handicap sans droits ouverts",
            "À {commune}, des personnes en situation de handicap n'ont jamais déposé de "
            "dossier à la MDPH.",
            "Personnes en situation de handicap et leurs aidants",
            "MDPH de Mayotte, associations de familles",
            "Un questionnaire de repérage, des visites à domicile, un agent référent",
        ),
        ProjectIdea(
            "Accueil du CCAS accessible à tous",
            "L'accueil du CCAS de {commune} est à l'étage et les documents ne sont pas lisibles "
            "par tous.",
            "Usagers à mobilité réduite ou malvoyants",
            "Services techniques de la mairie, MDPH",
            "Un bureau d'accueil au rez-de-chaussée, des documents en facile à lire",
        ),
    ),
}

LESSONS = (
    "Travailler le projet avec les habitants dès le départ : les premières idées venaient du "
    "bureau et ne répondaient pas à leurs besoins. L'analyse des besoins sociaux a été "
    "décisive.",
    "Un projet avance quand l'élu·e est associé·e dès le premier labo. Sans calendrier "
    "partagé, l'équipe s'essouffle entre deux sessions.",
    "Les partenaires répondent mieux à une demande précise (une date, un public, un lieu) "
    "qu'à une invitation générale. Garder une trace écrite de chaque réunion.",
    "Commencer petit : une première action test sur un quartier a montré ce qui marchait avant "
    "de l'étendre à toute la commune.",
)

AXES = (
    ("Lancer « {experimented} »", "Mettre en place une première action test."),
    ("Mobiliser les partenaires", "Associer {partner} et l'élu·e aux affaires sociales."),
    ("Préparer « {proposed} »", "Recenser les besoins et chercher un financement."),
    ("Évaluer et faire connaître", "Bilan avec les habitants et présentation au labo."),
)
ACTIONS = (
    (
        "Réunir l'équipe projet et fixer le calendrier",
        "Présenter le projet au conseil d'administration {of_structure}",
        "Mener la première action test",
    ),
    ("Rencontrer les partenaires", "Signer une convention de partenariat"),
    ("Recenser les besoins du public", "Déposer une demande de financement"),
    ("Recueillir l'avis des habitants", "Présenter le bilan au labo suivant"),
)


@dataclass(frozen=True)
class FichePlan:
    structure: str
    state: str  # complete, partial
    priority: int  # index in THEMES
    secondary: int
    steps: tuple[str, ...] = ()  # for a partial fiche: the parts written


COMPLETE, PARTIAL = "complete", "partial"
PLANS = (
    FichePlan("CCAS de Mamoudzou", COMPLETE, 0, 2),
    FichePlan("CCAS de Koungou", COMPLETE, 4, 5),
    FichePlan("CCAS de Dzaoudzi-Labattoir", COMPLETE, 1, 0),
    FichePlan("CCAS de Chirongui", COMPLETE, 5, 3),
    FichePlan("CCAS de Sada", COMPLETE, 2, 1),
    FichePlan("CCAS de Dembéni", COMPLETE, 3, 6),
    FichePlan("CCAS de Pamandzi", COMPLETE, 1, 2),
    FichePlan("UDCCAS de Mayotte", COMPLETE, 0, 6),
    FichePlan("CCAS de Acoua", PARTIAL, 5, 0, ("data", "themes")),
    FichePlan("CCAS de Bandraboua", PARTIAL, 4, 2, ("data", "themes", "experimented")),
    FichePlan("CCAS de Bandrélé", PARTIAL, 0, 1, ("data",)),
    FichePlan("CCAS de Chiconi", PARTIAL, 3, 0, ("themes", "team")),
    FichePlan("CCAS de M'Tsamboro", PARTIAL, 2, 4, ("data", "themes", "team", "experimented")),
    FichePlan("CCAS de Ouangani", PARTIAL, 1, 5, ("themes",)),
    FichePlan("CCAS de Tsingoni", PARTIAL, 6, 0, ("data", "themes", "roadmap")),
)
# CCAS de Bouéni, de Kani-Kéli and de M'Tsangamouji: no fiche yet.
QUIET = ("CCAS de Bouéni", "CCAS de Kani-Kéli", "CCAS de M'Tsangamouji", "CCAS de Ouangani")

PUBLICS = (
    "Familles monoparentales, personnes âgées isolées, jeunes sans emploi",
    "Bénéficiaires du RSA, familles nombreuses, personnes sans couverture santé",
    "Personnes âgées, personnes en situation de handicap, familles en difficulté",
)
DATA_PARTNERS = (
    "CAF de Mayotte, CSSM, Mission locale, associations de quartier",
    "Conseil départemental (PMI, ASE), Croix-Rouge, France Services",
    "UDCCAS de Mayotte, Pôle emploi, associations de femmes",
)
ELECTED_ROLES = (
    "Adjointe au maire chargée des affaires sociales",
    "Adjoint au maire chargé de la solidarité",
    "Conseillère municipale déléguée aux personnes âgées",
)
# The demo's first names (fixtures/demo.json) that are women's: a job title is written in the
# person's own form (« Travailleuse sociale »), not the inclusive one of the list.
WOMEN = {
    "Zaïnaba", "Anrifa", "Fatima", "Mariame", "Echati", "Soifia", "Faïza", "Toiyifou",
    "Hadidja", "Roukia", "Hélène", "Thị Hương", "Ayşe", "Léa", "Chloé", "Inès", "Françoise",
    "Noémie", "Aïcha", "Émilie", "Zoé",
}  # fmt: skip
JOB_FORMS = {  # inclusive form → (man's, woman's)
    "Directeur·rice du CCAS": ("Directeur du CCAS", "Directrice du CCAS"),
    "Travailleur·se social·e": ("Travailleur social", "Travailleuse sociale"),
    "Chargé·e de projet": ("Chargé de projet", "Chargée de projet"),
    "Élu·e aux affaires sociales": ("Élu aux affaires sociales", "Élue aux affaires sociales"),
    "Agent d'accueil du CCAS": ("Agent d'accueil du CCAS", "Agente d'accueil du CCAS"),
}
ELECTED_JOB = "Élu·e aux affaires sociales"


def is_woman(person) -> bool:
    return person.first_name in WOMEN


def own_job_title(person) -> str:
    """The person's job in their own form (« Travailleuse sociale » for a woman)."""
    forms = JOB_FORMS.get(person.job_title)
    if forms is None:
        return person.job_title
    return forms[1] if is_woman(person) else forms[0]


# The partners named first on the projects, with their article (« Associer le lycée… »).
WITH_ARTICLE = {
    "CAF de Mayotte": "la CAF de Mayotte",
    "CSSM": "la CSSM",
    "Associations de quartier": "les associations de quartier",
    "Association de quartier": "l'association de quartier",
    "Conseiller numérique France Services": "le conseiller numérique France Services",
    "PMI du Département": "la PMI du Département",
    "Service des écoles de la mairie": "le service des écoles de la mairie",
    "Mission locale": "la Mission locale",
    "Banque alimentaire": "la Banque alimentaire",
    "Lycée agricole de Coconi": "le lycée agricole de Coconi",
    "MDPH de Mayotte": "la MDPH de Mayotte",
    "Services techniques de la mairie": "les services techniques de la mairie",
    "France Services": "France Services",
}

PARTNER_MEMBERS = (
    ("Association Nayma", "Association de quartier, partenaire du projet"),
    ("Mission locale de Mayotte", "Conseillère en insertion, antenne du Nord"),
    ("Croix-Rouge française", "Délégation territoriale de Mayotte"),
)

# When each part is written (around the labos of the demo: October and December 2021).
WHEN = {
    "data": dt.date(2021, 9, 20),
    "themes": dt.date(2021, 10, 5),
    "experimented": dt.date(2021, 10, 6),
    "team": dt.date(2021, 10, 21),
    "proposed": dt.date(2021, 12, 7),
    "roadmap": dt.date(2021, 12, 8),
    "experimented_update": dt.date(2022, 3, 15),
    "roadmap_update": dt.date(2022, 6, 2),
    "lessons": dt.date(2022, 11, 24),
}
PART_LABELS = {
    "data": "Fiche de données",
    "themes": "Thématiques",
    "experimented": "Projet expérimenté",
    "experimented_update": "Projet expérimenté",
    "team": "Équipe projet",
    "proposed": "Projet proposé",
    "roadmap": "Feuille de route",
    "roadmap_update": "Feuille de route",
    "lessons": "Enseignements",
}


@dataclass(frozen=True)
class Loaded:
    fiches: int
    revisions: int
    follow_up: int
    tasks: int
    journal_entries: int


def load(*, accounts: dict[str, User], today: dt.date | None = None) -> Loaded:
    today = today or timezone.localdate()
    mayotte = Programme.objects.filter(reference=MAYOTTE_PROGRAMME).first()
    lille = Programme.objects.filter(reference=LILLE_PROGRAMME).first()
    if mayotte is not None:
        themes = _load_themes(mayotte)
        structures = {s.name: s for s in mayotte.structures.all()}
        for index, plan in enumerate(PLANS):
            if plan.structure in structures:
                _load_fiche(mayotte, structures[plan.structure], plan, themes, accounts, index)
        _load_follow_up(mayotte, structures, accounts)
        _load_tasks(mayotte, structures, accounts, today)
    if lille is not None:
        _load_journal(lille)
    return Loaded(
        fiches=ProjectFiche.objects.filter(programme=mayotte).count() if mayotte else 0,
        revisions=FicheRevision.objects.filter(fiche__programme=mayotte).count() if mayotte else 0,
        follow_up=FollowUpEntry.objects.filter(programme=mayotte).count() if mayotte else 0,
        tasks=IntersessionTask.objects.filter(programme=mayotte).count() if mayotte else 0,
        journal_entries=JournalEntry.objects.filter(programme=lille).count() if lille else 0,
    )


def _load_themes(programme: Programme) -> dict[int, Theme]:
    themes = {}
    existing = {theme.label.lower(): theme for theme in Theme.objects.filter(programme=programme)}
    for index, label in enumerate(THEMES):
        theme = existing.get(label.lower())
        if theme is None:
            theme = Theme.objects.create(programme=programme, label=label, position=index + 1)
        themes[index] = theme
    return themes


# --------------------------------------------------------------------------- fiches


def _load_fiche(programme, structure, plan: FichePlan, themes, accounts, index: int) -> None:
    if ProjectFiche.objects.filter(programme=programme, structure=structure, revision__gt=0):
        return  # already written (by the demo or by a visitor): left as it is
    rng = random.Random(f"fiche-{structure.name}")
    coordinator, trainer = accounts["coordination"], accounts["formatrice"]
    referent = accounts.get("referent")
    own_referent = referent if referent and referent.structure_id == structure.pk else None
    commune = structure.commune or structure.name
    priority, secondary = THEMES[plan.priority], THEMES[plan.secondary]
    experimented = _idea(IDEAS[priority][index % 2], commune)
    proposed = _idea(IDEAS[secondary][(index + 1) % 2], commune)
    steps = (
        plan.steps
        if plan.state == PARTIAL
        else (
            "data",
            "themes",
            "experimented",
            "team",
            "proposed",
            "roadmap",
            "experimented_update",
            "roadmap_update",
            "lessons",
        )
    )
    authors = {
        "data": coordinator,
        "themes": trainer,
        "experimented": trainer,
        "team": own_referent or coordinator,
        "proposed": trainer,
        "roadmap": trainer,
        "experimented_update": own_referent or trainer,
        "roadmap_update": own_referent or coordinator,
        "lessons": coordinator,
    }
    for step in steps:
        with fiche_edit(
            actor=authors[step], programme=programme, structure=structure, part=PART_LABELS[step]
        ) as fiche:
            if step == "data":
                fiche.territory = f"{commune}, Mayotte"
                fiche.staff_size = rng.randint(3, 14) if plan.state == COMPLETE else None
                fiche.public_served = rng.choice(PUBLICS)
                fiche.partners = rng.choice(DATA_PARTNERS)
                _save(fiche)
            elif step == "themes":
                fiche.priority_theme = themes[plan.priority]
                fiche.secondary_theme = themes[plan.secondary]
                _save(fiche)
            elif step == "experimented":
                partial = plan.state == PARTIAL
                _save(
                    Project(
                        fiche=fiche,
                        kind=Project.Kind.EXPERIMENTED,
                        title=experimented.title,
                        problem=experimented.problem,
                        public="" if partial else experimented.public,
                        partners="" if partial else experimented.partners,
                        means="",
                        stage=ProjectStage.IDEA,
                    )
                )
            elif step == "experimented_update":
                project = fiche.projects.get(kind=Project.Kind.EXPERIMENTED)
                project.means = experimented.means
                project.stage = rng.choice(
                    (ProjectStage.PROTOTYPE, ProjectStage.EXPERIMENTED, ProjectStage.EXPERIMENTED)
                )
                _save(project)
            elif step == "proposed":
                _save(
                    Project(
                        fiche=fiche,
                        kind=Project.Kind.PROPOSED,
                        title=proposed.title,
                        problem=proposed.problem,
                        public=proposed.public,
                        partners=proposed.partners,
                        means=proposed.means,
                        stage=ProjectStage.IDEA,
                    )
                )
            elif step == "team":
                _load_team(fiche, structure, plan, own_referent, rng)
            elif step == "roadmap":
                axes = 1 if plan.state == PARTIAL else rng.randint(2, 4)
                _load_roadmap(fiche, axes, experimented, proposed, rng)
            elif step == "roadmap_update":
                _advance_roadmap(fiche, rng)
            elif step == "lessons":
                fiche.lessons_learned = LESSONS[index % len(LESSONS)]
                _save(fiche)
        # The version is dated when the demo says it was written, not at the load.
        FicheRevision.objects.filter(fiche=fiche, number=fiche.revision).update(
            at=_at(WHEN[step], rng)
        )


def _idea(idea: ProjectIdea, commune: str) -> ProjectIdea:
    return ProjectIdea(*(text.format(commune=commune) for text in vars(idea).values()))


def _save(obj) -> None:
    obj.full_clean()
    obj.save()


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _load_team(fiche, structure, plan, own_referent, rng) -> None:
    """The team: the structure's people (an elected one as « élu·e », the others as
    agents), each with their job in their own form. A person is linked to their
    participant record only if enrolled in one of the programme's sessions: otherwise the
    fiche would list participants whose log shows no session; their name is then typed."""
    people = list(Participant.objects.filter(structure=structure).order_by("pk"))
    enrolled = set(
        Enrolment.objects.filter(
            session__formation__programme=fiche.programme, participant__in=people
        ).values_list("participant_id", flat=True)
    )
    agents = []
    if own_referent is not None:
        agents.append((None, own_referent.get_full_name(), "Directrice du CCAS"))
    size = 1 if plan.state == PARTIAL else rng.randint(1, 3)
    staff = [person for person in people if person.job_title != ELECTED_JOB]
    elected = [person for person in people if person.job_title == ELECTED_JOB]
    for person in staff[: max(0, size - len(agents))]:
        agents.append(
            (
                person if person.pk in enrolled else None,
                f"{person.first_name} {person.last_name}",
                own_job_title(person),
            )
        )
    position = 1
    for number, (person, name, role) in enumerate(agents):
        _save(
            TeamMember(
                fiche=fiche,
                kind=TeamMember.Kind.AGENT,
                participant=person,
                full_name=name,
                role=role,
                is_referent=number == 0,
                position=position,
            )
        )
        position += 1
    if plan.state == PARTIAL:
        return
    if elected:
        person = elected[0]
        _save(
            TeamMember(
                fiche=fiche,
                kind=TeamMember.Kind.ELECTED,
                participant=person if person.pk in enrolled else None,
                full_name=f"{person.first_name} {person.last_name}",
                role=own_job_title(person),
                position=position,
            )
        )
    elif rng.random() < 0.6:
        first = rng.choice(("Mariame", "Nassuf", "Hadidja", "Rachidi", "Soifia", "Ibrahim"))
        last = rng.choice(("Houmadi", "Combo", "Boinali", "Chanfi", "Attoumani", "Soilihi"))
        _save(
            TeamMember(
                fiche=fiche,
                kind=TeamMember.Kind.ELECTED,
                full_name=f"{first} {last}",
                role=rng.choice(ELECTED_ROLES),
                position=position,
            )
        )
    else:
        name, role = rng.choice(PARTNER_MEMBERS)
        _save(
            TeamMember(
                fiche=fiche,
                kind=TeamMember.Kind.PARTNER,
                full_name=name,
                role=role,
                position=position,
            )
        )


def _load_roadmap(fiche, count: int, experimented, proposed, rng) -> None:
    first = experimented.partners.split(",")[0].strip()
    partner = WITH_ARTICLE.get(first, first) or "les partenaires"
    udccas = fiche.structure.kind == Structure.Kind.UDCCAS
    of_structure = "de l'UDCCAS" if udccas else "du CCAS"
    owners = [member.full_name for member in fiche.team.all()] or ["Équipe projet"]
    for number in range(count):
        title, description = AXES[number]
        axis = RoadmapAxis(
            fiche=fiche,
            position=number + 1,
            title=title.format(experimented=experimented.title, proposed=proposed.title),
            description=description.format(partner=partner),
        )
        _save(axis)
        for position, action in enumerate(ACTIONS[number], start=1):
            due = dt.date(2022, 1, 15) + dt.timedelta(days=60 * number + 30 * position)
            _save(
                RoadmapAction(
                    axis=axis,
                    position=position,
                    title=action.format(of_structure=of_structure),
                    owner=rng.choice(owners),
                    due_on=due,
                    status=ActionStatus.TODO,
                )
            )


def _advance_roadmap(fiche, rng) -> None:
    """Six months on: the first actions are done, some under way, one dropped."""
    actions = list(
        RoadmapAction.objects.filter(axis__fiche=fiche).order_by("axis__position", "position")
    )
    for index, action in enumerate(actions):
        if index < 2:
            action.status = ActionStatus.DONE
        elif index < 4:
            action.status = rng.choice((ActionStatus.IN_PROGRESS, ActionStatus.DONE))
        elif rng.random() < 0.15:
            action.status = ActionStatus.DROPPED
        elif rng.random() < 0.4:
            action.status = ActionStatus.IN_PROGRESS
        action.save(update_fields=["status"])


# --------------------------------------------------------------------------- follow-up

FOLLOW_UP = (
    # (kind, channel, summary, answer)
    (
        FollowUpEntry.Kind.CONTACT,
        FollowUpEntry.Channel.PHONE,
        "Premier appel à la direction du CCAS : présentation du programme et des labos, "
        "demande du diagnostic territorial.",
        "",
    ),
    (
        FollowUpEntry.Kind.MEETING,
        FollowUpEntry.Channel.ON_SITE,
        "Réunion de préparation au CCAS : analyse du diagnostic, forces et faiblesses, "
        "premières idées de thématiques.",
        "",
    ),
    (
        FollowUpEntry.Kind.QUESTION,
        FollowUpEntry.Channel.EMAIL,
        "Le CCAS demande si un agent arrivé en septembre peut rejoindre l'équipe projet.",
        "Oui, tant que l'équipe reste à trois agents au plus ; l'inscrire à la prochaine session.",
    ),
    (
        FollowUpEntry.Kind.REMINDER,
        FollowUpEntry.Channel.SMS,
        "Relance : la feuille de route est attendue avant le labo de décembre.",
        "",
    ),
    (
        FollowUpEntry.Kind.MEETING,
        FollowUpEntry.Channel.VIDEO,
        "Point d'étape en visioconférence sur le projet expérimenté : calendrier de l'action "
        "test, partenaires à solliciter.",
        "",
    ),
    (
        FollowUpEntry.Kind.QUESTION,
        FollowUpEntry.Channel.PHONE,
        "Question sur le financement de l'action test : peut-on acheter du petit matériel ?",
        "Non sur les crédits de la formation ; orienter vers l'appel à projets de la CAF.",
    ),
    (
        FollowUpEntry.Kind.NOTE,
        FollowUpEntry.Channel.OTHER,
        "L'élue aux affaires sociales souhaite assister au prochain labo.",
        "",
    ),
    (
        FollowUpEntry.Kind.REMINDER,
        FollowUpEntry.Channel.EMAIL,
        "Relance : le bilan de l'action test et les photos ne sont pas encore arrivés.",
        "",
    ),
    (
        FollowUpEntry.Kind.CONTACT,
        FollowUpEntry.Channel.PHONE,
        "Appel de suivi : l'équipe a présenté le projet au conseil d'administration, avis "
        "favorable.",
        "",
    ),
)
FOLLOW_UP_START = dt.date(2021, 5, 10)
FOLLOW_UP_END = dt.date(2022, 11, 30)
# The structures that kept in touch end with a call in the programme's last weeks, so that
# at its end (31/12/2022, where silence is measured once it is over) only the quiet ones
# are « sans contact ».
CLOSING_CALL = (
    FollowUpEntry.Kind.CONTACT,
    FollowUpEntry.Channel.PHONE,
    "Appel de clôture : bilan du programme avec l'équipe projet, suites prévues l'an prochain.",
    "",
)
CLOSING_FROM = dt.date(2022, 12, 5)
QUIET_UNTIL = dt.date(2022, 3, 31)  # the quiet structures' last contact is before this


def _load_follow_up(programme, structures: dict[str, Structure], accounts) -> None:
    if FollowUpEntry.objects.filter(programme=programme).exists():
        return
    authors = (accounts["coordination"], accounts["formatrice"])
    rows = []
    for name, structure in sorted(structures.items()):
        rng = random.Random(f"suivi-{name}")
        quiet = name in QUIET
        end = QUIET_UNTIL if quiet else FOLLOW_UP_END
        count = rng.randint(2, 3) if quiet else rng.randint(4, 7)
        span = (end - FOLLOW_UP_START).days
        days = sorted(rng.sample(range(span), count))
        for number, offset in enumerate(days):
            kind, channel, summary, answer = FOLLOW_UP[
                number if number < 2 else rng.randrange(2, len(FOLLOW_UP))
            ]
            occurred = FOLLOW_UP_START + dt.timedelta(days=offset)
            row = FollowUpEntry(
                programme=programme,
                structure=structure,
                occurred_on=occurred,
                kind=kind,
                channel=channel,
                summary=summary,
                answer=answer,
                answered_on=occurred + dt.timedelta(days=rng.randint(1, 6)) if answer else None,
                author=rng.choice(authors),
            )
            row.full_clean()
            rows.append(row)
        if not quiet:
            kind, channel, summary, _answer = CLOSING_CALL
            row = FollowUpEntry(
                programme=programme,
                structure=structure,
                occurred_on=CLOSING_FROM + dt.timedelta(days=rng.randint(0, 12)),
                kind=kind,
                channel=channel,
                summary=summary,
                author=rng.choice(authors),
            )
            row.full_clean()
            rows.append(row)
    FollowUpEntry.objects.bulk_create(rows)


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskPlan:
    kind: str
    title: str
    instructions: str
    due_on: dt.date
    structures: tuple[str, ...] = ()  # () = all
    left_open: tuple[str, ...] = ()  # the structures that never did it (now overdue)


# Within the programme's period (April 2021 to December 2022): a task may not be due after
# its end. Every one done but two, which are overdue.
TASKS = (
    TaskPlan(
        IntersessionTask.Kind.DOCUMENT,
        "Envoyer le diagnostic territorial du CCAS",
        "L'analyse des besoins sociaux ou, à défaut, une note de deux pages sur le territoire.",
        dt.date(2021, 9, 24),
    ),
    TaskPlan(
        IntersessionTask.Kind.QUIZ,
        "Quiz de fin du premier labo",
        "Dix questions sur les étapes d'un projet, à faire en équipe.",
        dt.date(2021, 10, 29),
    ),
    TaskPlan(
        IntersessionTask.Kind.ROADMAP_STEP,
        "Rédiger la première version de la feuille de route",
        "Deux à quatre axes de travail par ordre de priorité, avec une ou deux actions chacun.",
        dt.date(2021, 11, 26),
    ),
    TaskPlan(
        IntersessionTask.Kind.OTHER,
        "Constituer l'équipe projet et désigner son référent",
        "Un à trois agents, dont le ou la référent·e du projet ; un·e élu·e ou un partenaire "
        "peut s'y joindre.",
        dt.date(2022, 3, 11),
        structures=("CCAS de Kani-Kéli", "CCAS de M'Tsangamouji"),
        left_open=("CCAS de Kani-Kéli", "CCAS de M'Tsangamouji"),
    ),
    TaskPlan(
        IntersessionTask.Kind.DOCUMENT,
        "Bilan et photos de l'action test",
        "Une page de bilan (public touché, ce qui a marché, ce qui est à revoir) et trois "
        "photos au plus, avec l'accord des personnes photographiées.",
        dt.date(2022, 6, 24),
        structures=("CCAS de Koungou", "CCAS de Sada", "CCAS de Chirongui", "CCAS de Dembéni"),
    ),
    TaskPlan(
        IntersessionTask.Kind.ROADMAP_STEP,
        "Mettre à jour la feuille de route avant le labo de clôture",
        "Indiquer l'état de chaque action et ajouter celles décidées avec les partenaires.",
        dt.date(2022, 11, 18),
        structures=tuple(plan.structure for plan in PLANS if plan.state == COMPLETE),
    ),
)


def _load_tasks(programme, structures: dict[str, Structure], accounts, today: dt.date) -> None:
    """The tasks of the programme's period: all done but two, left open and overdue."""
    if IntersessionTask.objects.filter(programme=programme).exists():
        return
    coordinator = accounts["coordination"]
    referent = accounts.get("referent")
    rows = []
    for plan in TASKS:
        batch = uuid.uuid4()
        due = plan.due_on
        names = plan.structures or tuple(sorted(structures))
        rng = random.Random(f"tache-{plan.title}")
        for name in names:
            structure = structures.get(name)
            if structure is None:
                continue
            row = IntersessionTask(
                programme=programme,
                structure=structure,
                batch=batch,
                kind=plan.kind,
                title=plan.title,
                instructions=plan.instructions,
                due_on=due,
                created_by=coordinator,
            )
            if name not in plan.left_open:
                own = referent if referent and referent.structure_id == structure.pk else None
                done_on = due - dt.timedelta(days=rng.randint(0, 6))
                row.done_at = _at(min(done_on, today), rng)
                row.done_by = own or coordinator
                row.done_note = (
                    ""
                    if own
                    else "Reçu par e-mail de l'équipe projet, enregistré par la coordination."
                )
            row.full_clean()
            rows.append(row)
    IntersessionTask.objects.bulk_create(rows)


# --------------------------------------------------------------------------- journal

# Each person writes their own entries (no two people the same text): four, three and two.
# « {aidé} », « {arrivé} » agree with the author (« aidée » for a woman).
JOURNALS = (
    (
        (
            "Premier atelier numérique au centre",
            "Six habitantes sont venues pour créer leur adresse e-mail. Deux n'avaient jamais "
            "tenu une souris : il faut prévoir un temps de prise en main avant les démarches.",
        ),
        (
            "Observation : l'accueil du mercredi",
            "Le mercredi, les parents attendent leurs enfants au centre et posent des questions "
            "sur Parcoursup et l'ENT. Un créneau numérique ce jour-là aurait son public.",
        ),
        (
            "Ce que je retiens de la session",
            "Le cadre de référence m'a {aidé} à nommer ce que je fais déjà : animer, "
            "accompagner, faire le lien avec les partenaires. Je veux travailler la partie "
            "innovation.",
        ),
        (
            "Idée : les alertes SMS",
            "Beaucoup d'habitants ne lisent pas leurs mails mais lisent les SMS. Tester un "
            "rappel par SMS la veille des ateliers.",
        ),
    ),
    (
        (
            "Difficulté avec un partenaire",
            "La médiathèque ne répond pas à nos propositions d'ateliers communs. Essayer de "
            "passer par la directrice du centre plutôt que par mail.",
        ),
        (
            "Retour sur la deuxième session",
            "L'exercice de la carte des partenaires m'a {aidé} à voir que nous travaillons "
            "surtout avec la CAF et presque jamais avec les associations de locataires.",
        ),
        (
            "Atelier CV avec les jeunes du quartier",
            "Quatre jeunes, un seul ordinateur qui marchait. La prochaine fois, réserver la "
            "salle de la médiathèque et demander aux jeunes d'apporter leur téléphone.",
        ),
    ),
    (
        (
            "Ma place dans l'équipe",
            "Je suis {arrivé} au centre il y a trois mois. La formation m'a {aidé} à "
            "expliquer mon poste à l'équipe : le numérique n'est pas qu'une affaire de "
            "matériel.",
        ),
        (
            "Une habitante qui revient",
            "Mme B. est revenue seule pour faire sa déclaration en ligne. Elle m'a dit qu'elle "
            "n'avait plus peur de se tromper. C'est le premier résultat visible.",
        ),
    ),
)


@transaction.atomic
def _load_journal(programme: Programme) -> None:
    if not programme.logbook_enabled:
        Programme.objects.filter(pk=programme.pk).update(logbook_enabled=True)
        programme.logbook_enabled = True
    people = list(
        Participant.objects.filter(
            pk__in=Enrolment.objects.filter(session__formation__programme=programme).values(
                "participant_id"
            )
        ).order_by("pk")[:3]
    )
    for number, person in enumerate(people):
        if JournalEntry.objects.filter(participant=person, programme=programme).exists():
            continue
        woman = is_woman(person)
        for index, (title, body) in enumerate(JOURNALS[number]):
            ending = "e" if woman else ""
            body = body.format(aidé=f"aidé{ending}", arrivé=f"arrivé{ending}")
            entry = services_journal.journal_entry_create(
                actor=person,
                participant=person,
                programme=programme,
                written_on=dt.date(2018, 3, 14) + dt.timedelta(days=35 * index + 9 * number),
                title=title,
                body=body,
            )
            if (index + number) % 2 == 0:
                services_journal.journal_entry_share(actor=person, entry=entry, shared=True)
