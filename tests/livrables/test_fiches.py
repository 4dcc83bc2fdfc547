"""The fiche projet, the fiche individuelle and the livret of a programme's structures:
what they print, their issue, « à rééditer », the query count, the pack."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from formations.models import User
from livrables.data_fiches import build_booklet_data
from livrables.exceptions import LivrablesError
from livrables.models import DocumentEntry, IssuedDocument
from livrables.pack.registry import PackScope
from livrables.pack.services import build_audit_pack
from livrables.pdf.fiches import render_booklet
from livrables.selectors import document_state, issued_file
from livrables.services_fiches import issue_booklet, issue_fiche
from projects.models import FollowUpEntry, RoadmapAxis
from projects.services import fiche_edit
from tests.factories import UserFactory
from tests.livrables.conftest import pdf_text
from tests.livrables.fiche_world import fiche_world, many_structures

pytestmark = pytest.mark.django_db

FICHE = IssuedDocument.Kind.PROJECT_FICHE
INDIVIDUAL = IssuedDocument.Kind.STRUCTURE_FICHE


@pytest.fixture
def fw(documents_dir):
    return fiche_world()


def _issue(fw, kind=FICHE, actor=None):
    return issue_fiche(
        kind=kind,
        programme=fw.world.programme,
        structure=fw.world.ccas,
        actor=actor or fw.world.coordinator,
    )


def test_fiche_pdf_prints_themes_road_map_in_priority_order_and_referent(fw):
    document = _issue(fw)
    text = pdf_text(issued_file(document=document).content)
    assert "Thématique prioritaire Inclusion numérique" in text
    assert "Thématique secondaire Lutte contre l'isolement" in text
    assert "Référent·e du projet : Awa Madi" in text
    # Axes by priority (created the other way round), actions by their order.
    first = text.index("Priorité 1 — Ouvrir la permanence")
    second = text.index("Priorité 2 — Former les agents")
    assert first < text.index("Trouver un local") < text.index("Acheter deux tablettes") < second
    assert "Permanence numérique mobile" in text and "Expérimenté" in text
    assert "Visites de convivialité" in text and "Idée" in text
    # User text escaped, not taken for markup.
    assert "UDCCAS <Mayotte>" in text and "Familles & personnes âgées isolées" in text
    assert document.number in text and "Page 1 / " in text
    assert document.programme == fw.world.programme and document.structure == fw.world.ccas
    assert document.fiche_revision == 1


def test_fiche_is_a_rééditer_once_the_fiche_changes_and_a_reissue_supersedes(fw):
    document = _issue(fw)
    assert not document_state(document=document).needs_reissue
    with fiche_edit(
        actor=fw.world.referent,
        programme=fw.world.programme,
        structure=fw.world.ccas,
        part="Feuille de route",
        expected_revision=1,
    ) as fiche:
        RoadmapAxis.objects.create(fiche=fiche, position=3, title="Évaluer")
    assert document_state(document=document).needs_reissue
    again = _issue(fw)
    assert again.fiche_revision == 2
    assert DocumentEntry.objects.get(document=document).replaced_by == again
    assert "Priorité 3 — Évaluer" in pdf_text(issued_file(document=again).content)


def test_fiche_individuelle_prints_hours_per_person_and_certificate_numbers(fw):
    document = _issue(fw, INDIVIDUAL)
    text = pdf_text(issued_file(document=document).content)
    # Awa signed both sealed half-days (7 h), Ravi the morning only (3 h 30).
    assert re.search(r"MADI Awa 7 h 7 h", text), text
    assert re.search(r"NDZAKI Ravi 7 h 3 h 30", text), text
    assert "Total 14 h 10 h 30" in text
    certificates = IssuedDocument.objects.filter(
        kind__in=(
            IssuedDocument.Kind.COMPLETION_CERTIFICATE,
            IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE,
        )
    )
    assert certificates.count() == 2
    for certificate in certificates:
        assert certificate.number in text
    assert "Quel budget pour les tablettes ?" in text  # the open question
    assert "Diagnostic territorial" in text and "Fait le 30/08/2021" in text
    assert "1 travail fait sur 2." in text
    assert "Référent·e du projet : Awa Madi" in text
    # Another structure's person is not there.
    assert "LABO-1" in text and text.count("LABO-1") == 1


def test_a_note_is_not_the_last_exchange_on_the_fiche_individuelle(fw):
    """The figures of the follow-up pages (`selectors_followup`): a note is the provider's
    own memo, not an exchange; an answered question is no longer open."""
    from projects.selectors_followup import structure_log

    world = fw.world
    FollowUpEntry.objects.create(
        programme=world.programme,
        structure=world.ccas,
        occurred_on=dt.date(2021, 8, 5),
        kind=FollowUpEntry.Kind.NOTE,
        channel=FollowUpEntry.Channel.OTHER,
        summary="Mémo interne",
    )
    text = " ".join(pdf_text(issued_file(document=_issue(fw, INDIVIDUAL)).content).split())
    # The question of 20/07/2021 (by e-mail) is the last exchange, not the note of 05/08.
    assert "Dernier échange 20/07/2021 — Question (e-mail)" in text, text
    assert "05/08/2021" not in text
    log = structure_log(programme=world.programme, structure=world.ccas)
    assert log.last_contact == dt.date(2021, 7, 20) and log.open_questions == 1
    assert "Questions sans réponse 1" in text


def test_fiche_individuelle_is_a_rééditer_after_a_new_follow_up_entry(fw):
    document = _issue(fw, INDIVIDUAL)
    fiche = _issue(fw)
    FollowUpEntry.objects.create(
        programme=fw.world.programme,
        structure=fw.world.ccas,
        occurred_on=fw.session.slots.first().starts_at.date(),
        kind=FollowUpEntry.Kind.REMINDER,
        channel=FollowUpEntry.Channel.SMS,
        summary="Relance",
    )
    assert document_state(document=document).needs_reissue
    assert not document_state(document=fiche).needs_reissue


def test_referent_may_not_issue(fw):
    with pytest.raises(LivrablesError) as error:
        _issue(fw, actor=fw.world.referent)
    assert error.value.code == "not_allowed"


def test_programme_trainer_issues_the_livret(fw):
    document = issue_booklet(programme=fw.world.programme, actor=fw.trainer)
    assert document.kind == IssuedDocument.Kind.PROJECT_BOOKLET
    assert document.programme == fw.world.programme and document.structure is None


def _section_starts(content: bytes, names: list[str]) -> dict[str, int]:
    """The page (1-based) where each structure's section starts: its name as the first
    line under the page's header."""
    reader = PdfReader(io.BytesIO(content))
    found = {}
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        for name in names:
            if name not in found and re.search(
                rf"^{re.escape(name)}\s*\n\s*(Fiche projet, version|Fiche pas encore)", text, re.M
            ):
                found[name] = number
    return found


