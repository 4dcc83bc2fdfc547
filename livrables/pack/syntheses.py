"""The evaluation syntheses in a formation's audit pack (`evaluations/`): the standing
syntheses of the formation, every one without a period; with one, those whose period
meets it (a synthesis without bounds always does). Registered at import
(`livrables.apps` imports this module)."""

from collections.abc import Iterator

from django.db.models import Q
from django.utils.translation import gettext_lazy

from livrables.models import IssuedDocument
from livrables.pack.registry import PackFile, PackScope, PackSection, register_section
from livrables.pack.sections import CHUNK, _issued_file
from livrables.selectors import standing


def synthesis_files(scope: PackScope) -> Iterator[PackFile]:
    documents = standing(
        IssuedDocument.objects.filter(
            kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS, formation_id=scope.formation.pk
        )
    ).exclude(storage_name="")
    if scope.date_from is not None:
        documents = documents.filter(Q(covers_to__isnull=True) | Q(covers_to__gte=scope.date_from))
    if scope.date_to is not None:
        documents = documents.filter(
            Q(covers_from__isnull=True) | Q(covers_from__lte=scope.date_to)
        )
    ordered = documents.order_by("questionnaire_id", "covers_from", "issued_at", "pk")
    for document in ordered.iterator(chunk_size=CHUNK):
        yield _issued_file("evaluations", document)


SECTION = register_section(
    PackSection(
        key="evaluations",
        label=gettext_lazy("Synthèses d'évaluation émises (evaluations/)"),
        order=65,
        files=synthesis_files,
    )
)
