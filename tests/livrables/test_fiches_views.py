"""Issuing the fiches and the livret from the pages, their panels, the ZIP, and who gets
what (out of reach: 404; in reach but not allowed to issue: 403)."""

import io
import zipfile

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from formations.models import User
from livrables.models import IssuedDocument
from livrables.panels_fiches import fiche_documents_panel, fiche_list_panel
from projects.panels import FICHE_LIST_PANELS, FICHE_PANELS, FicheContext
from tests.factories import FunderFactory, UserFactory
from tests.livrables.fiche_world import fiche_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def fw(documents_dir):
    return fiche_world()


def issue_url(fw, structure=None, kind="fiche-projet"):
    structure = structure or fw.world.ccas
    return reverse("livrables:fiche_issue", args=[fw.world.programme.pk, structure.pk, kind])


def test_coordinator_issues_both_fiches_and_the_livret(client, fw):
    client.force_login(fw.world.coordinator)
    assert client.post(issue_url(fw)).status_code == 302
    assert client.post(issue_url(fw, kind="fiche-individuelle")).status_code == 302
    booklet = client.post(reverse("livrables:booklet_issue", args=[fw.world.programme.pk]))
    assert booklet.status_code == 302
    kinds = set(IssuedDocument.objects.values_list("kind", flat=True))
    assert {"project_fiche", "structure_fiche", "project_booklet"} <= kinds


def test_programme_trainer_issues_a_fiche(client, fw):
    client.force_login(fw.trainer)
    assert client.post(issue_url(fw)).status_code == 302
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.PROJECT_FICHE).exists()


def test_referent_may_not_issue_and_gets_404_on_another_structure(client, fw):
    client.force_login(fw.world.referent)
    assert client.post(issue_url(fw)).status_code == 403
    assert client.post(issue_url(fw, structure=fw.world.other)).status_code == 404
    livret = reverse("livrables:booklet_issue", args=[fw.world.programme.pk])
    assert client.post(livret).status_code == 403
    assert not IssuedDocument.objects.filter(programme__isnull=False).exists()


def test_unknown_kind_is_refused(client, fw):
    client.force_login(fw.world.coordinator)
    assert client.post(issue_url(fw, kind="autre")).status_code == 403


def test_zip_holds_each_structure_s_fiches_for_the_coordinator_and_own_for_referent(client, fw):
    client.force_login(fw.world.coordinator)
    client.post(issue_url(fw))
    client.post(issue_url(fw, kind="fiche-individuelle"))
    client.post(issue_url(fw, structure=fw.world.other))
    url = reverse("livrables:fiches_zip", args=[fw.world.programme.pk])
    response = client.get(url)
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    pdfs = [name for name in names if name.endswith(".pdf")]
    assert len(pdfs) == 3 and "manifest.csv" in names
    assert sum(name.startswith("ccas-de-mamoudzou-") for name in pdfs) == 2
    client.force_login(fw.world.referent)
    own = zipfile.ZipFile(io.BytesIO(b"".join(client.get(url).streaming_content))).namelist()
    # Their structure's fiche projet only: the fiche individuelle prints the follow-up log.
    fiche = IssuedDocument.objects.get(
        kind=IssuedDocument.Kind.PROJECT_FICHE, structure=fw.world.ccas
    )
    assert [n for n in own if n.endswith(".pdf")] == [
        n for n in pdfs if n.startswith("ccas-de-mamoudzou-") and fiche.filename in n
    ]


def test_referent_never_gets_the_fiche_individuelle_which_prints_the_follow_up(client, fw):
    client.force_login(fw.world.coordinator)
    client.post(issue_url(fw))
    client.post(issue_url(fw, kind="fiche-individuelle"))
    fiche = IssuedDocument.objects.get(kind=IssuedDocument.Kind.PROJECT_FICHE)
    individual = IssuedDocument.objects.get(kind=IssuedDocument.Kind.STRUCTURE_FICHE)
    world = fw.world
    client.force_login(world.referent)
    assert client.get(f"/documents/{fiche.number}.pdf").status_code == 200
    assert client.get(f"/documents/{individual.number}.pdf").status_code == 404
    html = _render(
        fiche_documents_panel, world.referent, FicheContext(world.programme, world.ccas, None, True)
    )
    assert fiche.number in html and individual.number not in html
    assert "Fiche individuelle de la structure" not in html
    assert "document de l'organisme de formation pour le financeur" in html
    # The question asked of the structure, printed on the fiche individuelle, is nowhere.
    page = client.get(reverse("projects:fiche_detail", args=[world.programme.pk, world.ccas.pk]))
    assert page.status_code == 200
    assert individual.number not in page.content.decode()
    # The coordinator and the funder's auditor still get it.
    client.force_login(world.coordinator)
    assert client.get(f"/documents/{individual.number}.pdf").status_code == 200
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(world.programme.funders.first())
    client.force_login(auditor)
    assert client.get(f"/documents/{individual.number}.pdf").status_code == 200