def test_livret_of_18_structures_has_a_true_table_of_contents(fw, django_assert_max_num_queries):
    many_structures(fw.world, 16)
    with django_assert_max_num_queries(12):
        data = build_booklet_data(programme=fw.world.programme)
    assert len(data.fiches) == 18
    content = render_booklet(data)
    reader = PdfReader(io.BytesIO(content))
    contents = " ".join((reader.pages[1].extract_text() or "").split())
    assert "Sommaire" in contents
    names = [fiche.structure_name for fiche in data.fiches]
    starts = _section_starts(content, names)
    assert set(starts) == set(names)
    for name in names:
        # « CCAS de Commune 03 Inclusion numérique 7 »
        match = re.search(rf"{re.escape(name)} (?:Inclusion numérique|—) (\d+)", contents)
        assert match, name
        assert int(match.group(1)) == starts[name], name
    # Each section starts on its own page, in the order of the table.
    assert [starts[name] for name in names] == sorted(starts.values())


def test_livret_queries_do_not_grow_with_structures(fw, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as few:
        build_booklet_data(programme=fw.world.programme)
    many_structures(fw.world, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        build_booklet_data(programme=fw.world.programme)


def test_livret_is_a_rééditer_once_a_fiche_changes(fw):
    document = issue_booklet(programme=fw.world.programme, actor=fw.world.coordinator)
    assert not document_state(document=document).needs_reissue
    with fiche_edit(
        actor=fw.world.coordinator,
        programme=fw.world.programme,
        structure=fw.world.other,
        part="Enseignements",
    ) as fiche:
        fiche.lessons_learned = "Nouveau"
        fiche.save()
    assert document_state(document=document).needs_reissue


def test_pack_holds_the_projets_section(fw):
    fiche = _issue(fw)
    individual = _issue(fw, INDIVIDUAL)
    booklet = issue_booklet(programme=fw.world.programme, actor=fw.world.coordinator)
    output = io.BytesIO()
    build_audit_pack(
        scope=PackScope(formation=fw.world.programme.formations.get()),
        actor=fw.world.coordinator,
        output=output,
    )
    names = zipfile.ZipFile(io.BytesIO(output.getvalue())).namelist()
    for document in (fiche, individual, booklet):
        assert f"projets/{document.filename}" in names, names


def test_referent_downloads_own_fiche_only(client, fw):
    own = _issue(fw)
    other = issue_fiche(
        kind=FICHE,
        programme=fw.world.programme,
        structure=fw.world.other,
        actor=fw.world.coordinator,
    )
    booklet = issue_booklet(programme=fw.world.programme, actor=fw.world.coordinator)
    client.force_login(fw.world.referent)
    assert client.get(f"/documents/{own.number}.pdf").status_code == 200
    assert client.get(f"/documents/{other.number}.pdf").status_code == 404
    assert client.get(f"/documents/{booklet.number}.pdf").status_code == 404


def test_an_unrelated_trainer_gets_404_everywhere(client, fw):
    document = _issue(fw)
    client.force_login(UserFactory(role=User.Role.TRAINER))
    programme, structure = fw.world.programme.pk, fw.world.ccas.pk
    urls = [
        f"/programmes/{programme}/fiches/{structure}/fiche-projet/emettre/",
        f"/programmes/{programme}/livret/emettre/",
    ]
    for url in urls:
        assert client.post(url).status_code == 404, url
    assert client.get(f"/programmes/{programme}/fiches.zip").status_code == 404
    assert client.get(f"/documents/{document.number}.pdf").status_code == 404


# --- « À rééditer » after what the documents print changes without a new row -------------


def _answer(fw):
    from projects.services_followup import follow_up_answer

    question = FollowUpEntry.objects.get(kind=FollowUpEntry.Kind.QUESTION)
    follow_up_answer(actor=fw.world.coordinator, entry=question, answer="500 euros")


def _own_contact(fw):
    # Its author edits or deletes an entry (a queryset update: the entry is not saved).
    entries = FollowUpEntry.objects.filter(kind=FollowUpEntry.Kind.CONTACT)
    entries.update(author=fw.world.coordinator)
    return entries.get()


def _edit_entry(fw):
    from projects.services_followup import follow_up_update

    entry = _own_contact(fw)
    follow_up_update(
        actor=fw.world.coordinator,
        entry=entry,
        occurred_on=entry.occurred_on,
        kind=entry.kind,
        channel=entry.channel,
        summary="Point d'étape (corrigé)",
    )


def _delete_entry(fw):
    from projects.services_followup import follow_up_delete

    follow_up_delete(actor=fw.world.coordinator, entry=_own_contact(fw))


def _reopen_task(fw):
    from projects.models import IntersessionTask
    from projects.services_tasks import task_reopen

    task_reopen(
        actor=fw.world.coordinator,
        task=IntersessionTask.objects.get(done_at__isnull=False),
        today=fw.world.programme.start_date,
    )


def _edit_task(fw):
    from projects.models import IntersessionTask
    from projects.services_tasks import task_batch_update

    task = IntersessionTask.objects.get(title="Carte des partenaires")
    task_batch_update(
        actor=fw.world.coordinator,
        programme=fw.world.programme,
        batch=task.batch,
        title="Carte des partenaires du territoire",
        instructions="",
        due_on=task.due_on,
        today=fw.world.programme.start_date,
    )


def _delete_task(fw):
    from projects.models import IntersessionTask
    from projects.services_tasks import task_delete

    task_delete(
        actor=fw.world.coordinator,
        programme=fw.world.programme,
        task=IntersessionTask.objects.get(title="Carte des partenaires"),
    )


@pytest.mark.parametrize(
    "change", [_answer, _edit_entry, _delete_entry, _reopen_task, _edit_task, _delete_task]
)
def test_fiche_individuelle_is_a_rééditer_after_what_it_prints_changed(fw, change):
    document = _issue(fw, INDIVIDUAL)
    fiche = _issue(fw)
    assert not document_state(document=document).needs_reissue
    change(fw)
    assert document_state(document=document).needs_reissue, change.__name__
    assert not document_state(document=fiche).needs_reissue


def _rename_theme(fw):
    from projects.services_fiches import theme_rename

    theme_rename(actor=fw.world.coordinator, theme=fw.world.themes[1], label="Numérique pour tous")


def _rename_structure(fw):
    from django.forms.models import model_to_dict

    from formations.forms import StructureForm
    from formations.services import record_save

    structure = fw.world.ccas
    data = {**model_to_dict(structure), "name": "CCAS de Mamoudzou (Grande-Terre)"}
    form = StructureForm(data, instance=structure, user=fw.world.coordinator)
    assert form.is_valid(), form.errors
    record_save(form=form, actor=fw.world.coordinator)


@pytest.mark.parametrize("change", [_rename_theme, _rename_structure])
def test_fiche_projet_and_livret_are_a_rééditer_after_a_rename(fw, change):
    fiche = _issue(fw)
    booklet = issue_booklet(programme=fw.world.programme, actor=fw.world.coordinator)
    assert not document_state(document=fiche).needs_reissue
    assert not document_state(document=booklet).needs_reissue
    change(fw)
    assert document_state(document=fiche).needs_reissue
    assert document_state(document=booklet).needs_reissue


def test_livret_is_a_rééditer_after_a_partner_structure_is_added(client, fw):
    from tests.factories import StructureFactory

    booklet = issue_booklet(programme=fw.world.programme, actor=fw.world.coordinator)
    fiche = _issue(fw)
    programme = fw.world.programme
    added = StructureFactory(name="CCAS de Bandrélé")
    client.force_login(fw.world.coordinator)
    page = client.get(reverse("formations:programme_edit", args=[programme.pk]))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {key: value for key, value in data.items() if value is not None}
    data["structures"] = [*programme.structures.values_list("pk", flat=True), added.pk]
    response = client.post(reverse("formations:programme_edit", args=[programme.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert programme.structures.filter(pk=added.pk).exists()
    assert document_state(document=booklet).needs_reissue
    # A fiche prints the programme too (title, reference, funders): flagged as well.
    assert document_state(document=fiche).needs_reissue
