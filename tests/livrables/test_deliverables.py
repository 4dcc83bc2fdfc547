"""Expected deliverables (livrables attendus): due dates per rhythm, the state machine
with its refusals, the funder's decision by its auditor or by the coordination with the
funder's message, files checked by content, reminders sent once, and the validated
versions handed to the audit pack."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from formations.models import AuditEntry, Funder, OutboxMessage, User
from formations.periodic import run_periodic
from livrables.exceptions import LivrablesError
from livrables.models_deliverables import (
    DeliverableDue,
    DeliverableReminder,
    DeliverableStatus,
    DeliverableVersion,
    ExpectedDeliverable,
)
from livrables.reminders_deliverables import send_due_reminders
from livrables.selectors_deliverables import validated_versions
from livrables.services_deliverables import (
    deliverable_create,
    deliverable_delete,
    deliverable_regenerate,
    deliverable_update,
    due_schedule,
    schedule_changes,
    version_decide,
    version_diffuse,
    version_submit,
)
from tests.factories import FormationFactory, FunderFactory, ProgrammeFactory, UserFactory

Rhythm = ExpectedDeliverable.Rhythm
Status = DeliverableStatus
D = dt.date

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body>Recit</body></html>"
EML = (
    b"From: Service FEDER <feder@example.org>\r\nTo: coordination@example.org\r\n"
    b"Date: Mon, 5 Mar 2018 10:00:00 +0100\r\nSubject: Validation du recit\r\n\r\n"
    b"Le recit est valide.\r\n"
)


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(content=PDF, name="recit.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# The Lille Sud action (seed 000): « du 15 janvier 2018 au 31 décembre 2019 ».
START, END = D(2018, 1, 15), D(2019, 12, 31)


@pytest.fixture
def feder(db):
    return FunderFactory()


@pytest.fixture
def formation(db, feder):
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    return FormationFactory(programme=programme, start_date=START, end_date=END)


@pytest.fixture
def recit(formation, coordinator):
    return deliverable_create(
        actor=coordinator,
        formation=formation,
        title="Récit collectif bimestriel",
        rhythm=Rhythm.BIMONTHLY,
    )


def first_due(deliverable) -> DeliverableDue:
    return deliverable.dues.order_by("due_date").first()


def submitted(due, coordinator, content=PDF, name="recit.pdf") -> DeliverableVersion:
    return version_submit(actor=coordinator, due=due, upload=upload(content, name))


# --- Due dates -------------------------------------------------------------------------------


def test_bimonthly_follows_calendar_bimesters_cut_by_the_execution_period():
    periods = due_schedule(rhythm=Rhythm.BIMONTHLY, start=START, end=END)

    assert len(periods) == 12
    assert (periods[0].start, periods[0].end, periods[0].due_date) == (
        D(2018, 1, 15),
        D(2018, 2, 28),
        D(2018, 2, 28),
    )
    assert [p.due_date for p in periods[1:3]] == [D(2018, 4, 30), D(2018, 6, 30)]
    assert (periods[-1].start, periods[-1].due_date) == (D(2019, 11, 1), D(2019, 12, 31))


def test_half_yearly_and_yearly_due_dates_of_the_lille_sud_action():
    half = due_schedule(rhythm=Rhythm.HALF_YEARLY, start=START, end=END)
    yearly = due_schedule(rhythm=Rhythm.YEARLY, start=START, end=END)

    assert [p.due_date for p in half] == [
        D(2018, 6, 30),
        D(2018, 12, 31),
        D(2019, 6, 30),
        D(2019, 12, 31),
    ]
    # « dessinant fin 2018 … finalisant fin 2019 »
    assert [(p.start, p.due_date) for p in yearly] == [
        (D(2018, 1, 15), D(2018, 12, 31)),
        (D(2019, 1, 1), D(2019, 12, 31)),
    ]


def test_lead_time_moves_each_due_date_after_its_period():
    periods = due_schedule(rhythm=Rhythm.HALF_YEARLY, start=START, end=END, lead_days=15)

    assert periods[0].end == D(2018, 6, 30)
    assert periods[0].due_date == D(2018, 7, 15)


def test_a_short_partial_period_joins_its_neighbour():
    # Execution ends on 10 January: ten days do not make a bimester of their own.
    periods = due_schedule(rhythm=Rhythm.BIMONTHLY, start=D(2021, 2, 20), end=D(2022, 1, 10))

    # 20–28 February (9 days) joins March–April; 1–10 January joins November–December.
    assert (periods[0].start, periods[0].end) == (D(2021, 2, 20), D(2021, 4, 30))
    assert (periods[-1].start, periods[-1].end) == (D(2021, 11, 1), D(2022, 1, 10))
    assert len(periods) == 5


def test_at_end_and_given_dates():
    at_end = due_schedule(rhythm=Rhythm.AT_END, start=START, end=END, lead_days=30)
    given = due_schedule(
        rhythm=Rhythm.GIVEN_DATES, start=None, end=None, given_dates=[D(2019, 3, 1), D(2018, 9, 1)]
    )

    assert [(p.start, p.end, p.due_date) for p in at_end] == [(START, END, D(2020, 1, 30))]
    assert [p.due_date for p in given] == [D(2018, 9, 1), D(2019, 3, 1)]


def test_a_rhythm_needs_the_execution_period():
    with pytest.raises(LivrablesError) as refused:
        due_schedule(rhythm=Rhythm.YEARLY, start=START, end=None)
    assert refused.value.code == "no_execution_period"
    with pytest.raises(LivrablesError) as refused:
        due_schedule(rhythm=Rhythm.GIVEN_DATES, start=None, end=None, given_dates=[])
    assert refused.value.code == "no_dates"


def test_create_generates_the_due_items_and_journals(recit, formation):
    assert recit.dues.count() == 12
    assert set(recit.dues.values_list("status", flat=True)) == {Status.PENDING}
    entry = AuditEntry.objects.get(action="livrables.deliverable_created")
    assert entry.object_id == str(formation.pk)
    assert "Récit collectif bimestriel" in entry.summary


def test_regenerating_after_a_period_change_keeps_items_with_versions(
    recit, formation, coordinator, documents_dir
):
    kept = recit.dues.get(due_date=D(2018, 4, 30))
    submitted(kept, coordinator)
    # The execution period now starts in June: earlier bimesters go, except the one that
    # has a version.
    formation.start_date = D(2018, 6, 1)
    formation.save()

    changes = deliverable_regenerate(actor=coordinator, deliverable=recit)

    dates = list(recit.dues.order_by("due_date").values_list("due_date", flat=True))
    assert D(2018, 2, 28) not in dates
    assert D(2018, 4, 30) in dates  # kept: it has a version
    # June alone (30 days) is less than half a bimester: it joins July–August.
    assert dates[1] == D(2018, 8, 31)
    assert recit.dues.get(due_date=D(2018, 8, 31)).period_start == D(2018, 6, 1)
    assert changes.removed == [D(2018, 2, 28), D(2018, 6, 30)]
    assert changes.kept_out_of_schedule == [D(2018, 4, 30)]
    assert DeliverableVersion.objects.filter(due=kept).count() == 1
    assert AuditEntry.objects.filter(action="livrables.deliverable_regenerated").exists()


def test_changing_the_rhythm_keeps_items_with_versions(recit, coordinator, documents_dir):
    submitted(first_due(recit), coordinator)

    deliverable_update(
        actor=coordinator, deliverable=recit, title=recit.title, rhythm=Rhythm.YEARLY
    )

    assert list(recit.dues.order_by("due_date").values_list("due_date", flat=True)) == [
        D(2018, 2, 28),
        D(2018, 12, 31),
        D(2019, 12, 31),
    ]


def test_a_deliverable_with_versions_cannot_be_deleted(recit, coordinator, documents_dir):
    submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        deliverable_delete(actor=coordinator, deliverable=recit)
    assert refused.value.code == "has_versions"


def test_a_deliverable_without_versions_is_deleted_and_journaled(recit, coordinator):
    deliverable_delete(actor=coordinator, deliverable=recit)

    assert not ExpectedDeliverable.objects.exists()
    assert AuditEntry.objects.filter(action="livrables.deliverable_deleted").exists()


# --- Versions and files --------------------------------------------------------------------


def test_a_version_is_kept_privately_with_its_digest(recit, coordinator, documents_dir):
    import hashlib

    due = first_due(recit)

    version = submitted(due, coordinator, odt_bytes(), "recit.odt")

    due.refresh_from_db()
    assert due.status == Status.SUBMITTED
    assert version.number == 1
    assert version.content_type == "application/vnd.oasis.opendocument.text"
    assert version.sha256 == hashlib.sha256(odt_bytes()).hexdigest()
    assert version.size == len(odt_bytes())
    assert version.uploaded_by == coordinator
    assert version.file.name.startswith("deliverables/")
    assert (documents_dir / version.file.name).read_bytes() == odt_bytes()
    assert AuditEntry.objects.filter(action="livrables.deliverable_version_submitted").exists()


def test_html_renamed_pdf_is_refused_and_nothing_is_kept(recit, coordinator, documents_dir):
    due = first_due(recit)

    with pytest.raises(LivrablesError) as refused:
        submitted(due, coordinator, HTML, "recit.pdf")

    assert refused.value.code == "file_type"
    assert "recit.pdf" in refused.value.message
    due.refresh_from_db()
    assert due.status == Status.PENDING
    assert not DeliverableVersion.objects.exists()
    assert not [p for p in documents_dir.rglob("*") if p.is_file()]


def test_a_zip_that_is_no_document_is_refused(recit, coordinator, documents_dir):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.html", "<html></html>")

    with pytest.raises(LivrablesError) as refused:
        submitted(first_due(recit), coordinator, buffer.getvalue(), "recit.docx")
    assert refused.value.code == "file_type"


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.STRUCTURE_REFERENT])
def test_trainers_and_referents_may_not_write(recit, role, documents_dir):
    from tests.factories import StructureFactory

    user = UserFactory(
        role=role, structure=StructureFactory() if role == User.Role.STRUCTURE_REFERENT else None
    )
    with pytest.raises(LivrablesError) as refused:
        submitted(first_due(recit), user)
    assert refused.value.code == "not_allowed"
    with pytest.raises(LivrablesError) as refused:
        deliverable_create(
            actor=user, formation=recit.formation, title="Note", rhythm=Rhythm.YEARLY
        )
    assert refused.value.code == "not_allowed"


def test_an_auditor_may_not_upload(recit, auditor, documents_dir):
    with pytest.raises(LivrablesError) as refused:
        submitted(first_due(recit), auditor)
    assert refused.value.code == "not_allowed"


# --- The funder's decision ------------------------------------------------------------------


def test_the_auditor_validates_and_it_is_logged(recit, coordinator, auditor, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    version_decide(actor=auditor, version=version, validated=True, funder=feder)

    version.refresh_from_db()
    assert version.status == Status.VALIDATED
    assert version.decided_by == auditor
    assert version.decided_as == DeliverableVersion.DecidedAs.AUDITOR
    assert version.funder == feder
    assert version.due.status == Status.VALIDATED
    entry = AuditEntry.objects.get(action="livrables.deliverable_validated")
    assert entry.actor == auditor
    assert entry.object_id == str(recit.formation_id)
    assert "décision de FEDER du" in entry.summary


def test_an_auditor_of_another_funder_is_refused(recit, coordinator, feder, documents_dir):
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    caf = Funder.objects.create(name="CAF du Nord", kind="caf")
    other.funders.add(caf)
    version = submitted(first_due(recit), coordinator)

    for funder in (caf, feder):
        with pytest.raises(LivrablesError) as refused:
            version_decide(actor=other, version=version, validated=True, funder=funder)
        assert refused.value.code == "funder_not_allowed"
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_to_rework_needs_a_comment(recit, coordinator, auditor, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_decide(actor=auditor, version=version, validated=False, funder=feder, comment=" ")

    assert refused.value.code == "comment_required"
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


def test_a_new_version_after_rework_goes_back_to_submitted(
    recit, coordinator, auditor, feder, documents_dir
):
    due = first_due(recit)
    first = submitted(due, coordinator)
    version_decide(
        actor=auditor,
        version=first,
        validated=False,
        funder=feder,
        comment="Ajouter les freins levés.",
    )
    due.refresh_from_db()
    assert due.status == Status.TO_REWORK

    second = submitted(due, coordinator)

    due.refresh_from_db()
    assert (second.number, due.status) == (2, Status.SUBMITTED)
    first.refresh_from_db()
    assert (first.status, first.comment) == (Status.TO_REWORK, "Ajouter les freins levés.")
    assert AuditEntry.objects.filter(action="livrables.deliverable_to_rework").exists()


def test_the_decision_is_on_the_latest_version_only(
    recit, coordinator, auditor, feder, documents_dir
):
    due = first_due(recit)
    first = submitted(due, coordinator)
    submitted(due, coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_decide(actor=auditor, version=first, validated=True, funder=feder)
    assert refused.value.code == "not_latest"


def test_a_decided_version_takes_no_second_decision(
    recit, coordinator, auditor, feder, documents_dir
):
    version = submitted(first_due(recit), coordinator)
    version_decide(actor=auditor, version=version, validated=True, funder=feder)

    with pytest.raises(LivrablesError) as refused:
        version_decide(actor=auditor, version=version, validated=False, funder=feder, comment="x")
    assert refused.value.code == "not_submitted"
    with pytest.raises(LivrablesError) as refused:
        submitted(version.due, coordinator)
    assert refused.value.code == "already_validated"


def test_the_coordinator_needs_the_funders_message(recit, coordinator, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_decide(actor=coordinator, version=version, validated=True, funder=feder)
    assert refused.value.code == "message_required"

    with pytest.raises(LivrablesError) as refused:
        version_decide(
            actor=coordinator,
            version=version,
            validated=True,
            funder=feder,
            message_file=SimpleUploadedFile("message.eml", HTML),
        )
    assert refused.value.code == "message_type"

    version_decide(
        actor=coordinator,
        version=version,
        validated=True,
        funder=feder,
        message_file=SimpleUploadedFile("message.eml", EML),
    )
    version.refresh_from_db()
    assert version.status == Status.VALIDATED
    assert version.decided_as == DeliverableVersion.DecidedAs.COORDINATOR
    assert version.message_content_type == "message/rfc822"
    assert (documents_dir / version.message_file.name).read_bytes() == EML
    (row,) = validated_versions(formation=recit.formation)
    assert row.message_storage_name == version.message_file.name
    assert row.message_pack_name == (
        f"livrables-attendus/recit-collectif-bimestriel-{recit.pk}/"
        "2018-02-28-v1-message-du-financeur.eml"
    )


def test_the_coordinator_may_paste_the_funders_message(recit, coordinator, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    version_decide(
        actor=coordinator,
        version=version,
        validated=False,
        funder=feder,
        comment="Préciser les leviers.",
        message_text="De : FEDER. Merci de préciser les leviers trouvés.",
    )

    version.refresh_from_db()
    assert version.status == Status.TO_REWORK
    assert version.message_text.startswith("De : FEDER")


def test_a_trainer_may_not_decide(recit, coordinator, trainer, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_decide(
            actor=trainer, version=version, validated=True, funder=feder, message_text="ok"
        )
    assert refused.value.code == "not_allowed"


# --- Diffusion ------------------------------------------------------------------------------


def test_only_a_validated_version_is_diffused(recit, coordinator, auditor, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_diffuse(actor=coordinator, version=version)
    assert refused.value.code == "not_validated"

    version_decide(actor=auditor, version=version, validated=True, funder=feder)
    with pytest.raises(LivrablesError) as refused:
        version_diffuse(actor=auditor, version=version)
    assert refused.value.code == "not_allowed"

    version_diffuse(actor=coordinator, version=version)
    version.refresh_from_db()
    assert version.status == Status.DIFFUSED
    assert version.due.status == Status.DIFFUSED
    assert version.diffused_by == coordinator
    assert AuditEntry.objects.filter(action="livrables.deliverable_diffused").exists()


def test_a_version_to_rework_is_not_diffused(recit, coordinator, auditor, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)
    version_decide(actor=auditor, version=version, validated=False, funder=feder, comment="x")

    with pytest.raises(LivrablesError) as refused:
        version_diffuse(actor=coordinator, version=version)
    assert refused.value.code == "not_validated"


# --- The audit pack's selector ---------------------------------------------------------------


def test_validated_versions_for_the_pack(recit, coordinator, auditor, feder, documents_dir):
    dues = list(recit.dues.order_by("due_date"))
    first = submitted(dues[0], coordinator)
    version_decide(actor=auditor, version=first, validated=True, funder=feder)
    version_diffuse(actor=coordinator, version=first)
    second = submitted(dues[1], coordinator, odt_bytes(), "recit2.odt")
    version_decide(actor=auditor, version=second, validated=True, funder=feder)
    submitted(dues[2], coordinator)  # only submitted: not in the pack

    rows = validated_versions(formation=recit.formation)

    assert [(r.due_date, r.status) for r in rows] == [
        (D(2018, 2, 28), Status.DIFFUSED),
        (D(2018, 4, 30), Status.VALIDATED),
    ]
    assert rows[0].pack_name == (
        f"livrables-attendus/recit-collectif-bimestriel-{recit.pk}/2018-02-28-v1.pdf"
    )
    assert rows[1].pack_name.endswith("2018-04-30-v1.odt")
    assert (documents_dir / rows[0].storage_name).read_bytes() == PDF
    assert rows[0].funder == "FEDER"
    assert rows[0].message_pack_name == ""  # decided by the auditor: nothing attached
    assert [
        r.due_date
        for r in validated_versions(
            formation=recit.formation, date_from=D(2018, 3, 1), date_to=D(2018, 12, 31)
        )
    ] == [D(2018, 4, 30)]


# --- Reminders ------------------------------------------------------------------------------


@pytest.fixture
def soon(db, feder, coordinator):
    formation = FormationFactory(start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))
    formation.programme.funders.add(feder)
    return deliverable_create(
        actor=coordinator,
        formation=formation,
        title="Note support annuelle",
        rhythm=Rhythm.GIVEN_DATES,
        given_dates=[D(2026, 6, 30)],
    )


def test_reminders_go_15_days_before_and_on_the_day_once_each(soon, coordinator, committed):
    from django.core import mail

    UserFactory(role=User.Role.TRAINER)  # not a recipient
    assert committed(send_due_reminders, today=D(2026, 6, 1)) == {"reminders": 0, "messages": 0}

    first = committed(send_due_reminders, today=D(2026, 6, 15))
    again = committed(send_due_reminders, today=D(2026, 6, 16))
    on_day = committed(send_due_reminders, today=D(2026, 6, 30))
    after = committed(send_due_reminders, today=D(2026, 7, 1))

    assert first == {"reminders": 1, "messages": 1}
    assert again == after == {"reminders": 0, "messages": 0}
    assert on_day == {"reminders": 1, "messages": 1}
    assert DeliverableReminder.objects.count() == 2
    messages = OutboxMessage.objects.filter(purpose="deliverable_reminder").order_by("pk")
    assert [m.recipient for m in messages] == [coordinator.email, coordinator.email]
    assert "Livrable à rendre le 30/06/2026 : Note support annuelle" in messages[0].subject
    assert "est à rendre dans 15 jours, le 30 juin 2026." in messages[0].body
    assert "est à rendre aujourd'hui" in messages[1].body
    assert [m.to for m in mail.outbox] == [[coordinator.email], [coordinator.email]]


def test_a_submitted_item_is_not_reminded(soon, coordinator, documents_dir):
    submitted(soon.dues.get(), coordinator)

    assert send_due_reminders(today=D(2026, 6, 20)) == {"reminders": 0, "messages": 0}


def test_old_items_are_not_reminded_in_bulk(recit):
    assert send_due_reminders(today=D(2026, 6, 20)) == {"reminders": 0, "messages": 0}


def test_run_periodic_sends_the_reminder_once(soon, coordinator, settings):
    from unittest import mock

    from django.utils import timezone

    now = timezone.make_aware(dt.datetime(2026, 6, 20, 8, 0))
    with mock.patch("django.utils.timezone.localdate", return_value=D(2026, 6, 20)):
        run_periodic(now=now)
        run_periodic(now=now + dt.timedelta(hours=2))
    assert OutboxMessage.objects.filter(purpose="deliverable_reminder").count() == 1


@pytest.mark.django_db
def test_demo_gives_lille_sud_its_three_deliverables(documents_dir, client):
    import os

    call_command("load_demo", stdout=open(os.devnull, "w"))
    call_command("load_demo", stdout=open(os.devnull, "w"))

    titles = set(
        ExpectedDeliverable.objects.filter(
            formation__contract_reference="FEDER-2018-AO.3"
        ).values_list("title", flat=True)
    )
    assert titles == {
        "Récit collectif bimestriel",
        "Cadre de référence semestriel",
        "Note support annuelle",
    }
    dues = DeliverableDue.objects.filter(
        deliverable__formation__contract_reference="FEDER-2018-AO.3"
    )
    statuses = list(dues.values_list("status", flat=True))
    assert statuses.count(Status.DIFFUSED) == 1
    assert statuses.count(Status.VALIDATED) >= 2
    today = dt.date.today()
    assert sum(1 for due in dues if due.is_late(today) and due.status == Status.PENDING) == 1
    assert dues.filter(status=Status.SUBMITTED).exists()
    assert DeliverableVersion.objects.count() == dues.exclude(status=Status.PENDING).count() + 1
    # The demo auditor (FEDER) finds the two items awaiting the funder's decision.
    from livrables.selectors_deliverables import deliverables_awaiting_validation

    auditeur = User.objects.get(username="auditeur")
    awaiting = list(deliverables_awaiting_validation(user=auditeur))
    assert [(d.deliverable.title, d.due_date) for d in awaiting] == [
        ("Récit collectif bimestriel", D(2019, 10, 31)),
        ("Note support annuelle", D(2019, 12, 31)),
    ]
    client.force_login(auditeur)
    formation = awaiting[0].deliverable.formation
    page = client.get(reverse("livrables:deliverable_list", args=[formation.pk]))
    assert page.status_code == 200
    assert "Diffusée le" in page.content.decode()


@pytest.mark.django_db
def test_the_admin_cannot_bypass_the_services(rf):
    from django.contrib import admin

    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    for model in (ExpectedDeliverable, DeliverableDue, DeliverableVersion):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
    assert DeliverableReminder not in admin.site._registry


# --- Schedule changes after a decision (review) ----------------------------------------------


def validated_first(recit, coordinator, feder):
    due = first_due(recit)
    version = submitted(due, coordinator)
    version_decide(
        actor=coordinator, version=version, validated=True, funder=feder, message_text="OK"
    )
    return due


def test_a_new_lead_time_moves_the_due_dates_without_doubling_a_validated_item(
    recit, coordinator, feder, documents_dir
):
    due = validated_first(recit, coordinator, feder)

    changes = deliverable_update(
        actor=coordinator,
        deliverable=recit,
        title=recit.title,
        rhythm=Rhythm.BIMONTHLY,
        lead_days=15,
    )

    first_period = recit.dues.filter(period_start=D(2018, 1, 15), period_end=D(2018, 2, 28))
    assert list(first_period.values_list("pk", "status", "due_date")) == [
        (due.pk, Status.VALIDATED, D(2018, 3, 15))
    ]
    assert recit.dues.count() == 12
    assert changes.added == [] and changes.removed == []
    assert (D(2018, 2, 28), D(2018, 3, 15)) in changes.adjusted
    assert recit.dues.get(period_start=D(2018, 3, 1)).due_date == D(2018, 5, 15)
    recit.refresh_from_db()
    assert schedule_changes(recit).empty


def test_extending_the_execution_a_little_keeps_the_validated_item_for_its_period(
    coordinator, feder, documents_dir
):
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    formation = FormationFactory(
        programme=programme, start_date=D(2018, 1, 1), end_date=D(2018, 2, 28)
    )
    recit = deliverable_create(
        actor=coordinator, formation=formation, title="Récit", rhythm=Rhythm.BIMONTHLY
    )
    due = validated_first(recit, coordinator, feder)
    formation.end_date = D(2018, 3, 10)  # ten days of March join January–February
    formation.save()

    changes = deliverable_regenerate(actor=coordinator, deliverable=recit)

    assert list(recit.dues.values_list("pk", flat=True)) == [due.pk]
    assert changes.added == []
    assert changes.kept_out_of_schedule == [D(2018, 2, 28)]
    recit.refresh_from_db()
    assert schedule_changes(recit).empty


def test_a_superuser_opens_a_version_in_the_admin(client, recit, coordinator, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)
    version_decide(
        actor=coordinator,
        version=version,
        validated=True,
        funder=feder,
        message_file=upload(EML, "validation.eml"),
    )
    version.refresh_from_db()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    page = client.get(reverse("admin:livrables_deliverableversion_change", args=[version.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert version.sha256 in text and "recit.pdf" in text
    assert version.message_sha256 in text and "validation.eml" in text
    assert (
        reverse("livrables:deliverable_version_message", args=[recit.formation_id, version.pk])
        in text
    )


# --- Locks ---------------------------------------------------------------------------------


def test_an_upload_to_an_item_removed_meanwhile_is_refused(recit, coordinator, documents_dir):
    due = first_due(recit)
    DeliverableDue.objects.filter(pk=due.pk).delete()  # a regeneration at the same moment

    with pytest.raises(LivrablesError) as refused:
        submitted(due, coordinator)

    assert refused.value.code == "gone"
    assert not DeliverableVersion.objects.exists()
    assert not any(documents_dir.rglob("*.pdf"))


def test_a_decision_locks_its_own_rows_deliverable_first(recit, coordinator, feder, documents_dir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update_of:
        pytest.skip("FOR UPDATE OF: PostgreSQL only (SQLite serialises its writes)")
    version = submitted(first_due(recit), coordinator)

    with CaptureQueriesContext(connection) as queries:
        version_decide(
            actor=coordinator, version=version, validated=True, funder=feder, message_text="OK"
        )

    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert [sql.rsplit("FOR UPDATE OF ", 1)[1].strip('"') for sql in locks] == [
        "livrables_expecteddeliverable",
        "livrables_deliverabledue",
        "livrables_deliverableversion",
    ]


# --- Content checks --------------------------------------------------------------------------

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
OUTLOOK_MSG = OLE + "__substg1.0_0037001F".encode("utf-16-le") + b"\x00" * 64
WORD_DOC = OLE + "WordDocument".encode("utf-16-le") + b"\x00" * 64


def test_an_opendocument_with_an_oversized_mimetype_entry_is_refused(
    recit, coordinator, documents_dir
):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Inflates to 10 MB from a few kilobytes: never read.
        archive.writestr("mimetype", ODT_MIME + " " * 10_000_000)
        archive.writestr("content.xml", "<office:document-content/>")

    with pytest.raises(LivrablesError) as refused:
        submitted(first_due(recit), coordinator, buffer.getvalue(), "recit.odt")

    assert refused.value.code == "file_type"


ODT_MIME = "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    ("content", "accepted"), [(OUTLOOK_MSG, True), (WORD_DOC, False)], ids=["msg", "doc"]
)
def test_an_outlook_message_is_accepted_but_not_any_ole_file(
    content, accepted, recit, coordinator, feder, documents_dir
):
    version = submitted(first_due(recit), coordinator)

    def decide():
        return version_decide(
            actor=coordinator,
            version=version,
            validated=True,
            funder=feder,
            message_file=upload(content, "validation.msg"),
        )

    if accepted:
        assert decide().message_content_type == "application/vnd.ms-outlook"
    else:
        with pytest.raises(LivrablesError) as refused:
            decide()
        assert refused.value.code == "message_type"


# --- Notices --------------------------------------------------------------------------------


def test_a_version_to_rework_is_emailed_to_the_coordinators_with_the_comment(
    recit, coordinator, feder, documents_dir
):
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(feder)
    other = UserFactory(role=User.Role.COORDINATOR, email="")  # no address: not written to
    version = submitted(first_due(recit), coordinator)

    version_decide(
        actor=auditor,
        version=version,
        validated=False,
        funder=feder,
        comment="Ajoutez les ateliers de février.",
    )

    notice = OutboxMessage.objects.get(purpose="deliverable_rework")
    assert notice.recipient == coordinator.email
    assert notice.subject == (
        "Livrable à reprendre : Récit collectif bimestriel, échéance du 28/02/2018 "
        f"({recit.formation.contract_reference})"
    )
    assert "Ajoutez les ateliers de février." in notice.body
    assert feder.name in notice.body
    assert other.email == ""


def test_a_validation_sends_no_rework_notice(recit, coordinator, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    version_decide(
        actor=coordinator, version=version, validated=True, funder=feder, message_text="OK"
    )

    assert not OutboxMessage.objects.filter(purpose="deliverable_rework").exists()


# --- French --------------------------------------------------------------------------------


def test_a_late_item_reminder_says_late_since(soon, coordinator):
    send_due_reminders(today=D(2026, 7, 2))  # missed on the day: caught up two days later

    message = OutboxMessage.objects.get(purpose="deliverable_reminder")
    assert message.subject.startswith("Livrable en retard depuis le 30/06/2026 : Note support")
    assert "était à rendre le 30 juin 2026 : il est en retard." in message.body


def test_creation_and_changes_are_told_in_singular_and_plural(soon, recit, coordinator):
    from livrables.services_deliverables import ScheduleChanges, changes_summary

    created = AuditEntry.objects.filter(action="livrables.deliverable_created")
    assert {entry.summary for entry in created} == {
        "Livrable attendu « Note support annuelle » défini (à des dates données, 1 échéance)",
        "Livrable attendu « Récit collectif bimestriel » défini (bimestriel, 12 échéances)",
    }
    one = [D(2018, 1, 1)]
    assert changes_summary(
        ScheduleChanges(added=one, removed=one * 2, kept_out_of_schedule=[])
    ) == ("1 échéance ajoutée, 2 échéances retirées")
    assert changes_summary(ScheduleChanges(added=[], removed=[], kept_out_of_schedule=[])) == (
        "aucune échéance changée"
    )


def test_a_trainer_is_told_who_records_the_decision(recit, coordinator, feder, documents_dir):
    version = submitted(first_due(recit), coordinator)

    with pytest.raises(LivrablesError) as refused:
        version_decide(
            actor=UserFactory(role=User.Role.TRAINER),
            version=version,
            validated=True,
            funder=feder,
        )

    assert refused.value.code == "not_allowed"
    assert refused.value.message == (
        "La décision ne peut être enregistrée que par l'auditeur·rice du financeur ou par "
        "la coordination."
    )


def test_two_titles_that_slug_alike_get_their_own_folder_in_the_pack(
    formation, coordinator, auditor, feder, documents_dir
):
    """« Récit collectif » and « Recit collectif » are two deliverables with one slug: the
    pack must not give their versions one name (it would refuse to build)."""
    names = []
    for title in ("Récit collectif", "Recit collectif"):
        deliverable = deliverable_create(
            actor=coordinator, formation=formation, title=title, rhythm=Rhythm.BIMONTHLY
        )
        version = submitted(first_due(deliverable), coordinator)
        version_decide(actor=auditor, version=version, validated=True, funder=feder)
        names.append(version.pack_name)

    assert names[0] != names[1]
    assert {row.pack_name for row in validated_versions(formation=formation)} == set(names)
