"""The fiches of the structures' projects in a formation's audit pack (`projets/`): the
standing fiche projet and fiche individuelle of each partner structure of the formation's
programme, and the programme's livret, as issued (byte for byte). A fiche covers the whole
programme: a pack of any period holds the fiches standing when it is built. Registered at
import (`livrables.apps` imports this module)."""

from collections.abc import Iterator

from django.utils.translation import gettext_lazy

from livrables.models import IssuedDocument
from livrables.pack.registry import PackFile, PackScope, PackSection, register_section
from livrables.pack.sections import CHUNK, _issued_file
from livrables.selectors import BOOKLET, FICHE_KINDS, standing


def projet_files(scope: PackScope) -> Iterator[PackFile]:
    documents = (
        standing(
            IssuedDocument.objects.filter(
                kind__in=(*FICHE_KINDS, BOOKLET), programme_id=scope.formation.programme_id
            )
        )
        .exclude(storage_name="")
        .order_by("structure__sort_key", "structure_id", "kind", "issued_at", "pk")
    )
    for document in documents.iterator(chunk_size=CHUNK):
        yield _issued_file("projets", document)


SECTION = register_section(
    PackSection(
        key="projets",
        label=gettext_lazy(
            "Fiches projet, fiches individuelles des structures et livret des projets (projets/)"
        ),
        order=67,
        files=projet_files,
    )
)
