"""The expected deliverables' pages and panels: who opens what, the coordinator's and the
auditor's flows through the pages, what the formation page and the dashboard list (late,
due within 15 days, awaiting the funder), with query counts that do not grow."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry, Funder, User
from livrables.models_deliverables import (
    DeliverableStatus,
    DeliverableVersion,
    ExpectedDeliverable,
)
from livrables.selectors_deliverables import deliverables_awaiting_validation
from livrables.services_deliverables import (
    deliverable_create,
    version_decide,
    version_submit,
)
from tests.factories import (
    FormationFactory,
    FunderFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.test_url_access import DELIVERABLE_PAGES

Rhythm = ExpectedDeliverable.Rhythm
Status = DeliverableStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>Recit</body></html>"

pytestmark = pytest.mark.django_db


def pdf(name="recit.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def feder(db):
    return FunderFactory()


def make_formation(feder, **kwargs):
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    return FormationFactory(programme=programme, **kwargs)


@pytest.fixture
def formation(feder):
    today = timezone.localdate()
    return make_formation(
        feder, start_date=today - dt.timedelta(days=200), end_date=today + dt.timedelta(days=400)
    )


def dated(formation, coordinator, title, *days):
    """A deliverable due `days` from today (negative: past)."""
    today = timezone.localdate()
    return deliverable_create(
        actor=coordinator,
        formation=formation,
        title=title,
        rhythm=Rhythm.GIVEN_DATES,
        given_dates=[today + dt.timedelta(days=d) for d in days],
    )


@pytest.fixture
def world(formation, coordinator, documents_dir):
    """One deliverable with four due items: late (-5), due in 10 days, in 40 days, and one
    submitted (whose version carries the funder's message file once decided elsewhere)."""
    deliverable = dated(formation, coordinator, "Récit collectif bimestriel", -5, 10, 40, -60)
    dues = {d.due_date - timezone.localdate(): d for d in deliverable.dues.all()}
    submitted_due = dues[dt.timedelta(days=-60)]
    version = version_submit(actor=coordinator, due=submitted_due, upload=pdf())
    return {
        "deliverable": deliverable,
        "late": dues[dt.timedelta(days=-5)],
        "soon": dues[dt.timedelta(days=10)],
        "later": dues[dt.timedelta(days=40)],
        "submitted": submitted_due,
        "version": version,
    }


def kwargs_for(name, formation, world):
    base = {"pk": formation.pk}
    if name in (
        "livrables:deliverable_edit",
        "livrables:deliverable_regenerate",
        "livrables:deliverable_remove",
    ):
        base["deliverable_pk"] = world["deliverable"].pk
    elif name == "livrables:deliverable_version_add":
        base["due_pk"] = world["late"].pk
    elif name.startswith("livrables:deliverable_version_"):
        base["version_pk"] = world["version"].pk
    return base


def with_message(version):
    from django.core.files.base import ContentFile

    version.message_file.save("m.pdf", ContentFile(b"%PDF-1.4 message"), save=False)
    version.message_content_type = "application/pdf"
    version.message_original_name = "message.pdf"
    version.save()


# --- Who opens what ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "auditor", "other_auditor", "trainer", "referent"])
def test_who_opens_the_deliverables_pages(client, formation, world, who, auditor, coordinator):
    with_message(world["version"])
    trainer = UserFactory(role=User.Role.TRAINER)
    TrainingSessionFactory(formation=formation).trainers.add(trainer)
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(Funder.objects.create(name="CAF du Nord", kind="caf"))
    users = {
        "coordinator": coordinator,
        "auditor": auditor,
        "other_auditor": other,
        "trainer": trainer,
        "referent": UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory()),
    }
    client.force_login(users[who])
    for name, audience in DELIVERABLE_PAGES.items():
        url = reverse(name, kwargs=kwargs_for(name, formation, world))
        status = client.get(url).status_code
        if who == "coordinator":
            expected = 200
        elif who == "auditor":
            # In reach but read-only: 403, as the formation's other write pages.
            expected = 403 if audience == "coordinators" else 200
        else:
            expected = 404
        assert status == expected, (who, name, status)


# --- The coordinator's flow through the pages -------------------------------------------------


