"""The auditor's workspace (`formations.views_workspace`, the home page of a funder
auditor): their funders' operations and formations with the blocks the apps register
(hours, audit risks, service fait, certificates), read-only and scoped."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from formations.models import Formation, Funder, User
from formations.panels import WORKSPACE_FORMATION_PANELS
from livrables.models import ExpectedDeliverable, IssuedDocument
from livrables.services_claims import issue_service_fait_statement, record_claim, record_payment
from livrables.services_deliverables import deliverable_create, version_submit
from sessions.models import Attendance
from sessions.selectors.audit_risks import audit_risks
from sessions.services import audit_risk_acknowledge
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ProgrammeFactory,
    ProviderIdentityFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, countersign, make_slot
from tests.factories.sessions import during

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

DAY = dt.date(2021, 10, 4)  # a Monday, no public holiday in Lille


def funded_formation(programme, *, reference, trainer, room_capacity=None, **fields):
    """A formation of `programme` with one session of two people over a day: the morning
    signed and countersigned (7 trainee-hours realised), the afternoon signed and never
    countersigned (its hours count 0, an audit risk)."""
    formation = FormationFactory(
        programme=programme, contract_reference=reference, title=f"Formation {reference}", **fields
    )
    session = TrainingSessionFactory(
        formation=formation, code=f"S-{reference}", room_capacity=room_capacity
    )
    morning = make_slot(session, DAY, dt.time(9), dt.time(12, 30), countersigned=False)
    afternoon = make_slot(session, DAY, dt.time(13, 30), dt.time(17), countersigned=False)
    for _ in range(2):
        enrolment = EnrolmentFactory(session=session)
        for slot in (morning, afternoon):
            row = attend(enrolment, slot)
            Attendance.objects.filter(pk=row.pk).update(signed_at=during(slot))
    countersign(morning, trainer)
    return formation


def certificate(formation, number):
    """A standing certificate of the formation (the register's row is what the workspace
    reads; its file is the ZIP's business)."""
    return IssuedDocument.objects.create(
        number=number,
        kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE,
        title="Certificat de réalisation",
        sha256="0" * 64,
        size=1,
        issued_at=dt.datetime(2021, 11, 1, tzinfo=dt.UTC),
        formation=formation,
        storage_name=f"certificats/{number}.pdf",
    )


@pytest.fixture
def world(documents_dir, coordinator, trainer):
    """FSE finances « Inclusion numérique » (with the Région); FEDER alone finances
    « Centres sociaux connectés ». Each has a formation with a statement issued and a
    certificate; the FSE one is priced per trainee-hour (20 h planned)."""
    ProviderIdentityFactory()
    fse = FunderFactory(name="FSE+", kind=Funder.Kind.FSE)
    feder = FunderFactory(name="FEDER", kind=Funder.Kind.FEDER)
    region = FunderFactory(name="Région Hauts-de-France", kind=Funder.Kind.REGION)
    fse_programme = ProgrammeFactory(reference="FSE-INCL", title="Inclusion numérique")
    fse_programme.funders.add(fse, region)
    feder_programme = ProgrammeFactory(reference="FEDER-CSC", title="Centres sociaux connectés")
    feder_programme.funders.add(feder)
    ours = funded_formation(
        fse_programme,
        reference="FSE-2021-AO.1",
        trainer=trainer,
        room_capacity=1,
        pricing_mode=Formation.PricingMode.PER_TRAINEE_HOUR,
        unit_price=Decimal("40"),
        planned_units=Decimal("20"),
    )
    theirs = funded_formation(feder_programme, reference="FEDER-2021-AO.9", trainer=trainer)
    statements = {
        formation.pk: issue_service_fait_statement(
            formation=formation,
            period_start=dt.date(2021, 10, 1),
            period_end=dt.date(2021, 10, 31),
            actor=coordinator,
        )
        for formation in (ours, theirs)
    }
    certificate(ours, "CR-FSE-1")
    certificate(theirs, "CR-FEDER-1")
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(fse)
    return {
        "ours": ours,
        "theirs": theirs,
        "statements": statements,
        "auditor": auditor,
        "feder_programme": feder_programme,
    }


def submit_deliverable(formation, coordinator, title="Récit collectif"):
    """An expected deliverable of the formation whose one due item has a version awaiting
    the funder's decision."""
    deliverable = deliverable_create(
        actor=coordinator,
        formation=formation,
        title=title,
        rhythm=ExpectedDeliverable.Rhythm.GIVEN_DATES,
        given_dates=[dt.date(2021, 12, 15)],
    )
    upload = SimpleUploadedFile("recit.pdf", PDF, content_type="application/pdf")
    return version_submit(actor=coordinator, due=deliverable.dues.get(), upload=upload)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_auditor_home_lists_their_funders_operations_with_each_block(client, world, coordinator):
    ours = world["ours"]
    risks = audit_risks(formation=ours)
    audit_risk_acknowledge(
        formation=ours,
        risk_key=risks[0].key,
        explanation="Salle agrandie le jour même, attestation du centre jointe.",
        actor=coordinator,
    )
    client.force_login(world["auditor"])

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert "formations/workspace.html" in [t.name for t in response.templates]
    text = text_of(response)
    assert "Les opérations financées par le FSE+, en lecture seule" in text
    assert "Inclusion numérique" in text and "FSE-2021-AO.1" in text
    assert "financeurs : FSE+, Région Hauts-de-France" in text
    # Hours: 2 people × 7 h scheduled; the countersigned morning alone counts (2 × 3 h 30).
    assert "7 h réalisées sur 14 h programmées (50 %)" in text
    assert "sur 20 h prévues au marché (35 %)" in text
    # Audit risks: the formation page's list, counted; one explained.
    assert len(risks) >= 3
    assert f"{len(risks)} risques relevés" in text
    assert f"{len(risks) - 1} sans explication" in text
    risks_url = reverse("formations:formation_detail", args=[ours.pk]) + "#audit-risks"
    assert f'href="{risks_url}"' in response.content.decode()
    assert "Voir les risques et les explications" in text
    # Service fait and certificates.
    statement = world["statements"][ours.pk]
    assert "Dernier état émis : du 01/10/2021 au 31/10/2021" in text
    page = response.content.decode()
    assert f"Télécharger l'état n° {statement.number} (PDF)" in text
    assert reverse("livrables:document_download", args=[statement.number]) in page
    assert reverse("livrables:formation_certificates_zip", args=[ours.pk]) in page
    assert "1 document en vigueur" in text


def test_claimed_received_and_still_due_or_overpaid_per_formation(client, world, coordinator):
    ours, theirs = world["ours"], world["theirs"]
    fse = world["auditor"].funders.get()
    claim_and_payment(ours, coordinator, fse, claimed="500", received="200")
    client.force_login(world["auditor"])
    text = text_of(client.get(reverse("dashboard")))
    # 500 € HT claimed, 600 € TTC (VAT 20 %).
    assert "Demandé 600,00 € TTC" in text and "Reçu 200,00 €" in text
    assert "Reste dû 400,00 €" in text
    # More received than claimed: shown as such, not as a zero still due.
    record_payment(
        formation=ours,
        received_on=dt.date(2021, 12, 2),
        amount=Decimal("450"),
        funder=fse,
        actor=coordinator,
    )
    text = text_of(client.get(reverse("dashboard")))
    assert "Trop-perçu 50,00 €" in text and "Reste dû" not in text
    assert theirs.contract_reference not in text


@pytest.mark.parametrize(
    ("funders", "phrase"),
    [
        ([("FEDER", "feder"), ("FSE", "fse")], "par le FEDER et le FSE"),
        (
            [("FEDER", "feder"), ("État", "etat"), ("Région Hauts-de-France", "region")],
            "par le FEDER, l'État et la Région Hauts-de-France",
        ),
        ([("FEDER", "feder"), ("Fondation X", "other")], "de vos financeurs (FEDER, Fondation X)"),
    ],
)
def test_workspace_intro_names_the_funders_with_their_articles(funders, phrase):
    from formations.views_workspace import funders_phrase

    assert funders_phrase([Funder(name=name, kind=kind) for name, kind in funders]) == phrase


def test_statement_to_reissue_is_shown_so_to_the_auditor(client, world, coordinator):
    from sessions.models import Rectification

    ours = world["ours"]
    client.force_login(world["auditor"])
    assert "à rééditer" not in text_of(client.get(reverse("dashboard")))

    # A half-day of its period rectified after the issue: its figures are out of date.
    Rectification.objects.create(
        attendance=Attendance.objects.filter(slot__session__formation=ours).first(),
        old_values={"status": "present"},
        new_values={"status": "absent"},
        reason="Erreur de saisie",
        author=coordinator,
        created_at=timezone.now(),
    )

    text = text_of(client.get(reverse("dashboard")))
    assert text.count("à rééditer") == 1
    assert "ses chiffres ne sont plus à jour, la coordination doit l'émettre à nouveau" in text
    assert f"Télécharger l'état n° {world['statements'][ours.pk].number} (PDF)" in text


def test_fse_auditor_never_sees_a_feder_only_formation(client, world):
    theirs = world["theirs"]
    statement = world["statements"][theirs.pk]
    client.force_login(world["auditor"])

    page = client.get(reverse("dashboard")).content.decode()

    assert "FEDER-2021-AO.9" not in page
    assert world["feder_programme"].title not in page
    assert statement.number not in page
    for url in (
        reverse("formations:formation_detail", args=[theirs.pk]),
        reverse("formations:programme_detail", args=[world["feder_programme"].pk]),
        reverse("livrables:document_download", args=[statement.number]),
        reverse("livrables:service_fait_xlsx", args=[theirs.pk]) + "?du=2021-10-01&au=2021-10-31",
        reverse("livrables:formation_certificates_zip", args=[theirs.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_links_shown_open_for_the_auditor_read_only(client, world):
    ours = world["ours"]
    statement = world["statements"][ours.pk]
    client.force_login(world["auditor"])

    pdf = client.get(reverse("livrables:document_download", args=[statement.number]))
    xlsx = client.get(
        reverse("livrables:service_fait_xlsx", args=[ours.pk]) + "?du=2021-10-01&au=2021-10-31"
    )
    formation_page = client.get(reverse("formations:formation_detail", args=[ours.pk]))

    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert xlsx.status_code == 200
    page = formation_page.content.decode()
    assert 'id="audit-risks"' in page and 'id="service-fait"' in page
    # The auditor reads the risks: never the form that explains them.
    assert 'name="risk_key"' not in page
    assert reverse("sessions:audit_risk_acknowledge", args=[ours.pk]) not in page
    assert (
        client.post(
            reverse("livrables:service_fait_issue", args=[ours.pk]),
            {"du": "2021-10-01", "au": "2021-10-31"},
        ).status_code
        == 403
    )  # in reach, read-only


# What the workspace may post to: the header's sign-out, as on every page, and the audit
# pack's button, which starts a background job that only reads.
ALLOWED_FORM_TARGETS = {"logout", "livrables:audit_pack_build"}


def test_the_workspace_holds_no_form_that_writes(client, world):
    client.force_login(world["auditor"])

    page = client.get(reverse("dashboard")).content.decode()

    targets = [
        resolve(action).view_name for action in re.findall(r'<form\b[^>]*\baction="([^"]*)"', page)
    ]
    assert page.count("<form") == len(targets) >= 1
    assert set(targets) <= ALLOWED_FORM_TARGETS


@pytest.mark.parametrize("role", [User.Role.COORDINATOR, User.Role.TRAINER])
def test_other_roles_keep_their_dashboard(client, world, role):
    client.force_login(UserFactory(role=role))

    response = client.get(reverse("dashboard"))

    names = [t.name for t in response.templates]
    assert "formations/dashboard.html" in names
    assert "formations/workspace.html" not in names


def test_auditor_without_a_funder_is_told_so(client, db):
    client.force_login(UserFactory(role=User.Role.FUNDER_AUDITOR))

    text = text_of(client.get(reverse("dashboard")))

    assert "rattaché à aucun financeur" in text
    assert "Aucune opération financée par vos financeurs pour l'instant." in text


def test_a_formation_without_session_and_a_programme_without_formation(client, auditor):
    funder = auditor.funders.get()
    empty_programme = ProgrammeFactory(title="Opération sans formation")
    empty_programme.funders.add(funder)
    programme = ProgrammeFactory(title="Opération en préparation")
    programme.funders.add(funder)
    FormationFactory(programme=programme, contract_reference="PREP-1")
    client.force_login(auditor)

    text = text_of(client.get(reverse("dashboard")))

    assert "Aucune formation dans cette opération pour l'instant." in text
    assert "Aucune session programmée pour l'instant." in text
    assert "Aucun risque relevé." in text
    assert "Aucun état de service fait émis pour l'instant." in text
    assert "Télécharger les certificats" not in text


def claim_and_payment(formation, coordinator, funder, *, claimed="500", received="200"):
    """A claim of October 2021 and a payment received (tied to no claim)."""
    record_claim(
        formation=formation,
        period_start=dt.date(2021, 10, 1),
        period_end=dt.date(2021, 10, 31),
        amount=Decimal(claimed),
        sent_on=dt.date(2021, 11, 2),
        actor=coordinator,
    )
    record_payment(
        formation=formation,
        received_on=dt.date(2021, 12, 1),
        amount=Decimal(received),
        funder=funder,
        actor=coordinator,
    )


def _world_of(n: int, auditor, trainer, coordinator):
    """n formations over n/2 programmes of the auditor's funder, each with signed half-days,
    audit risks (one explained), a statement and a certificate."""
    funder = auditor.funders.get()
    programmes = [ProgrammeFactory() for _ in range(n // 2)]
    for programme in programmes:
        programme.funders.add(funder)
    for i in range(n):
        formation = funded_formation(
            programmes[i % len(programmes)],
            reference=f"Q{n}-{i}",
            trainer=trainer,
            room_capacity=1,
        )
        issue_service_fait_statement(
            formation=formation,
            period_start=dt.date(2021, 10, 1),
            period_end=dt.date(2021, 10, 31),
            actor=coordinator,
        )
        claim_and_payment(formation, coordinator, funder)
        certificate(formation, f"CR-Q{n}-{i}")
        submit_deliverable(formation, coordinator)
        audit_risk_acknowledge(
            formation=formation,
            risk_key=audit_risks(formation=formation)[0].key,
            explanation="Explication donnée au financeur.",
            actor=coordinator,
        )


@pytest.mark.parametrize("n", [2, 8])
def test_query_count_does_not_grow_with_formations(
    client, auditor, trainer, coordinator, documents_dir, django_assert_max_num_queries, n
):
    ProviderIdentityFactory()
    _world_of(n, auditor, trainer, coordinator)
    client.force_login(auditor)

    # Session and user, formations, hours (1), audit risks (6), statements (1) and their
    # states (2: register entries, « à rééditer »), certificates (1), deliverables awaiting
    # validation (1), audit packs (1), programmes and their funders (2), the auditor's
    # funders (1), claimed and received (2).
    with django_assert_max_num_queries(21):
        response = client.get(reverse("dashboard"))

    assert response.content.decode().count('class="card ws-formation"') == n


def test_same_queries_for_two_and_eight_formations(
    client, auditor, trainer, coordinator, documents_dir
):
    ProviderIdentityFactory()
    client.force_login(auditor)
    counts = []
    for n in (2, 8):
        _world_of(n, auditor, trainer, coordinator)
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("dashboard"))
        counts.append(len(queries))

    assert counts[0] == counts[1], [q["sql"][:80] for q in queries.captured_queries]


def test_every_block_reads_all_formations_at_once():
    """Each registered workspace panel is called once per page with every formation:
    the registry holds the apps' blocks in page order."""
    names = [panel.__name__ for panel in WORKSPACE_FORMATION_PANELS]

    assert names[:6] == [
        "workspace_hours_panel",
        "workspace_risks_panel",
        "workspace_deliverables_panel",
        "workspace_service_fait_panel",
        "workspace_certificates_panel",
        "workspace_pack_panel",
    ]


def test_deliverables_awaiting_the_auditor_are_listed_with_the_link_to_decide(
    client, world, coordinator
):
    ours, theirs = world["ours"], world["theirs"]
    ours_version = submit_deliverable(ours, coordinator, title="Cadre de référence")
    theirs_version = submit_deliverable(theirs, coordinator, title="Note support annuelle")
    client.force_login(world["auditor"])

    response = client.get(reverse("dashboard"))

    text = text_of(response)
    assert "Livrables en attente de votre validation" in text
    assert "Cadre de référence — échéance du 15/12/2021, version 1" in text
    page = response.content.decode()
    assert reverse("livrables:deliverable_version_decide", args=[ours.pk, ours_version.pk]) in page
    # FEDER's deliverable is none of an FSE auditor's business.
    assert "Note support annuelle" not in text
    assert str(theirs_version.pk) not in re.findall(r"versions/(\d+)/decision", page)


def test_no_deliverable_block_when_nothing_awaits(client, world):
    client.force_login(world["auditor"])

    response = client.get(reverse("dashboard"))

    assert "Livrables en attente de votre validation" not in text_of(response)


def test_the_auditor_builds_the_pack_from_the_workspace_and_downloads_it(client, world, committed):
    ours = world["ours"]
    client.force_login(world["auditor"])
    build = reverse("livrables:audit_pack_build", args=[ours.pk])
    page = client.get(reverse("dashboard")).content.decode()
    assert f'action="{build}"' in page
    assert "Aucun dossier constitué pour l'instant." in text_of(client.get(reverse("dashboard")))
    # FEDER's formation has no button for an FSE auditor.
    theirs = reverse("livrables:audit_pack_build", args=[world["theirs"].pk])
    assert theirs not in page

    response = committed(client.post, build, {})

    assert response.status_code == 302
    pack = IssuedDocument.objects.get(kind=IssuedDocument.Kind.AUDIT_PACK, formation=ours)
    assert pack.issued_by == world["auditor"]
    page = client.get(reverse("dashboard"))
    assert "Télécharger le dossier (toute la formation, constitué le" in text_of(page)
    download = reverse("livrables:audit_pack_download", args=[ours.pk])
    assert download in page.content.decode()
    assert client.get(download).status_code == 200


def _pack(formation, number, issued_at, period=(None, None)):
    return IssuedDocument.objects.create(
        number=number,
        kind=IssuedDocument.Kind.AUDIT_PACK,
        title="Dossier de justificatifs",
        sha256="0" * 64,
        size=1,
        issued_at=issued_at,
        formation=formation,
        covers_from=period[0],
        covers_to=period[1],
        storage_name=f"dossiers/{number}.zip",
    )


def test_the_workspace_offers_the_whole_formation_pack_first(client, world):
    ours = world["ours"]
    _pack(ours, "DOS-1", dt.datetime(2021, 11, 1, tzinfo=dt.UTC))
    # A period pack built after the whole formation's: the newest, yet listed second.
    october = (dt.date(2021, 10, 1), dt.date(2021, 10, 31))
    _pack(ours, "DOS-2", dt.datetime(2021, 11, 2, tzinfo=dt.UTC), october)
    client.force_login(world["auditor"])

    text = text_of(client.get(reverse("dashboard")))

    whole = text.index("Télécharger le dossier (toute la formation, constitué le 01/11/2021)")
    period = text.index("Télécharger le dossier (du 01/10/2021 au 31/10/2021")
    assert whole < period
