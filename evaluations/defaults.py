"""The questionnaires shipped with the application, in French, and their installation.

Each default is found again by its `code` (`Questionnaire.code`): `install_defaults()`
creates the ones missing and never touches one that exists, whatever a coordinator did
to it since (edited, archived, answered). It runs from a data migration (with the
migration's historical models) and from `load_demo`; running it twice adds nothing.

The wording follows what the tenders ask (seeds 003 and 004): satisfaction at the end of
the training on contents, facilitation and objectives met, then « à 3 mois » the effect on
practice; for the Mayotte labo, a self-assessment before the first visit, a questionnaire
at the end of each labo, a quiz between labos, a peer evaluation each year; and the views
of the trainers and of the funder, which the quality framework (Qualiopi, indicator 30)
asks for.
"""

import re

from django.apps import apps as django_apps

HOT = "a-chaud"
COLD = "a-froid"
POSITIONING = "auto-positionnement"
LABO_END = "fin-de-labo"
QUIZ = "quiz-intersession"
PEER = "evaluation-par-les-pairs"
TRAINER = "avis-formateurs"
FUNDER = "avis-financeur"

SATISFACTION = ("Pas du tout satisfait·e", "Très satisfait·e")
AGREEMENT = ("Pas du tout d'accord", "Tout à fait d'accord")
LEVEL = ("Aucune maîtrise", "Maîtrise complète")


def scale(text, ends=SATISFACTION, *, help_text="", required=True) -> dict:
    low, high = ends
    return {
        "kind": "scale",
        "text": text,
        "help_text": help_text,
        "required": required,
        "scale_low_label": low,
        "scale_high_label": high,
    }


def yes_no(text, *, help_text="", required=True) -> dict:
    return {"kind": "yes_no", "text": text, "help_text": help_text, "required": required}


def single(text, choices, *, help_text="", required=True) -> dict:
    return {
        "kind": "single",
        "text": text,
        "help_text": help_text,
        "required": required,
        "choices": list(choices),
    }


def multiple(text, choices, *, help_text="", required=False) -> dict:
    return {
        "kind": "multiple",
        "text": text,
        "help_text": help_text,
        "required": required,
        "choices": list(choices),
    }


def text(text, *, help_text="", required=False) -> dict:
    return {"kind": "text", "text": text, "help_text": help_text, "required": required}


def quiz(text, choices, correct, *, points=1, help_text="") -> dict:
    """``correct``: the right options, by their index in ``choices``."""
    return {
        "kind": "quiz",
        "text": text,
        "help_text": help_text,
        "required": True,
        "choices": list(choices),
        "correct_choices": sorted(correct),
        "points": points,
    }


def objectives(text, *, help_text="", required=True) -> dict:
    return {"kind": "objectives", "text": text, "help_text": help_text, "required": required}


def section(title, *questions, description="") -> dict:
    return {"title": title, "description": description, "questions": list(questions)}


ANONYMOUS_INTRO = (
    "Vos réponses sont anonymes : elles ne portent pas votre nom et servent à la synthèse "
    "transmise au financeur de la formation."
)
NOMINATIVE_INTRO = (
    "Ce questionnaire est nominatif : vos réponses portent votre nom et sont lues par "
    "l'équipe de formation, pour adapter la suite du parcours."
)