def test_coordinator_defines_a_deliverable_from_the_page(client, coordinator, formation):
    client.force_login(coordinator)
    url = reverse("livrables:deliverable_add", args=[formation.pk])
    page = client.get(url).content.decode()
    assert '<label for="id_title">' in page
    assert '<label for="id_rhythm">' in page

    response = client.post(
        url,
        {
            "title": "Cadre de référence semestriel",
            "description": "Les compétences.",
            "rhythm": "half_yearly",
            "lead_days": "10",
            "given_dates": "",
        },
    )

    assert response.status_code == 302
    deliverable = ExpectedDeliverable.objects.get()
    assert deliverable.lead_days == 10
    assert deliverable.dues.count() >= 2


def test_given_dates_are_typed_one_per_line(client, coordinator, formation):
    client.force_login(coordinator)
    url = reverse("livrables:deliverable_add", args=[formation.pk])

    bad = client.post(url, {"title": "Note", "rhythm": "given_dates", "given_dates": "31/02/2026"})
    assert "« 31/02/2026 » n&#x27;est pas une date" in bad.content.decode()
    client.post(
        url, {"title": "Note", "rhythm": "given_dates", "given_dates": "30/06/2026\n2026-12-31"}
    )
    assert list(ExpectedDeliverable.objects.get().dues.values_list("due_date", flat=True)) == [
        dt.date(2026, 6, 30),
        dt.date(2026, 12, 31),
    ]


def test_upload_page_refuses_html_renamed_pdf(client, coordinator, world):
    client.force_login(coordinator)
    due = world["late"]
    url = reverse("livrables:deliverable_version_add", args=[due.deliverable.formation_id, due.pk])

    response = client.post(url, {"file": pdf("recit.pdf", HTML)})

    assert response.status_code == 200
    assert "n&#x27;est ni un PDF" in response.content.decode()
    assert not DeliverableVersion.objects.filter(due=due).exists()

    response = client.post(url, {"file": pdf()})
    assert response.status_code == 302
    due.refresh_from_db()
    assert due.status == Status.SUBMITTED


def test_auditor_records_the_decision_from_the_page(client, auditor, feder, world):
    client.force_login(auditor)
    version = world["version"]
    url = reverse(
        "livrables:deliverable_version_decide",
        args=[version.due.deliverable.formation_id, version.pk],
    )
    page = client.get(url).content.decode()
    assert "message_file" not in page  # the auditor's account is the funder's word

    refused = client.post(url, {"decision": "to_rework", "funder": feder.pk, "comment": ""})
    assert "Dites ce qui est à reprendre." in refused.content.decode()
    response = client.post(url, {"decision": "validated", "funder": feder.pk})

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.decided_by) == (Status.VALIDATED, auditor)
    assert AuditEntry.objects.get(action="livrables.deliverable_validated").actor == auditor


def test_coordinator_decision_page_asks_for_the_funders_message(client, coordinator, feder, world):
    client.force_login(coordinator)
    version = world["version"]
    url = reverse(
        "livrables:deliverable_version_decide",
        args=[version.due.deliverable.formation_id, version.pk],
    )

    today = timezone.localdate()
    refused = client.post(
        url, {"decision": "validated", "funder": feder.pk, "decided_on": today.isoformat()}
    )
    assert "Joignez le message du financeur" in refused.content.decode()
    client.post(
        url,
        {
            "decision": "validated",
            "funder": feder.pk,
            "decided_on": today.isoformat(),
            "message_file": SimpleUploadedFile("accord.pdf", PDF),
        },
    )
    version.refresh_from_db()
    assert version.status == Status.VALIDATED
    assert version.message_original_name == "accord.pdf"
    download = client.get(
        reverse(
            "livrables:deliverable_version_message",
            args=[version.due.deliverable.formation_id, version.pk],
        )
    )
    assert b"".join(download.streaming_content) == PDF


