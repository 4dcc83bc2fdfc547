"""Certificat de réalisation and attestation d'assiduité, per participant and formation:
hours from the émargement selectors, sealed sessions only, « état au » or « final »,
issued through the register (reissue supersedes), seen by whom they concern."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations.models import AuditEntry, User
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import document_state
from livrables.services import issue_certificate, revoke_document
from sessions.models import Seal
from sessions.selectors import realised_minutes
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ProviderIdentityFactory,
    SlotFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.livrables.conftest import pdf_pages, pdf_text

NOW = dt.datetime(2021, 10, 6, 16, 0, tzinfo=dt.UTC)
CERTIFICATE = IssuedDocument.Kind.COMPLETION_CERTIFICATE
ATTESTATION = IssuedDocument.Kind.ATTENDANCE_ATTESTATION


@pytest.fixture
def provider(db):
    return ProviderIdentityFactory()


def issue(world, key="dvorak", kind=CERTIFICATE, actor=None, now=NOW):
    enrolment = world.enrolments[key]
    return issue_certificate(
        kind=kind,
        participant=enrolment.participant,
        formation=world.session.formation,
        actor=actor or world.coordinator,
        now=now,
    )


def kept_text(record) -> str:
    from livrables.selectors import issued_file

    return pdf_text(issued_file(document=record).content)


def participant_url(participant):
    return reverse("formations:participant_detail", args=[participant.pk])


def issue_url(participant, formation, slug="certificat-de-realisation"):
    return reverse(
        "livrables:certificate_issue",
        kwargs={"pk": participant.pk, "formation_pk": formation.pk, "kind": slug},
    )


# ---------------------------------------------------------------------------- hours


def test_hours_printed_on_both_documents_are_the_realised_minutes(sheet_world, provider):
    enrolment = sheet_world.enrolments["dvorak"]  # late in the morning, absent after
    assert realised_minutes(enrolment=enrolment) == 180

    certificate = kept_text(issue(sheet_world))
    attestation = kept_text(issue(sheet_world, kind=ATTESTATION))

    assert "pour une durée de 3 heures (3 h) réalisées (durée prévue : 7 heures (7 h))" in (
        certificate
    )
    assert "Je soussigné(e) Marie Dupont, Gérante, représentant légal du dispensateur" in (
        certificate
    )
    assert "atteste que : DVOŘÁK Jiří salarié(e) de l'entreprise Centre social Wazemmes" in (
        certificate
    )
    assert "☒ Action de formation ☐ Bilan de compétences ☐ Action de VAE" in certificate
    assert "qui s'est déroulée du 04/10/2021 au 04/10/2021" in certificate
    assert "Fait à Lille, le 06/10/2021" in certificate
    assert "conformément aux obligations conventionnelles spécifiques" in certificate
    assert "Heures prévues : 7 h — heures réalisées : 3 h — taux d'assiduité : 42,9 %" in (
        attestation
    )
    assert "Retard : arrivée 09:30, 30 min manquées" in attestation
    assert "13:30–17:00 Absent" in attestation
    for text in (certificate, attestation):
        assert "Page 1 / 1" in text
        assert "Cofinancé par l'Union européenne" in text
        assert "Émis par Formations du Nord SCOP — SIRET 73282932000074" in text


def test_late_half_day_counts_its_minutes_on_the_register(sheet_world, provider):
    record = issue(sheet_world, kind=ATTESTATION)

    assert (record.realised_minutes, record.planned_minutes) == (180, 420)
    assert record.holder_initials == "J. D."
    assert record.participant == sheet_world.enrolments["dvorak"].participant
    assert record.formation == sheet_world.session.formation
    assert record.session is None


def test_action_nature_is_the_formation_s(sheet_world, provider):
    formation = sheet_world.session.formation
    formation.action_nature = formation.ActionNature.VAE
    formation.save()

    text = kept_text(issue(sheet_world))

    assert "☐ Action de formation ☐ Bilan de compétences ☒ Action de VAE" in text


# ---------------------------------------------------------------------------- sealed only


def test_refused_when_the_person_has_no_sealed_session(sheet_world, provider):
    other = TrainingSessionFactory(formation=sheet_world.session.formation)
    SlotFactory(session=other, day=dt.date(2021, 11, 8))
    enrolment = EnrolmentFactory(session=other)

    with pytest.raises(LivrablesError) as refused:
        issue_certificate(
            kind=CERTIFICATE,
            participant=enrolment.participant,
            formation=other.formation,
            actor=sheet_world.coordinator,
            now=NOW,
        )

    assert refused.value.code == "nothing_sealed"
    assert "aucune session entièrement scellée" in refused.value.message
    assert not IssuedDocument.objects.exists()


def test_refused_without_the_provider_identity(sheet_world):
    with pytest.raises(LivrablesError) as refused:
        issue(sheet_world)

    assert refused.value.code == "provider_missing"


def test_state_at_a_date_while_a_session_is_unsealed_then_final(sheet_world, provider):
    later = TrainingSessionFactory(formation=sheet_world.session.formation, code="LABO-2021-2")
    slot = SlotFactory(session=later, day=dt.date(2021, 11, 8))
    EnrolmentFactory(session=later, participant=sheet_world.enrolments["dvorak"].participant)

    first = issue(sheet_world)
    Seal.objects.create(
        slot=slot,
        session=later,
        sequence=1,
        previous_digest="",
        digest="a" * 64,
        record_digests={},
        sealed_at=slot.ends_at,
        sealed_by=sheet_world.trainer,
    )
    # A half-day of the person's sealed since: the « état au » statement is behind.
    assert document_state(document=first).needs_reissue
    second = issue(sheet_world, now=NOW + dt.timedelta(days=40))

    assert "état au 06/10/2021" in kept_text(first)
    assert first.final is False
    # The unsealed session's half-day is not counted: only sealed sessions are covered.
    assert (first.planned_minutes, first.realised_minutes) == (420, 180)
    assert "final" in kept_text(second)
    assert second.final is True
    # Now the sealed, unsigned morning of LABO-2021-2 is planned and not realised.
    assert (second.planned_minutes, second.realised_minutes) == (630, 180)
    assert "LABO-2021-1, LABO-2021-2" in kept_text(second)


# ---------------------------------------------------------------------------- register


def test_reissue_supersedes_and_the_public_page_shows_initials_only(client, sheet_world, provider):
    first = issue(sheet_world)
    second = issue(sheet_world, now=NOW + dt.timedelta(hours=1))

    assert document_state(document=first).superseded_by == second.number
    assert document_state(document=second).is_current
    page = client.get(reverse("livrables:verify_document", args=[first.number]))
    html = page.content.decode().replace("&#x27;", "'")
    assert page.status_code == 200
    assert f"Remplacé par n° {second.number}" in html
    assert "J. D." in html
    assert "3 h réalisées sur 7 h prévues" in html
    assert "Certificat de réalisation — FEDER-2018-AO.3" in html
    assert "Dvořák" not in html and "DVOŘÁK" not in html and "Jiří" not in html
    assert "Wazemmes" not in html
    entry = AuditEntry.objects.filter(action="livrables.certificate_issued").order_by("pk").last()
    assert entry.data["supersedes"] == [first.number]
    assert entry.object_id == str(sheet_world.enrolments["dvorak"].participant_id)


def test_download_serves_the_kept_bytes(client, sheet_world, provider):
    record = issue(sheet_world, kind=ATTESTATION)
    client.force_login(sheet_world.coordinator)

    response = client.get(reverse("livrables:document_download", args=[record.number]))

    assert response.status_code == 200
    assert response.content == issue_kept_bytes(record)
    assert pdf_pages(response.content) == 1


def issue_kept_bytes(record) -> bytes:
    from livrables.selectors import issued_file

    return issued_file(document=record).content


# ---------------------------------------------------------------------------- access


def test_referent_downloads_own_people_certificates_only(client, sheet_world, provider):
    record = issue(sheet_world)
    participant = sheet_world.enrolments["dvorak"].participant
    own = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=participant.structure)
    other = UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=StructureFactory())
    url = reverse("livrables:document_download", args=[record.number])

    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(participant_url(participant)).status_code == 404

    client.force_login(own)
    assert client.get(url).status_code == 200
    page = client.get(participant_url(participant)).content.decode()
    assert record.number in page
    assert "Émettre le certificat de réalisation" not in page
    response = client.post(issue_url(participant, sheet_world.session.formation))
    assert response.status_code == 403
    assert IssuedDocument.objects.count() == 1


def test_trainer_cannot_issue_nor_download(client, sheet_world, provider):
    record = issue(sheet_world)

    with pytest.raises(LivrablesError) as refused:
        issue(sheet_world, actor=sheet_world.trainer)

    assert refused.value.code == "not_allowed"
    client.force_login(sheet_world.trainer)
    assert (
        client.get(reverse("livrables:document_download", args=[record.number])).status_code == 404
    )


def test_auditor_sees_certificates_of_their_funders_programmes(client, sheet_world, provider):
    record = issue(sheet_world)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(FunderFactory(name="FEDER"))
    stranger = UserFactory(role=User.Role.FUNDER_AUDITOR)
    stranger.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    url = reverse("livrables:document_download", args=[record.number])

    client.force_login(auditor)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_coordinator_issues_from_the_participant_page(client, sheet_world, provider):
    participant = sheet_world.enrolments["dvorak"].participant
    client.force_login(sheet_world.coordinator)

    response = client.post(
        issue_url(participant, sheet_world.session.formation, "attestation-d-assiduite"),
        follow=True,
    )

    record = IssuedDocument.objects.get()
    html = response.content.decode().replace("&#x27;", "'")
    assert record.kind == ATTESTATION
    assert f"Document n° {record.number} émis (Attestation d'assiduité)." in html
    # One stands now: the button reissues it, and says which number it replaces.
    assert "Rééditer l'attestation d'assiduité" in html
    assert "Émettre l'attestation d'assiduité" not in html
    assert f"Le nouveau document remplace le n° {record.number}," in html
    assert "Émettre le certificat de réalisation" in html
    assert "3 h / 7 h" in html


def test_participant_panel_offers_no_revoked_document_as_valid(client, sheet_world, provider):
    participant = sheet_world.enrolments["dvorak"].participant
    revoked = issue(sheet_world)
    revoke_document(document=revoked, actor=sheet_world.coordinator, reason="Erreur")
    replaced = issue(sheet_world, kind=ATTESTATION)
    current = issue(sheet_world, kind=ATTESTATION, now=NOW + dt.timedelta(minutes=1))
    client.force_login(sheet_world.coordinator)

    html = client.get(participant_url(participant)).content.decode().replace("&#x27;", "'")

    def download(record):
        url = reverse("livrables:document_download", args=[record.number])
        start = html.index(f'href="{url}"')
        return html[html.rindex("<a ", 0, start) : html.index("</a>", start)]

    assert 'class="button small secondary"' in download(revoked)
    assert "Télécharger (révoqué)" in download(revoked)
    assert 'class="button small secondary"' in download(replaced)
    assert "Télécharger (remplacé)" in download(replaced)
    assert 'class="button small"' in download(current)
    assert "Télécharger<span" in download(current)
    # Nothing stands for the certificate: reissue it, and say why.
    assert "Rééditer le certificat de réalisation" in html
    assert f"Le n° {revoked.number} a été révoqué : aucun n'est en vigueur." in html
    assert f"Le nouveau document remplace le n° {current.number}," in html


def test_revoke_page_of_a_certificate_cancels_back_to_the_person(client, sheet_world, provider):
    record = issue(sheet_world)
    participant = sheet_world.enrolments["dvorak"].participant
    client.force_login(sheet_world.coordinator)

    html = client.get(reverse("livrables:document_revoke", args=[record.number])).content.decode()

    back = participant_url(participant) + "#participant-certificates"
    assert f'<a class="button secondary" href="{back}">Annuler</a>' in html
    assert f'<a href="{back}">{participant.full_name}</a>' in html


def test_issuing_page_refuses_an_unsealed_formation_with_a_message(client, provider, coordinator):
    session = TrainingSessionFactory()
    SlotFactory(session=session)
    enrolment = EnrolmentFactory(session=session)
    client.force_login(coordinator)

    response = client.post(issue_url(enrolment.participant, session.formation), follow=True)

    assert "aucune session entièrement scellée" in response.content.decode()
    assert not IssuedDocument.objects.exists()


def test_certificates_panel_query_count_is_constant(client, sheet_world, provider):
    participant = sheet_world.enrolments["dvorak"].participant
    client.force_login(sheet_world.coordinator)

    def add(count):
        for _ in range(count):
            issue(sheet_world, now=NOW + dt.timedelta(minutes=IssuedDocument.objects.count()))
            formation = FormationFactory(programme=sheet_world.session.formation.programme)
            session = TrainingSessionFactory(formation=formation)
            EnrolmentFactory(session=session, participant=participant)

    def measure():
        client.get(participant_url(participant))  # warm caches (translations, session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(participant_url(participant))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    add(1)
    few, _html = measure()
    add(4)
    many, html = measure()

    # Six formations: the first has its certificate standing (reissued four times).
    assert html.count("Émettre le certificat de réalisation") == 5
    assert html.count("Rééditer le certificat de réalisation") == 1
    assert html.count("remplacé par n°") == 4
    assert many == few


def test_a_rectification_after_issue_flags_the_documents_to_reissue(client, sheet_world, provider):
    from livrables.services import issue_sheet
    from sessions.models import Attendance
    from sessions.services.attendance import attendance_rectify

    dvorak = issue(sheet_world, "dvorak")
    martin = issue(sheet_world, "martin")
    sheet = issue_sheet(session=sheet_world.session, actor=sheet_world.coordinator, now=NOW)
    assert not document_state(document=dvorak).needs_reissue
    assert not document_state(document=sheet).needs_reissue

    afternoon = Attendance.objects.get(
        enrolment=sheet_world.enrolments["dvorak"], slot=sheet_world.afternoon
    )
    attendance_rectify(
        attendance=afternoon,
        status=Attendance.Status.ABSENT_EXCUSED,
        reason="Certificat médical reçu",
        author=sheet_world.coordinator,
        now=NOW + dt.timedelta(days=1),
    )

    assert document_state(document=dvorak).needs_reissue
    assert not document_state(document=martin).needs_reissue  # not their half-day
    assert document_state(document=sheet).needs_reissue
    client.force_login(sheet_world.coordinator)
    page = client.get(participant_url(sheet_world.enrolments["dvorak"].participant))
    assert "à rééditer" in page.content.decode()

    again = issue(sheet_world, "dvorak", now=NOW + dt.timedelta(days=2))
    assert document_state(document=dvorak).superseded_by == again.number
    assert not document_state(document=again).needs_reissue


@pytest.mark.parametrize(
    ("sessions", "sealed", "expected"),
    [
        (2, 0, "0 session entièrement scellée sur 2."),
        (2, 1, "1 session entièrement scellée sur 2."),
        (3, 2, "2 sessions entièrement scellées sur 3."),
    ],
)
def test_the_count_of_sealed_sessions_agrees_with_itself(sessions, sealed, expected):
    row = SimpleNamespace(
        formation=SimpleNamespace(pk=1, contract_reference="FEDER-1", title="Labo"),
        sessions=sessions,
        sealed_sessions=sealed,
        documents=[],
    )

    html = render_to_string(
        "livrables/panels/participant_certificates.html",
        {"certificate_rows": [row], "can_issue_certificates": False},
    )

    assert expected in html