DEFAULTS: list[dict] = [
    {
        "code": HOT,
        "title": "Évaluation à chaud de la formation",
        "kind": "hot",
        "nominative": False,
        "description": (
            "Satisfaction des participant·es à l'issue de la session : contenus, "
            "animation, atteinte des objectifs pédagogiques, organisation, utilité."
        ),
        "introduction": (
            "Merci de prendre quelques minutes pour évaluer la formation que vous venez de "
            "suivre. Vos réponses nous aident à l'améliorer. " + ANONYMOUS_INTRO
        ),
        "sections": [
            section(
                "Contenus et animation",
                scale("Les contenus abordés répondaient-ils à vos attentes ?"),
                scale(
                    "Les supports remis (diaporamas, fiches, ressources) étaient-ils clairs "
                    "et utiles ?"
                ),
                scale(
                    "L'animation de la formation (clarté, rythme, écoute) vous a-t-elle convenu ?"
                ),
                scale("Les échanges avec les autres participant·es ont-ils enrichi la formation ?"),
            ),
            section(
                "Objectifs de la formation",
                scale(
                    "Les objectifs pédagogiques annoncés ont-ils été atteints ?",
                    AGREEMENT,
                ),
                objectives(
                    "Pour chaque objectif de la formation, situez votre niveau avant et "
                    "après la formation.",
                    help_text="1 : aucune maîtrise ; 5 : maîtrise complète.",
                ),
            ),
            section(
                "Organisation",
                scale(
                    "Comment jugez-vous l'organisation (information préalable, horaires, durée) ?"
                ),
                scale("Comment jugez-vous les conditions d'accueil (salle, matériel, connexion) ?"),
            ),
            section(
                "Utilité pour votre pratique",
                scale(
                    "Cette formation vous sera-t-elle utile dans votre pratique professionnelle ?",
                    ("Pas du tout utile", "Très utile"),
                ),
                yes_no("Recommanderiez-vous cette formation à un·e collègue ?"),
            ),
            section(
                "Vos commentaires",
                text("Qu'avez-vous le plus apprécié ?"),
                text("Que faudrait-il améliorer ?"),
                text("Avez-vous d'autres remarques ?"),
            ),
        ],
    },
    {
        "code": COLD,
        "title": "Évaluation à froid, trois mois après la formation",
        "kind": "cold",
        "nominative": False,
        "description": (
            "Effets de la formation sur les pratiques professionnelles, trois mois après "
            "la session."
        ),
        "introduction": (
            "Il y a trois mois, vous avez suivi cette formation. Ce court questionnaire "
            "porte sur ce qu'elle a changé dans votre pratique. " + ANONYMOUS_INTRO
        ),
        "sections": [
            section(
                "Ce qui a changé dans votre pratique",
                scale(
                    "Avez-vous mis en application ce que vous avez appris pendant la formation ?",
                    ("Pas du tout", "Très régulièrement"),
                ),
                multiple(
                    "Dans quels domaines la formation a-t-elle fait évoluer votre pratique ?",
                    [
                        "Accueil et repérage des besoins des personnes",
                        "Accompagnement des personnes dans leurs démarches",
                        "Orientation vers les bons interlocuteurs",
                        "Travail en réseau avec les partenaires",
                        "Organisation de mon travail ou de mon service",
                        "Aucun changement pour l'instant",
                    ],
                ),
                text(
                    "Décrivez un exemple concret de ce que vous faites différemment depuis "
                    "la formation."
                ),
            ),
            section(
                "Les outils que vous utilisez",
                multiple(
                    "Quels outils ou ressources présentés pendant la formation utilisez-vous "
                    "aujourd'hui ?",
                    [
                        "Supports et fiches remis pendant la formation",
                        "Cartographies et annuaires des acteurs du territoire",
                        "Outils d'évaluation des compétences (par exemple PIX)",
                        "Dispositifs d'aide aux démarches (par exemple Aidants Connect)",
                        "Réseau des participant·es à la formation",
                        "Aucun",
                    ],
                ),
                text("Utilisez-vous d'autres outils découverts depuis ? Lesquels ?"),
            ),
            section(
                "Les obstacles rencontrés",
                multiple(
                    "Qu'est-ce qui vous a freiné·e pour mettre en pratique la formation ?",
                    [
                        "Manque de temps",
                        "Manque de moyens ou de matériel",
                        "Organisation ou priorités de mon service",
                        "Contenus trop éloignés de mes missions",
                        "Besoin d'approfondir certains points",
                        "Aucun obstacle",
                    ],
                ),
                text("Précisez si vous le souhaitez."),
            ),
            section(
                "Bilan",
                scale(
                    "Avec le recul, quel est votre niveau de satisfaction global sur la formation ?"
                ),
                yes_no("Souhaiteriez-vous une formation complémentaire sur ce sujet ?"),
                text("Vos commentaires et suggestions."),
            ),
        ],
    },
    {
        "code": POSITIONING,
        "title": "Auto-positionnement avant la formation",
        "kind": "positioning",
        "nominative": True,
        "description": (
            "Recueil des attentes et du niveau de départ de chaque participant·e, avant "
            "la première session, pour adapter le contenu."
        ),
        "introduction": (
            "Avant la formation, ce questionnaire permet à l'équipe pédagogique de "
            "connaître vos attentes et votre niveau de départ, pour adapter le contenu. "
            "Il n'y a pas de bonne ou de mauvaise réponse. " + NOMINATIVE_INTRO
        ),
        "sections": [
            section(
                "Votre situation",
                single(
                    "Depuis combien de temps occupez-vous votre poste actuel ?",
                    ["Moins de 6 mois", "De 6 mois à 2 ans", "De 2 à 5 ans", "Plus de 5 ans"],
                ),
                yes_no("Avez-vous déjà suivi une formation sur ce sujet ?"),
            ),
            section(
                "Votre niveau sur les objectifs de la formation",
                scale(
                    "Comment évaluez-vous votre connaissance actuelle du sujet de la formation ?",
                    LEVEL,
                ),
                objectives(
                    "Pour chaque objectif de la formation, situez votre niveau aujourd'hui.",
                    help_text=(
                        "1 : aucune maîtrise ; 5 : maîtrise complète. La colonne « après » "
                        "sera remplie à la fin de la formation."
                    ),
                ),
            ),
            section(
                "Vos attentes",
                text(
                    "Qu'attendez-vous principalement de cette formation ?",
                    required=True,
                ),
                text(
                    "Décrivez une situation de votre travail sur laquelle vous aimeriez progresser."
                ),
                text(
                    "Avez-vous des besoins particuliers pour suivre la formation "
                    "(accessibilité, horaires, matériel) ?",
                    help_text="Ces informations restent confidentielles.",
                ),
            ),
        ],
    },
    {
        "code": LABO_END,
        "title": "Bilan de fin de labo",
        "kind": "labo_end",
        "nominative": False,
        "description": (
            "Questionnaire proposé à la fin de chaque « labo » (trois jours d'ateliers et "
            "de forum collectif), dont les réponses nourrissent le rapport de synthèse."
        ),
        "introduction": (
            "Ce labo se termine. Merci de nous dire ce qu'il vous a apporté, à vous et à "
            "l'équipe projet de votre structure : vos réponses alimentent le rapport de "
            "synthèse du labo. " + ANONYMOUS_INTRO
        ),
        "sections": [
            section(
                "Les ateliers et le forum collectif",
                scale("Les ateliers en sous-groupes thématiques vous ont-ils été utiles ?"),
                scale("Le forum collectif a-t-il permis des échanges utiles entre structures ?"),
                scale(
                    "Les méthodes de design et d'intelligence collective proposées étaient-"
                    "elles adaptées à votre contexte ?",
                    AGREEMENT,
                ),
                scale("L'animation et le rythme des trois jours vous ont-ils convenu ?"),
            ),
            section(
                "Votre projet",
                scale(
                    "Le labo a-t-il fait avancer le projet de votre structure sur sa "
                    "thématique prioritaire ?",
                    AGREEMENT,
                ),
                scale(
                    "Vous sentez-vous capable de poursuivre le projet avec votre équipe "
                    "d'ici le prochain labo ?",
                    AGREEMENT,
                ),
                multiple(
                    "Qu'allez-vous faire d'ici le prochain labo ?",
                    [
                        "Présenter le projet à ma direction ou aux élu·es",
                        "Réunir l'équipe projet de la structure",
                        "Mobiliser des partenaires locaux",
                        "Tester une première action auprès du public",
                        "Partager nos outils sur l'espace commun",
                    ],
                ),
                text(
                    "De quel appui auriez-vous besoin pendant l'intersession ?",
                ),
            ),
            section(
                "Organisation",
                scale("Comment jugez-vous l'organisation du labo (lieu, horaires, repas) ?"),
            ),
            section(
                "Vos commentaires",
                text("Ce que vous retenez de ce labo."),
                text("Vos suggestions pour le prochain labo."),
            ),
        ],
    },
    {
        "code": QUIZ,
        "title": "Quiz d'intersession : inclusion numérique et accompagnement",
        "kind": "quiz",
        "nominative": True,
        "description": (
            "Quelques questions entre deux sessions pour vérifier les acquis ; les "
            "résultats servent au rapport de synthèse et à adapter la session suivante."
        ),
        "introduction": (
            "Ce quiz fait le point sur ce que vous avez retenu. Il ne compte pas pour une "
            "note : il aide l'équipe pédagogique à revenir sur ce qui reste flou. "
            + NOMINATIVE_INTRO
        ),
        "sections": [
            section(
                "Les outils de l'inclusion numérique",
                quiz(
                    "À quoi sert Aidants Connect ?",
                    [
                        "À permettre à un·e aidant·e professionnel·le habilité·e de réaliser "
                        "des démarches en ligne pour le compte d'une personne, avec son "
                        "mandat",
                        "À conserver les mots de passe des personnes accompagnées",
                        "À prêter un ordinateur aux personnes qui n'en ont pas",
                        "À former les aidants familiaux au numérique",
                    ],
                    [0],
                ),
                quiz(
                    "Qu'est-ce que PIX ?",
                    [
                        "Un réseau social réservé aux travailleurs sociaux",
                        "Un service public en ligne pour évaluer, développer et certifier "
                        "ses compétences numériques",
                        "Une aide financière pour l'achat de matériel informatique",
                        "Un logiciel de prise de rendez-vous",
                    ],
                    [1],
                ),
                quiz(
                    "À quoi sert un coffre-fort numérique proposé à une personne accompagnée ?",
                    [
                        "À conserver ses documents personnels en sécurité et à les "
                        "transmettre quand une démarche le demande",
                        "À remplacer ses papiers d'identité originaux",
                        "À donner à son ou sa travailleur·se social·e l'accès à tous ses "
                        "documents sans son accord",
                    ],
                    [0],
                ),
            ),
            section(
                "Repérer et accompagner",
                quiz(
                    "Parmi ces situations, lesquelles peuvent signaler une difficulté avec "
                    "le numérique ?",
                    [
                        "La personne demande qu'on imprime systématiquement ses documents",
                        "La personne n'a pas d'adresse électronique, ou ne connaît pas son "
                        "mot de passe",
                        "La personne confie ses identifiants à un proche pour ses démarches",
                        "La personne utilise quotidiennement son smartphone pour appeler",
                    ],
                    [0, 1, 2],
                    points=2,
                    help_text="Plusieurs réponses possibles.",
                ),
                quiz(
                    "Une personne vous confie son identifiant et son mot de passe pour que "
                    "vous fassiez sa démarche à sa place, sans mandat. Que faites-vous ?",
                    [
                        "Je fais la démarche, c'est plus rapide",
                        "Je note ses identifiants pour la prochaine fois",
                        "Je refuse de les utiliser et je l'accompagne pour qu'elle fasse la "
                        "démarche, ou je l'oriente vers un dispositif adapté",
                    ],
                    [2],
                ),
                quiz(
                    "Que trouve-t-on dans un espace France Services ?",
                    [
                        "Un accueil qui aide aux démarches de plusieurs services publics "
                        "(CAF, Assurance maladie, France Travail, impôts…)",
                        "Un guichet de la seule préfecture",
                        "Une agence bancaire",
                    ],
                    [0],
                ),
            ),
            section(
                "L'action sociale locale",
                quiz(
                    "Quand le CCAS réalise-t-il son analyse des besoins sociaux (ABS) ?",
                    [
                        "Dans l'année civile qui suit le renouvellement général des conseils "
                        "municipaux, complétée ensuite par des analyses thématiques",
                        "Tous les dix ans, à la demande de la préfecture",
                        "Seulement quand le Département le lui demande",
                    ],
                    [0],
                ),
                text(
                    "Sur quel point de la formation aimeriez-vous revenir lors de la "
                    "prochaine session ?"
                ),
            ),
        ],
    },
    {
        "code": PEER,
        "title": "Évaluation par les pairs du projet d'une structure",
        "kind": "peer",
        "nominative": False,
        "description": (
            "Regard croisé des autres équipes projet sur le projet d'une structure, en fin "
            "d'année, pour l'aider à le faire progresser."
        ),
        "introduction": (
            "Vous évaluez le projet d'une autre structure présenté pendant le labo. Soyez "
            "précis·e et bienveillant·e : vos remarques lui seront transmises sans votre "
            "nom. " + ANONYMOUS_INTRO
        ),
        "sections": [
            section(
                "Le projet présenté",
                scale(
                    "Le projet répond à un besoin clairement identifié sur le territoire.",
                    AGREEMENT,
                ),
                scale("Le projet est innovant pour la structure ou le territoire.", AGREEMENT),
                scale(
                    "Les personnes concernées (usagers, habitants) sont associées au projet.",
                    AGREEMENT,
                ),
                scale(
                    "Les partenaires utiles au projet sont identifiés et mobilisés.",
                    AGREEMENT,
                ),
                scale(
                    "La feuille de route est réaliste (étapes, moyens, calendrier).",
                    AGREEMENT,
                ),
                scale(
                    "Le projet pourrait être repris par d'autres structures.",
                    AGREEMENT,
                ),
            ),
            section(
                "Vos conseils",
                text("Les points forts du projet.", required=True),
                text("Ce qui pourrait être amélioré ou approfondi."),
                yes_no("Aimeriez-vous reprendre une partie de ce projet dans votre structure ?"),
            ),
        ],
    },
    {
        "code": TRAINER,
        "title": "Bilan de l'intervenant·e",
        "kind": "trainer",
        "nominative": False,
        "description": (
            "Court bilan de chaque formateur·rice sur la session animée : déroulement, "
            "groupe, conditions, suites à donner."
        ),
        "introduction": (
            "Merci de faire en quelques minutes le bilan de la session que vous avez "
            "animée. Il complète l'avis des participant·es dans l'évaluation de l'action."
        ),
        "sections": [
            section(
                "Déroulement de la session",
                scale(
                    "Le programme prévu a-t-il pu être déroulé ?",
                    ("Pas du tout", "Entièrement"),
                ),
                scale(
                    "Le niveau du groupe correspondait-il au public attendu ?",
                    ("Très éloigné", "Tout à fait"),
                ),
                scale(
                    "Comment jugez-vous l'implication des participant·es ?",
                    ("Très faible", "Très forte"),
                ),
                scale("Les conditions matérielles étaient-elles satisfaisantes ?"),
            ),
            section(
                "Suites à donner",
                text("Difficultés rencontrées pendant la session."),
                text("Ajustements à prévoir pour les prochaines sessions."),
                text("Besoins repérés chez les participant·es (suivi, formation complémentaire)."),
            ),
        ],
    },
    {
        "code": FUNDER,
        "title": "Avis du financeur sur l'action",
        "kind": "funder",
        "nominative": False,
        "description": (
            "Appréciation du financeur ou du commanditaire sur le déroulement de l'action "
            "et la qualité du suivi, pour le bilan annuel."
        ),
        "introduction": (
            "Votre appréciation de l'action nous aide à l'améliorer et figure dans son "
            "bilan. Ce questionnaire ne prend que quelques minutes."
        ),
        "sections": [
            section(
                "L'action",
                scale(
                    "L'action répond-elle aux objectifs fixés dans le cahier des charges ?",
                    AGREEMENT,
                ),
                scale(
                    "Le public visé a-t-il été atteint ?",
                    ("Pas du tout", "Entièrement"),
                ),
                scale(
                    "Les retours des participant·es et des structures vous paraissent-ils "
                    "positifs ?",
                    ("Très négatifs", "Très positifs"),
                ),
            ),
            section(
                "Le suivi",
                scale(
                    "La communication avec l'organisme de formation a-t-elle été satisfaisante ?"
                ),
                scale(
                    "Les documents transmis (émargements, synthèses, bilans) répondent-ils "
                    "à vos besoins de justification ?",
                    AGREEMENT,
                ),
            ),
            section(
                "Vos remarques",
                text("Points forts de l'action."),
                text("Axes d'amélioration attendus."),
                yes_no("Souhaitez-vous un point d'échange avec l'équipe ?", required=False),
            ),
        ],
    },
]


