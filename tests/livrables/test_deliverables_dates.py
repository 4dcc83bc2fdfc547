"""The expected deliverables' pages as a coordinator and an auditor use them (hands-on
test): the funders offered for a decision, the dates of a decision and of a diffusion,
given dates inside the execution period, and forms not offered when they would be
refused."""

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry
from livrables.exceptions import LivrablesError
from livrables.models_deliverables import DeliverableStatus, ExpectedDeliverable
from livrables.services_deliverables import (
    deliverable_create,
    version_decide,
    version_diffuse,
    version_submit,
)
from tests.factories import FormationFactory, FunderFactory, ProgrammeFactory

Rhythm = ExpectedDeliverable.Rhythm
Status = DeliverableStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DAY = dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def feder(db):
    return FunderFactory(name="FEDER", kind="feder")


@pytest.fixture
def formation(feder):
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    today = timezone.localdate()
    return FormationFactory(
        programme=programme, start_date=today - 200 * DAY, end_date=today + 400 * DAY
    )


@pytest.fixture
def version(formation, coordinator, documents_dir):
    deliverable = deliverable_create(
        actor=coordinator,
        formation=formation,
        title="Récit collectif",
        rhythm=Rhythm.GIVEN_DATES,
        given_dates=[timezone.localdate() - 60 * DAY],
    )
    return version_submit(
        actor=coordinator,
        due=deliverable.dues.get(),
        upload=SimpleUploadedFile("real.pdf", PDF),
        now=timezone.now() - 30 * DAY,
    )


def url(name, version):
    return reverse(f"livrables:{name}", args=[version.due.deliverable.formation_id, version.pk])


def test_decision_form_offers_only_the_programmes_funder_preselected(
    client, coordinator, feder, version
):
    FunderFactory(name="Caisse d'Allocations Familiales du Nord", kind="caf")
    client.force_login(coordinator)

    form = client.get(url("deliverable_version_decide", version)).context["form"]

    assert list(form.fields["funder"].queryset) == [feder]
    assert form["funder"].value() == feder.pk
    assert form["decided_on"].value() == timezone.localdate()


def test_decision_form_requires_a_choice_among_several_funders(
    client, coordinator, formation, version
):
    formation.programme.funders.add(FunderFactory(name="Région"))
    client.force_login(coordinator)
    page = url("deliverable_version_decide", version)

    form = client.get(page).context["form"]
    refused = client.post(
        page,
        {
            "decision": "validated",
            "decided_on": timezone.localdate().isoformat(),
            "message_text": "OK",
        },
    )

    assert form["funder"].value() is None
    assert "Choisissez le financeur qui a décidé." in html.unescape(refused.content.decode())
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_coordinator_dates_the_decision_from_the_funders_message(
    client, coordinator, feder, version
):
    client.force_login(coordinator)
    page = url("deliverable_version_decide", version)
    decided_on = timezone.localdate() - 10 * DAY

    client.post(
        page,
        {
            "decision": "to_rework",
            "funder": feder.pk,
            "decided_on": decided_on.isoformat(),
            "comment": "Détailler les leviers.",
            "message_text": "De : FEDER",
        },
    )

    version.refresh_from_db()
    assert version.status == Status.TO_REWORK
    assert timezone.localdate(version.decided_at) == decided_on
    entry = AuditEntry.objects.get(action="livrables.deliverable_to_rework")
    assert entry.summary.startswith(f"Version 1, décision de FEDER du {decided_on:%d/%m/%Y} :")
    assert "à reprendre" not in entry.summary  # the history's label says it once


