"""What a page shows of the European funding of a programme (seed 002: « faire la publicité
du FEDER sur tous ses supports… en utilisant le logo suivant et en indiquant la phrase »):
the EU emblem with each EU fund's sentence beside it, then the operation's own sentence.

The texts are data (DESIGN.md, « Documents: what every issued PDF carries »): the sentence
of each EU funder of the programme (`Funder.publicity_sentence`: a 2014-2020 programme
keeps its own, « Ce projet est cofinancé par l'Union Européenne avec le FEDER »), or the
2021-2027 statement « Cofinancé par l'Union européenne » when the funder has none; then
`Programme.publicity_sentence`. Documents draw the same from `livrables.pdf.base`; pages
use the static emblem `static/img/eu-emblem.svg` (no CDN) and
`templates/includes/eu_publicity.html`.
"""

from dataclasses import dataclass

from django.db.models import F, QuerySet

from formations.models import Funder, Programme, Structure

# Regulation 2021/1060, Annex IX: written out beside the emblem when the fund gives no
# sentence of its own.
EU_STATEMENT = "Cofinancé par l'Union européenne"


@dataclass(frozen=True)
class EuPublicity:
    """One EU-funded programme's block: the emblem's sentences, the operation's mention."""

    programme_pk: int
    title: str
    reference: str
    sentences: tuple[str, ...]  # one per EU fund, written beside the emblem
    funds: tuple[str, ...]  # the EU funds' names (FEDER, FSE…)
    operation_sentence: str


def eu_publicity(programmes: QuerySet[Programme]) -> list[EuPublicity]:
    """The blocks of the EU-funded programmes among `programmes`, latest first: one query
    (the EU funders of those programmes, with their programme's fields)."""
    rows = (
        Funder.objects.filter(kind__in=Funder.EU_KINDS, programmes__in=programmes)
        .annotate(
            programme_pk=F("programmes__pk"),
            programme_title=F("programmes__title"),
            programme_reference=F("programmes__reference"),
            programme_sentence=F("programmes__publicity_sentence"),
            programme_start=F("programmes__start_date"),
        )
        .order_by("-programme_start", "programme_pk", "name")
    )
    grouped: dict[int, tuple[Programme, list[Funder]]] = {}
    for funder in rows:
        if funder.programme_pk not in grouped:
            programme = Programme(
                pk=funder.programme_pk,
                title=funder.programme_title,
                reference=funder.programme_reference,
                publicity_sentence=funder.programme_sentence,
            )
            grouped[funder.programme_pk] = (programme, [])
        grouped[funder.programme_pk][1].append(funder)
    return [_block(programme, funders) for programme, funders in grouped.values()]


def _block(programme: Programme, eu_funders) -> EuPublicity:
    sentences = []
    for funder in eu_funders:
        sentence = " ".join(funder.publicity_sentence.split()) or EU_STATEMENT
        if sentence not in sentences:
            sentences.append(sentence)
    return EuPublicity(
        programme_pk=programme.pk,
        title=programme.title,
        reference=programme.reference,
        sentences=tuple(sentences),
        funds=tuple(funder.get_kind_display() for funder in eu_funders),
        operation_sentence=programme.publicity_sentence.strip(),
    )


def structure_eu_publicity(structure: Structure) -> list[EuPublicity]:
    """The EU-funded programmes `structure` is a partner of."""
    return eu_publicity(Programme.objects.filter(structures=structure))


def programme_eu_publicity(programme: Programme) -> list[EuPublicity]:
    """`programme`'s block if it is EU-funded, else nothing (one query: its EU funders)."""
    funders = list(programme.funders.filter(kind__in=Funder.EU_KINDS).order_by("name"))
    if not funders:
        return []
    return [_block(programme, funders)]