def french_spacing(value: str) -> str:
    """« convenu ? » never breaks before its « ? »: a no-break space before ? ! : ; »
    and after «, as French typesetting wants."""
    value = re.sub(r" ([?!:;»])", "\u00a0\\1", value)
    return value.replace("« ", "«\u00a0")


def _typeset(fields: dict) -> dict:
    out = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = french_spacing(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = [french_spacing(item) for item in value]
        out[name] = value
    return out


def install_defaults(*, apps=None) -> int:
    """Creates each default questionnaire missing (by `code`), with its first version,
    sections and questions; returns how many were created. One that exists is left as
    it is. ``apps``: a migration's historical app registry (default: the live one)."""
    registry = apps or django_apps
    Questionnaire = registry.get_model("evaluations", "Questionnaire")
    QuestionnaireVersion = registry.get_model("evaluations", "QuestionnaireVersion")
    Section = registry.get_model("evaluations", "Section")
    Question = registry.get_model("evaluations", "Question")
    existing = set(
        Questionnaire.objects.filter(code__in=[d["code"] for d in DEFAULTS]).values_list(
            "code", flat=True
        )
    )
    created = 0
    for default in DEFAULTS:
        if default["code"] in existing:
            continue
        questionnaire = Questionnaire.objects.create(
            code=default["code"],
            title=french_spacing(default["title"]),
            kind=default["kind"],
            nominative=default["nominative"],
            description=french_spacing(default["description"]),
        )
        version = QuestionnaireVersion.objects.create(
            questionnaire=questionnaire,
            number=1,
            introduction=french_spacing(default["introduction"]),
        )
        for position, part in enumerate(default["sections"], start=1):
            section_row = Section.objects.create(
                version=version,
                position=position,
                title=french_spacing(part["title"]),
                description=french_spacing(part["description"]),
            )
            Question.objects.bulk_create(
                Question(section=section_row, position=index, **_typeset(fields))
                for index, fields in enumerate(part["questions"], start=1)
            )
        created += 1
    return created