def test_diffusion_is_confirmed_first(client, coordinator, auditor, feder, world):
    version = version_decide(actor=auditor, version=world["version"], validated=True, funder=feder)
    client.force_login(coordinator)
    url = reverse(
        "livrables:deliverable_version_diffuse",
        args=[version.due.deliverable.formation_id, version.pk],
    )

    page = client.get(url).content.decode()
    version.refresh_from_db()
    assert "Confirmer la diffusion" in page
    assert version.status == Status.VALIDATED
    client.post(url, {"diffused_on": timezone.localdate().isoformat()})
    version.refresh_from_db()
    assert version.status == Status.DIFFUSED


def test_diffusing_a_submitted_version_from_the_page_is_refused(client, coordinator, world):
    client.force_login(coordinator)
    version = world["version"]
    url = reverse(
        "livrables:deliverable_version_diffuse",
        args=[version.due.deliverable.formation_id, version.pk],
    )

    response = client.post(url)

    assert "Seule une version validée" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_deleting_asks_first_and_keeps_uploaded_evidence(client, coordinator, world):
    client.force_login(coordinator)
    deliverable = world["deliverable"]
    url = reverse("livrables:deliverable_remove", args=[deliverable.formation_id, deliverable.pk])

    response = client.post(url)
    spare = dated(deliverable.formation, coordinator, "Note", 30)
    spare_url = reverse("livrables:deliverable_remove", args=[spare.formation_id, spare.pk])
    assert "Supprimer le livrable" in client.get(spare_url).content.decode()
    client.post(spare_url)

    assert "ne peut plus être supprimé" in response.content.decode()
    assert ExpectedDeliverable.objects.filter(pk=deliverable.pk).exists()
    assert not ExpectedDeliverable.objects.filter(pk=spare.pk).exists()


def test_version_download_is_private(client, coordinator, world):
    client.force_login(coordinator)
    version = world["version"]
    response = client.get(
        reverse(
            "livrables:deliverable_version_file",
            args=[version.due.deliverable.formation_id, version.pk],
        )
    )

    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]
    assert "recit-collectif-bimestriel" in response["Content-Disposition"]


# --- The formation page, the dashboard, the auditor's list --------------------------------------


def panel_text(html: str) -> str:
    start = html.index('id="deliverables"')
    return html[start : html.index("</section>", start)]


def test_formation_page_lists_late_and_soon_items_not_later_ones(client, coordinator, world):
    client.force_login(coordinator)
    formation = world["deliverable"].formation

    panel = panel_text(
        client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()
    )

    late = world["late"].due_date.strftime("%d/%m/%Y")
    soon = world["soon"].due_date.strftime("%d/%m/%Y")
    later = world["later"].due_date.strftime("%d/%m/%Y")
    assert f"échéance du {late}" in panel and "En retard" in panel
    assert f"échéance du {soon}" in panel and "À produire" in panel
    assert later not in panel
    assert "En attente de la décision du financeur" in panel


def test_auditor_sees_what_awaits_their_validation_on_the_formation_page(client, auditor, world):
    client.force_login(auditor)
    formation = world["deliverable"].formation
    panel = panel_text(
        client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()
    )

    decide = reverse(
        "livrables:deliverable_version_decide", args=[formation.pk, world["version"].pk]
    )
    assert f'href="{decide}"' in panel
    assert "Valider ou demander une reprise" in panel


def test_trainer_sees_no_deliverables_panel(client, world):
    trainer = UserFactory(role=User.Role.TRAINER)
    formation = world["deliverable"].formation
    TrainingSessionFactory(formation=formation).trainers.add(trainer)
    client.force_login(trainer)

    html = client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()

    assert 'id="deliverables"' not in html


def test_dashboard_lists_late_and_soon_items(client, coordinator, world):
    client.force_login(coordinator)

    panel = panel_text(client.get(reverse("dashboard")).content.decode())

    assert world["deliverable"].formation.contract_reference in panel
    assert world["late"].due_date.strftime("%d/%m/%Y") in panel
    assert world["soon"].due_date.strftime("%d/%m/%Y") in panel
    assert world["later"].due_date.strftime("%d/%m/%Y") not in panel


def many(feder, coordinator, count):
    for n in range(count):
        formation = make_formation(feder)
        deliverable = dated(formation, coordinator, f"Note {n}", -3, 5, 8)
        version_submit(actor=coordinator, due=deliverable.dues.first(), upload=pdf())