def test_auditor_of_the_funder_downloads_the_livret(client, fw):
    client.force_login(fw.world.coordinator)
    client.post(reverse("livrables:booklet_issue", args=[fw.world.programme.pk]))
    booklet = IssuedDocument.objects.get(kind=IssuedDocument.Kind.PROJECT_BOOKLET)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(fw.world.programme.funders.first())
    client.force_login(auditor)
    assert client.get(f"/documents/{booklet.number}.pdf").status_code == 200
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF", kind="caf"))
    client.force_login(other)
    assert client.get(f"/documents/{booklet.number}.pdf").status_code == 404


def _render(panel, user, obj):
    request = RequestFactory().get("/")
    request.user = user
    result = panel(request, obj)
    if result is None:
        return None
    template, context = result
    return render_to_string(template, context, request=request)


def test_panels_are_registered_and_say_à_rééditer(client, fw):
    assert fiche_documents_panel in FICHE_PANELS and fiche_list_panel in FICHE_LIST_PANELS
    world = fw.world
    context = FicheContext(world.programme, world.ccas, None, True)
    html = _render(fiche_documents_panel, world.coordinator, context)
    assert "pas encore émise" in html and issue_url(fw) in html
    client.force_login(world.coordinator)
    client.post(issue_url(fw))
    document = IssuedDocument.objects.get(kind=IssuedDocument.Kind.PROJECT_FICHE)
    html = _render(fiche_documents_panel, world.coordinator, context)
    assert document.number in html and "à rééditer" not in html
    from projects.services import fiche_edit

    with fiche_edit(actor=None, programme=world.programme, structure=world.ccas, part="x") as f:
        f.lessons_learned = "Changé"
        f.save()
    assert "à rééditer" in _render(fiche_documents_panel, world.coordinator, context)
    # The referent downloads, without the issue button.
    html = _render(fiche_documents_panel, world.referent, context)
    assert document.number in html and issue_url(fw) not in html
    listing = _render(fiche_list_panel, world.coordinator, world.programme)
    assert reverse("livrables:booklet_issue", args=[world.programme.pk]) in listing
    assert "Télécharger le ZIP de la fiche émise" in listing
    assert _render(fiche_list_panel, world.referent, world.programme) is not None
    assert "booklet_issue" not in (_render(fiche_list_panel, world.referent, world.programme))


def test_every_structure_s_fiches_are_issued_at_once_in_the_background(client, fw, committed):
    from formations.models import BackgroundJob
    from livrables.bulk_fiches import fiches_bulk_start

    job = committed(fiches_bulk_start, programme=fw.world.programme, actor=fw.trainer)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.FINISHED
    assert (job.total, job.done, job.failed) == (4, 4, 0)
    issued = IssuedDocument.objects.filter(programme=fw.world.programme)
    assert issued.count() == 4
    assert set(issued.values_list("structure_id", flat=True)) == {
        fw.world.ccas.pk,
        fw.world.other.pk,
    }
    # Up to date: a second run issues nothing.
    again = committed(fiches_bulk_start, programme=fw.world.programme, actor=fw.trainer)
    again.refresh_from_db()
    assert (again.total, again.done, again.failed) == (4, 4, 0)
    assert IssuedDocument.objects.filter(programme=fw.world.programme).count() == 4
    # The page follows the job; the referent may not start one.
    client.force_login(fw.trainer)
    url = reverse("livrables:fiches_bulk", args=[fw.world.programme.pk])
    response = committed(client.post, url)
    assert response.status_code == 302 and "?emission=" in response.url
    client.force_login(fw.world.referent)
    assert client.post(url).status_code == 403
    html = _render(fiche_list_panel, fw.trainer, fw.world.programme)
    assert "Émettre les fiches de toutes les structures" in html


@pytest.mark.django_db(transaction=True)
def test_the_bulk_start_locks_the_programme_inside_its_own_transaction(
    client, documents_dir, monkeypatch
):
    """Outside a test's transaction, as in a real request: the row lock must run in a
    transaction of the service's own (PostgreSQL refuses `select_for_update` in
    autocommit). SQLite ignores the lock: make it check the transaction as PostgreSQL
    does, without writing FOR UPDATE."""
    from django.db import connection

    from formations.models import BackgroundJob

    fw = fiche_world()
    client.force_login(fw.trainer)
    if not connection.features.has_select_for_update:
        monkeypatch.setattr(connection.features, "has_select_for_update", True)
        monkeypatch.setattr(connection.ops, "for_update_sql", lambda **kwargs: "")
    response = client.post(reverse("livrables:fiches_bulk", args=[fw.world.programme.pk]))
    assert response.status_code == 302 and "?emission=" in response.url
    assert BackgroundJob.objects.filter(scope=f"fiches:programme:{fw.world.programme.pk}").exists()
