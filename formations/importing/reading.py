"""Reading a participants file: its columns (names, aliases, lengths), the spellings of
structure types, and the name keys that match people and structures."""

from __future__ import annotations

import functools
import re

from django.utils.translation import get_language

from formations.models import Channel, Structure
from formations.tabular import (
    Column,
    name_key,
    strip_accents,
)

# --- Columns ---------------------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column("nom", True, "Nom de famille", "texte, 120 caractères au plus"),
    Column("prenom", True, "Prénom", "texte, 120 caractères au plus", ("firstname", "first name")),
    Column(
        "email",
        False,
        "Adresse e-mail (identifie la personne)",
        "adresse e-mail valide",
        ("e-mail", "mail", "courriel", "adresse e-mail", "adresse mail"),
    ),
    Column(
        "telephone",
        False,
        "Téléphone",
        "comme on le compose en France (06 12 34 56 78, 0639 01 23 45) ou avec l'indicatif "
        "(+262 639 01 23 45) ; enregistré au format international",
        ("tel", "téléphone portable", "portable", "mobile"),
    ),
    Column("fonction", False, "Fonction occupée", "texte, 200 caractères au plus"),
    Column(
        "structure",
        True,
        "Nom de la structure employeuse",
        "texte ; une structure inconnue est créée si son type est donné",
        ("nom de la structure", "nom structure"),
    ),
    Column(
        "type_structure",
        False,
        "Type de la structure (sert seulement à créer une structure inconnue)",
        "code, libellé ou sigle courant, par ex. « ccas », « C.C.A.S. », « Centre social », "
        "« Pôle emploi » ; un type inconnu crée la structure avec le type « Autre »",
        ("type de structure", "type"),
    ),
    Column(
        "commune",
        False,
        "Commune de la structure (pour une structure créée)",
        "texte, 120 caractères au plus",
        ("ville",),
    ),
    Column(
        "date_prise_de_poste",
        False,
        "Date de prise de poste",
        "JJ/MM/AAAA ou AAAA-MM-JJ (ou une date de tableur)",
        ("date de prise de poste", "prise de poste", "date prise poste"),
    ),
    Column(
        "consentement_email",
        False,
        "La personne accepte de recevoir par e-mail les évaluations à froid et le suivi "
        "après la formation (texte v1, recueilli par écrit par la structure)",
        "oui ou non ; vide : pas d'accord",
        ("consentement e-mail", "consentement mail", "accord e-mail", "accord mail"),
    ),
    Column(
        "consentement_sms",
        False,
        "La personne accepte de recevoir par SMS les évaluations à froid et le suivi après "
        "la formation (texte v1, recueilli par écrit par la structure)",
        "oui ou non ; vide : pas d'accord",
        ("accord sms",),
    ),
)
TEMPLATE_HEADER = [c.key for c in COLUMNS]
# Consent columns: the channel each one records, for evaluation follow-up.
CONSENT_COLUMNS = {"consentement_email": Channel.EMAIL, "consentement_sms": Channel.SMS}
YES = frozenset({"oui", "o", "yes", "y", "x", "1", "vrai", "true"})
NO = frozenset({"non", "n", "no", "0", "faux", "false"})

MAX_LENGTHS = {
    "nom": 120,
    "prenom": 120,
    "telephone": 30,
    "fonction": 200,
    "structure": 200,
    "type_structure": 120,
    "commune": 120,
    "email": 254,
}
REQUIRED_LABELS = {"nom": "nom", "prenom": "prénom", "structure": "structure"}
# Columns a later line of the same person may fill in or contradict (a warning either way).
PERSON_DETAILS = (
    "email",
    "telephone",
    "fonction",
    "date_prise_de_poste",
    "consentement_email",
    "consentement_sms",
)


def match_name(text: str) -> str:
    """Key used to compare structure and people's names: case, accents, apostrophes, dashes
    and extra spaces ignored ('Saint-Vincent' == 'saint vincent', 'Jean-Pierre' ==
    'Jean Pierre')."""
    text = strip_accents(text).casefold().replace("’", "'").replace("`", "'")
    return " ".join(text.replace("-", " ").split())


match_person_name = match_name


# --- Structure types -------------------------------------------------------------------