@pytest.mark.parametrize("count", [1, 6])
def test_page_queries_do_not_grow_with_deliverables(
    client,
    coordinator,
    auditor,
    feder,
    formation,
    count,
    documents_dir,
    django_assert_max_num_queries,
):
    many(feder, coordinator, count)
    for n in range(count):
        deliverable = dated(formation, coordinator, f"Livrable {n}", -3, 5, 8, 100)
        version_submit(actor=coordinator, due=deliverable.dues.first(), upload=pdf())
    client.force_login(coordinator)

    # The dashboard's own (eight), the deliverables panel's two (the most urgent, then
    # the others counted per formation) and the overdue intersession tasks' one (projects).
    with django_assert_max_num_queries(11):
        dashboard = client.get(reverse("dashboard"))
    with django_assert_max_num_queries(7):
        page = client.get(reverse("livrables:deliverable_list", args=[formation.pk]))
    client.force_login(auditor)
    with django_assert_max_num_queries(7):
        auditor_page = client.get(reverse("livrables:deliverable_list", args=[formation.pk]))

    assert (dashboard.status_code, page.status_code, auditor_page.status_code) == (200, 200, 200)
    assert f"Livrable {count - 1}" in page.content.decode()
    assert f"Livrable {count - 1}" in auditor_page.content.decode()


def test_formation_panel_is_one_query(rf, coordinator, world, django_assert_num_queries):
    from livrables.panels_deliverables import formation_deliverables_panel

    request = rf.get("/")
    request.user = coordinator
    with django_assert_num_queries(1):
        _template, context = formation_deliverables_panel(request, world["deliverable"].formation)
    assert [d.pk for d in context["urgent_dues"]] == [world["late"].pk, world["soon"].pk]
    assert [d.pk for d in context["awaiting_dues"]] == [world["submitted"].pk]


@pytest.mark.parametrize("count", [1, 5])
def test_awaiting_validation_selector_is_scoped_and_one_query(
    auditor, coordinator, feder, count, documents_dir, django_assert_num_queries
):
    many(feder, coordinator, count)
    caf = Funder.objects.create(name="CAF du Nord", kind="caf")
    other = make_formation(caf)
    elsewhere = dated(other, coordinator, "Note CAF", 5)
    version_submit(actor=coordinator, due=elsewhere.dues.first(), upload=pdf())

    with django_assert_num_queries(1):
        rows = list(deliverables_awaiting_validation(user=auditor))
        titles = {
            (r.deliverable.formation.programme.reference, r.latest_version_number) for r in rows
        }

    assert len(rows) == count
    assert all(r.status == Status.SUBMITTED for r in rows)
    assert other.programme.reference not in {t[0] for t in titles}
    trainer = UserFactory(role=User.Role.TRAINER)
    assert list(deliverables_awaiting_validation(user=trainer)) == []


def test_list_says_when_due_dates_no_longer_follow_the_execution_period(
    client, coordinator, formation
):
    deliverable_create(actor=coordinator, formation=formation, title="Note", rhythm=Rhythm.YEARLY)
    client.force_login(coordinator)
    url = reverse("livrables:deliverable_list", args=[formation.pk])
    assert "ne suivent plus la période" not in client.get(url).content.decode()

    formation.end_date = formation.end_date + dt.timedelta(days=800)
    formation.save()

    assert "ne suivent plus la période" in client.get(url).content.decode()


def test_the_decision_page_of_a_decided_or_older_version_shows_no_form(
    client, coordinator, auditor, feder, world
):
    client.force_login(auditor)
    first = world["version"]
    version_decide(actor=auditor, version=first, validated=False, funder=feder, comment="Page 3")
    second = version_submit(actor=coordinator, due=world["submitted"], upload=pdf())
    formation_pk = first.due.deliverable.formation_id

    def page(version):
        url = reverse("livrables:deliverable_version_decide", args=[formation_pk, version.pk])
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    older = page(first)
    assert "Une version plus récente (2) a été déposée" in older
    assert 'name="decision"' not in older
    assert 'name="decision"' in page(second)
    version_decide(actor=auditor, version=second, validated=True, funder=feder)
    decided = page(second)
    assert "Cette version n&#x27;attend pas de décision (état : validé)" in decided
    assert 'name="decision"' not in decided