@pytest.mark.parametrize(
    ("offset", "code", "words"),
    [(1, "date_future", "est dans le futur"), (-31, "date_too_early", "précède le")],
)
def test_a_decision_dated_in_the_future_or_before_the_upload_is_refused(
    client, coordinator, feder, version, offset, code, words
):
    day = timezone.localdate() + offset * DAY
    with pytest.raises(LivrablesError) as refused:
        version_decide(
            actor=coordinator,
            version=version,
            validated=True,
            funder=feder,
            message_text="OK",
            decided_on=day,
        )
    assert refused.value.code == code

    client.force_login(coordinator)
    page = client.post(
        url("deliverable_version_decide", version),
        {
            "decision": "validated",
            "funder": feder.pk,
            "decided_on": day.isoformat(),
            "message_text": "OK",
        },
    ).content.decode()
    assert f"({day:%d/%m/%Y}) {words}" in page


def test_the_auditors_own_decision_is_dated_now(client, coordinator, feder, version, auditor):
    auditor.funders.add(feder)
    client.force_login(auditor)
    page = url("deliverable_version_decide", version)

    assert "decided_on" not in client.get(page).context["form"].fields
    client.post(page, {"decision": "validated", "funder": feder.pk, "decided_on": "2001-01-01"})

    version.refresh_from_db()
    assert version.status == Status.VALIDATED
    assert timezone.localdate(version.decided_at) == timezone.localdate()


def test_diffusion_is_dated_not_before_the_validation(client, coordinator, feder, version):
    validated_on = timezone.localdate() - 20 * DAY
    version_decide(
        actor=coordinator,
        version=version,
        validated=True,
        funder=feder,
        message_text="OK",
        decided_on=validated_on,
    )
    client.force_login(coordinator)
    page = url("deliverable_version_diffuse", version)

    early = client.post(page, {"diffused_on": (validated_on - DAY).isoformat()}).content.decode()
    future = client.post(page, {"diffused_on": (timezone.localdate() + DAY).isoformat()})
    version.refresh_from_db()
    assert "précède le" in early and version.status == Status.VALIDATED
    assert "dans le futur" in html.unescape(future.content.decode())

    client.post(page, {"diffused_on": (validated_on + 5 * DAY).isoformat()})
    version.refresh_from_db()
    assert version.status == Status.DIFFUSED
    assert timezone.localdate(version.diffused_at) == validated_on + 5 * DAY
    entry = AuditEntry.objects.get(action="livrables.deliverable_diffused")
    assert f"le {validated_on + 5 * DAY:%d/%m/%Y}" in entry.summary

    with pytest.raises(LivrablesError):
        version_diffuse(actor=coordinator, version=version)


def test_given_dates_outside_the_execution_period_are_refused(client, coordinator, formation):
    client.force_login(coordinator)
    outside = formation.end_date + DAY

    page = client.post(
        reverse("livrables:deliverable_add", args=[formation.pk]),
        {
            "title": "Bilan",
            "rhythm": Rhythm.GIVEN_DATES,
            "lead_days": 0,
            "given_dates": f"{formation.start_date:%d/%m/%Y}\n{outside:%d/%m/%Y}",
        },
    )

    assert (
        f"La date du {outside:%d/%m/%Y} sort de la période d'exécution du marché "
        f"(du {formation.start_date:%d/%m/%Y} au {formation.end_date:%d/%m/%Y})"
    ) in html.unescape(page.content.decode())
    assert page.context["form"].errors["given_dates"]
    assert not ExpectedDeliverable.objects.exists()


def test_dates_typed_for_another_rhythm_are_refused_not_ignored(client, coordinator, formation):
    client.force_login(coordinator)

    page = client.post(
        reverse("livrables:deliverable_add", args=[formation.pk]),
        {"title": "Bilan", "rhythm": Rhythm.YEARLY, "lead_days": 0, "given_dates": "31/03/2026"},
    )

    assert "ne servent qu'au rythme « à des dates données »" in html.unescape(page.content.decode())
    assert not ExpectedDeliverable.objects.exists()