# How partners write the types of `Structure.Kind`, beyond its codes and labels (which are
# accepted too). Compared with `name_key`: case, accents, dots, spaces, dashes and
# apostrophes do not matter, so "C.C.A.S." is "CCAS" and "Pole-Emploi" is "Pôle emploi".
# Only unambiguous spellings belong here: a type not listed is not an error, it creates the
# structure as « Autre » with the type as written, which a coordinator reclassifies.
KIND_SPELLINGS: dict[str, tuple[str, ...]] = {
    Structure.Kind.CCAS: (
        "CCAS",
        "CIAS",
        "centre communal d'action sociale",
        "centre intercommunal d'action sociale",
    ),
    Structure.Kind.UDCCAS: ("UDCCAS", "union départementale des CCAS"),
    Structure.Kind.CENTRE_SOCIAL: (
        "centre social",
        "centres sociaux",
        "centre socio-culturel",
        "centre socioculturel",
        "CSC",
    ),
    Structure.Kind.MAISON_QUARTIER: ("maison de quartier", "maisons de quartier", "MQ"),
    Structure.Kind.MISSION_LOCALE: ("mission locale", "ML"),
    Structure.Kind.PIE: ("PIE", "projet insertion emploi", "projet d'insertion emploi"),
    Structure.Kind.SIAE: (
        "SIAE",
        "IAE",
        "structure d'insertion par l'activité économique",
        "insertion par l'activité économique",
        "ACI",
        "atelier chantier d'insertion",
        "chantier d'insertion",
        "entreprise d'insertion",
        "ETTI",
        "association intermédiaire",
    ),
    Structure.Kind.ASSOCIATION_RSA: (
        "association référente RSA",
        "référent RSA",
        "association RSA",
    ),
    Structure.Kind.FRANCE_TRAVAIL: ("France Travail", "Pôle emploi", "ANPE"),
    Structure.Kind.ASE: ("ASE", "aide sociale à l'enfance"),
    Structure.Kind.MDE: (
        "MDE",
        "maison de l'emploi",
        "MDEF",
        "maison de l'emploi et de la formation",
    ),
    Structure.Kind.SERVICE_SOCIAL: (
        "service social départemental",
        "SSD",
        "service social du département",
        "MDS",
        "maison départementale des solidarités",
    ),
    Structure.Kind.MEDIATION_NUMERIQUE: (
        "médiation numérique",
        "organisme de médiation numérique",
        "EPN",
        "espace public numérique",
    ),
    Structure.Kind.COLLECTIVITE: (
        "collectivité",
        "collectivité territoriale",
        "mairie",
        "commune",
        "ville",
        "conseil départemental",
        "département",
        "conseil régional",
        "région",
        "EPCI",
        "intercommunalité",
        "communauté de communes",
        "communauté d'agglomération",
        "métropole",
    ),
    Structure.Kind.ASSOCIATION: ("association", "asso", "association loi 1901"),
    Structure.Kind.OTHER: ("autre", "autres"),
}


@functools.lru_cache(maxsize=8)
def _kind_lookup(language: str | None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, label in Structure.Kind.choices:
        label = str(label)
        names = {code, label, re.sub(r"\s*\(.*?\)\s*", " ", label)}
        names.update(re.findall(r"\((.*?)\)", label))
        names.update(part for part in label.split("/"))
        for name in names:
            key = name_key(name)
            if key:
                lookup.setdefault(key, code)
    for code, spellings in KIND_SPELLINGS.items():
        for spelling in spellings:
            lookup.setdefault(name_key(spelling), str(code))
    return lookup


def parse_kind(value: str) -> str | None:
    """The `Structure.Kind` code a partner meant by `value`, or None if the list does not
    know it ("C.C.A.S." → "ccas", "Pôle emploi" → "france_travail")."""
    return _kind_lookup(get_language()).get(name_key(value))


def kinds_with_spellings() -> list[tuple[str, str, list[str]]]:
    """(code, label, other accepted spellings) for each type, as the upload page lists them."""
    return [
        (code, str(label), list(KIND_SPELLINGS.get(code, ())))
        for code, label in Structure.Kind.choices
    ]


def same_kind(kind: str, kind_label: str, value: str) -> bool:
    """Whether the type written `value` designates this (kind, declared label)."""
    parsed = parse_kind(value)
    if parsed is not None:
        return parsed == kind
    return kind == Structure.Kind.OTHER and name_key(kind_label) == name_key(value)
