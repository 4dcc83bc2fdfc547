"""A fiche whose every free text is very long (30,000 characters of words, or a
3,000-character word with no space to break at) still prints: the fiche projet, the fiche
individuelle and the livret render, with the start of each text."""

import dataclasses
import io

import pytest
from pypdf import PdfReader

from livrables.data_fiches import build_booklet_data, build_fiche_data
from livrables.models import IssuedDocument
from livrables.pdf.fiches import render_booklet, render_fiche
from livrables.selectors import issued_file
from livrables.services_fiches import issue_fiche
from projects.models import (
    FollowUpEntry,
    IntersessionTask,
    ProjectFiche,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
)
from tests.livrables.conftest import pdf_text
from tests.livrables.fiche_world import fiche_world

pytestmark = pytest.mark.django_db


def _words(start: str, size: int) -> str:
    return (start + " " + "texte libre et long " * (size // 20))[:size]


def _unbroken(start: str, size: int) -> str:
    return (start + "x" * size)[:size]


def _fill(world, make) -> list[str]:
    """Every free text of the CCAS's fiche, follow-up and tasks made long; the starts."""
    fiche = ProjectFiche.objects.get(programme=world.programme, structure=world.ccas)
    starts = []

    def text(start: str, size: int = 30_000) -> str:
        starts.append(start)
        return make(start, size)

    fiche.public_served = text("Publicaccueilli")
    fiche.partners = text("Partenairesfiche")
    fiche.lessons_learned = text("Enseignementslus")
    fiche.territory = text("Territoiredelafiche", 200)
    fiche.save()
    for index, project in enumerate(fiche.projects.all()):
        project.title = text(f"Intituleprojet{index}", 255)
        project.problem = text(f"Problemeprojet{index}")
        project.public = text(f"Publicprojet{index}")
        project.partners = text(f"Partenairesprojet{index}")
        project.means = text(f"Moyensprojet{index}")
        project.save()
    for index, member in enumerate(TeamMember.objects.filter(fiche=fiche)):
        member.full_name = text(f"Nommembre{index}", 250)
        member.role = text(f"Rolemembre{index}", 200)
        member.save()
    for index, axis in enumerate(RoadmapAxis.objects.filter(fiche=fiche)):
        axis.title = text(f"Titreaxe{index}", 255)
        axis.description = text(f"Descriptionaxe{index}")
        axis.save()
    for index, action in enumerate(RoadmapAction.objects.filter(axis__fiche=fiche)):
        action.title = text(f"Titreaction{index}", 255)
        action.owner = text(f"Porteuraction{index}", 200)
        action.save()
    FollowUpEntry.objects.filter(kind=FollowUpEntry.Kind.QUESTION).update(
        summary=text("Questionouverte")
    )
    for index, task in enumerate(IntersessionTask.objects.all()):
        task.title = text(f"Travailintersession{index}", 255)
        task.save()
    return starts


@pytest.mark.parametrize("make", [_words, _unbroken], ids=["30000-words", "3000-unbroken"])
@pytest.mark.parametrize(
    "kind", [IssuedDocument.Kind.PROJECT_FICHE, IssuedDocument.Kind.STRUCTURE_FICHE]
)
def test_fiches_print_very_long_texts(documents_dir, make, kind):
    fw = fiche_world()
    size = 3_000 if make is _unbroken else 30_000
    starts = _fill(fw.world, lambda start, limit: make(start, min(size, limit)))
    document = issue_fiche(
        kind=kind, programme=fw.world.programme, structure=fw.world.ccas, actor=fw.world.coordinator
    )
    text = pdf_text(issued_file(document=document).content)
    if kind == IssuedDocument.Kind.PROJECT_FICHE:
        starts = [s for s in starts if not s.startswith(("Question", "Travail"))]
    for start in starts:
        assert start[:12] in text, start


@pytest.mark.parametrize("make", [_words, _unbroken], ids=["30000-words", "3000-unbroken"])
def test_livret_prints_a_fiche_with_very_long_texts(documents_dir, make):
    fw = fiche_world()
    size = 3_000 if make is _unbroken else 30_000
    starts = _fill(fw.world, lambda start, limit: make(start, min(size, limit)))
    text = pdf_text(render_booklet(build_booklet_data(programme=fw.world.programme)))
    for start in starts:
        if not start.startswith(("Question", "Travail")):
            assert start[:12] in text, start


def test_an_axis_heading_is_never_left_at_the_foot_of_a_page_without_its_first_action(
    documents_dir,
):
    """Whatever pushes the road map down the page (here longer and longer lessons), « Priorité
    1 » is on the page of its first action, and « Feuille de route » on the page of « Priorité
    1 »."""
    fw = fiche_world()
    data = build_fiche_data(programme=fw.world.programme, structure=fw.world.ccas)
    for lines in range(0, 60, 2):
        lessons = "\n".join(f"Enseignement {n}" for n in range(lines))
        body = dataclasses.replace(data.fiche, lessons_learned=lessons)
        content = render_fiche(dataclasses.replace(data, fiche=body))
        pages = [
            " ".join((page.extract_text() or "").split())
            for page in PdfReader(io.BytesIO(content)).pages
        ]

        def page_of(text, pages=pages):
            return next(number for number, page in enumerate(pages) if text in page)

        first = page_of("Priorité 1 —")
        assert page_of("Trouver un local") == first, lines
        assert page_of("Feuille de route") == first, lines
        assert page_of("Priorité 2 —") == page_of("Atelier France Services"), lines