def test_duplicate_title_is_said_in_french_on_the_title(client, coordinator, formation, version):
    client.force_login(coordinator)

    page = client.post(
        reverse("livrables:deliverable_add", args=[formation.pk]),
        {"title": "Récit collectif", "rhythm": Rhythm.YEARLY, "lead_days": 0},
    )

    assert page.context["form"].errors["title"] == [
        "Cette formation a déjà un livrable attendu intitulé « Récit collectif »."
    ]


def test_delete_page_of_a_deliverable_with_versions_says_so_without_a_button(
    client, coordinator, version
):
    client.force_login(coordinator)
    deliverable = version.due.deliverable
    page_url = reverse(
        "livrables:deliverable_remove", args=[deliverable.formation_id, deliverable.pk]
    )

    page = html.unescape(client.get(page_url).content.decode())
    client.post(page_url)

    assert "il ne peut plus être supprimé" in page
    assert "Supprimer le livrable" not in page
    assert ExpectedDeliverable.objects.filter(pk=deliverable.pk).exists()


@pytest.mark.parametrize(("diffuse", "words"), [(False, "déjà validée"), (True, "déjà diffusée")])
def test_upload_page_of_a_closed_item_says_so_without_a_form(
    client, coordinator, feder, version, diffuse, words
):
    version_decide(
        actor=coordinator, version=version, validated=True, funder=feder, message_text="OK"
    )
    if diffuse:
        version_diffuse(actor=coordinator, version=version)
    client.force_login(coordinator)
    page_url = reverse(
        "livrables:deliverable_version_add",
        args=[version.due.deliverable.formation_id, version.due_id],
    )

    page = html.unescape(client.get(page_url).content.decode())
    client.post(page_url, {"file": SimpleUploadedFile("v2.pdf", PDF)})

    assert f"Cette échéance est {words}" in page
    assert 'type="file"' not in page
    assert version.due.versions.count() == 1


def test_list_shows_the_name_a_version_downloads_under_and_one_message_link(
    client, coordinator, feder, version
):
    version_decide(
        actor=coordinator,
        version=version,
        validated=True,
        funder=feder,
        message_file=SimpleUploadedFile("accord.pdf", PDF),
    )
    client.force_login(coordinator)
    formation_id = version.due.deliverable.formation_id

    page = client.get(reverse("livrables:deliverable_list", args=[formation_id])).content.decode()
    download = client.get(url("deliverable_version_file", version))

    assert version.download_name in page and "real.pdf" not in page
    assert version.download_name in download["Content-Disposition"]
    assert page.count("message du financeur") == 1


def test_demo_versions_follow_each_other_in_time(documents_dir):
    import os

    from django.core.management import call_command

    from livrables.models_deliverables import DeliverableVersion

    call_command("load_demo", stdout=open(os.devnull, "w"))

    versions = list(DeliverableVersion.objects.order_by("due_id", "number"))
    reworked = [v for v in versions if v.number > 1]
    assert reworked
    for version in reworked:
        previous = next(v for v in versions if v.due_id == version.due_id and v.number == 1)
        assert previous.decided_at < version.uploaded_at
    for version in versions:
        assert version.decided_at is None or version.decided_at > version.uploaded_at
        assert version.diffused_at is None or version.diffused_at > version.decided_at


def test_dashboard_shows_the_eight_most_urgent_and_links_to_the_others(
    client, coordinator, formation, documents_dir
):
    today = timezone.localdate()
    deliverable_create(
        actor=coordinator,
        formation=formation,
        title="Récit",
        rhythm=Rhythm.GIVEN_DATES,
        given_dates=[today - n * DAY for n in range(1, 12)],
    )
    client.force_login(coordinator)

    page = html.unescape(client.get(reverse("dashboard")).content.decode())

    assert f"{today - DAY * 11:%d/%m/%Y}" in page  # the oldest, most late
    assert f"{today - DAY * 3:%d/%m/%Y}" not in page
    assert "Et 3 autres échéances" in page
    assert f"voir les 3 autres, {formation.contract_reference}" in page
