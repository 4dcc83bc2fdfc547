"""Every page of the application, tried by people who must not get it.

The table below names each URL; a URL added without an entry here fails
`test_every_url_is_listed`, so no page escapes these checks."""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluations.models import Question
from formations.models import BackgroundJob, OutboxMessage, User
from livrables.models import (
    DeliverableDue,
    DeliverableVersion,
    ExpectedDeliverable,
    Expense,
    IssuedDocument,
    Mission,
    Payment,
    ServiceFaitClaim,
)
from projects.models import (
    FollowUpEntry,
    JournalEntry,
    ProjectFiche,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
    Theme,
)
from projects.services_fiches import fiche_lessons_save
from sessions.models import PaperSheetScan
from tests.factories import (
    AttendanceFactory,
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    UserFactory,
)
from tests.factories.evaluations import make_campaign, make_version
from tests.factories.members import AdministrativeStepFactory, MembershipFactory

PUBLIC = {
    "login",
    "logout",
    "sessions:sign_qr",
    "sessions:sign_remote",
    "sessions:calendar_feed_trainer",
    "sessions:calendar_feed_participant",
    "livrables:verify_lookup",
    "livrables:verify_document",
    "formations:password_set",
    "formations:password_forgotten",
    "formations:password_forgotten_done",
    # Funders' logos only (printed on every document); other media files have no URL.
    "formations:funder_emblem",
    # The SMS provider's receipts and replies: authenticated by a shared secret, not a login
    # (tests/formations/sms/test_webhook.py).
    "formations:sms_webhook",
    # The participant's space: asking for a one-time link and opening it.
    "space:sign_in",
    "space:sign_in_sent",
    "space:link",
    # Answering an evaluation with one's personal link (tests/evaluations/test_answering_pages.py).
    "evaluations:answer",
    "evaluations:answer_step",
    "evaluations:answer_review",
    "evaluations:answer_done",
    "evaluations:answer_later",
    # A campaign e-mail's unsubscribe link: a signed token (tests/alertes).
    "alertes:unsubscribe",
}
# The participant's own space: for a participant signed in by link (formations.space),
# never for staff; everyone else is sent to the space's sign-in page.
PARTICIPANT_PAGES = {
    "space:home",
    "space:sign_out",
    "space:contact",
    "space:consents",
    "sessions:space_session_ics",
    "livrables:space_document",
    # The journal de bord (tests/projects/test_journal.py): the author's own entries.
    "projects:journal",
    "projects:journal_edit",
    "projects:journal_delete",
    "projects:journal_share",
}
# Pages any signed-in person may open: their content is scoped by the selectors.
ANY_SIGNED_IN = {
    "dashboard",
    "formations:programme_list",
    "formations:formation_list",
    "formations:structure_list",
    "formations:participant_list",
    "sessions:session_list",
}

# Who opens the expected deliverables' pages (tests/livrables/test_deliverables_views.py
# checks each): « all » = coordinators and the auditors of the formation's funders;
# « coordinators »: coordinators only (an auditor gets 404); « decision »: coordinators and
# the auditors of the formation's funders (their one write). Trainers, referents and
# auditors of other funders: 404 everywhere.
DELIVERABLE_PAGES = {
    "livrables:deliverable_list": "all",
    "livrables:deliverable_add": "coordinators",
    "livrables:deliverable_edit": "coordinators",
    "livrables:deliverable_regenerate": "coordinators",
    "livrables:deliverable_remove": "coordinators",
    "livrables:deliverable_version_add": "coordinators",
    "livrables:deliverable_version_file": "all",
    "livrables:deliverable_version_decide": "decision",
    "livrables:deliverable_version_message": "all",
    "livrables:deliverable_version_diffuse": "coordinators",
}


# The body of a message the world's structure sent its members (Alertes).
STRUCTURE_MESSAGE = "Bonjour, la sortie au parc a lieu samedi."


def url_names():
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns))


@pytest.fixture
def world(db, trainer):
    """One session run by `trainer`, with a signed half-day, a scan, a message of the
    outbox and a background job started by nobody in particular."""
    attendance = AttendanceFactory(enrolment__participant__structure=StructureFactory())
    session = attendance.enrolment.session
    session.trainers.add(trainer)
    slot = attendance.slot
    scan = PaperSheetScan.objects.create(
        slot=slot,
        file=ContentFile(b"%PDF-1.4 scan", name="scan.pdf"),
        original_name="scan.pdf",
        sha256="0" * 64,
        size=13,
        uploaded_by=trainer,
    )
    email = OutboxMessage.objects.create(
        purpose="convocation",
        recipient="b@example.org",
        subject="Convocation",
        body="Bonjour",
        attachments=[{"filename": "c.ics", "mimetype": "text/calendar", "content": ""}],
    )
    job = BackgroundJob.objects.create(kind="test", label="Envoi", total=1)
    expense = Expense.objects.create(
        formation=session.formation,
        number=1,
        date=slot.ends_at.date(),
        category=Expense.Category.TRAVEL,
        description="Train",
        session=session,
        amount_ht=10,
        vat=2,
        amount_ttc=12,
        paid_by="Organisme",
        receipt=ContentFile(b"%PDF-1.4 ticket", name="ticket.pdf"),
        receipt_sha256="0" * 64,
        receipt_original_name="ticket.pdf",
        receipt_content_type="application/pdf",
    )
    mission = Mission.objects.create(
        formation=session.formation,
        name="Comité",
        start_date=slot.ends_at.date(),
        end_date=slot.ends_at.date(),
    )
    claim = ServiceFaitClaim.objects.create(
        formation=session.formation,
        period_start=slot.ends_at.date(),
        period_end=slot.ends_at.date(),
        amount_ht=10,
        amount_ttc=12,
        sent_on=slot.ends_at.date(),
    )
    funder = FunderFactory(name="FEDER", kind="feder")
    payment = Payment.objects.create(
        formation=session.formation, received_on=slot.ends_at.date(), amount=12, funder=funder
    )
    deliverable = ExpectedDeliverable.objects.create(
        formation=session.formation,
        title="Récit collectif",
        rhythm=ExpectedDeliverable.Rhythm.GIVEN_DATES,
        given_dates=["2021-10-31"],
    )
    due = DeliverableDue.objects.create(
        deliverable=deliverable, due_date=slot.ends_at.date(), status="submitted"
    )
    version = DeliverableVersion.objects.create(
        due=due,
        number=1,
        file=ContentFile(b"%PDF-1.4 recit", name="recit.pdf"),
        sha256="0" * 64,
        size=14,
        original_name="recit.pdf",
        content_type="application/pdf",
        uploaded_at=slot.ends_at,
    )
    participant = attendance.enrolment.participant
    # Fiches projet (tests/projects/test_fiches_*.py): the programme's partner structures,
    # read by coordinators, the programme's trainers, the structure's referent and the
    # programme's funders' auditors; edited by the first three; themes: coordinators only.
    programme_pk, structure_pk = session.formation.programme_id, participant.structure_id
    session.formation.programme.structures.add(participant.structure)
    theme = Theme.objects.create(programme_id=programme_pk, label="Accès aux droits", position=1)
    fiche_lessons_save(
        actor=None,
        programme=session.formation.programme,
        structure=participant.structure,
        expected_revision=None,
        lessons_learned="Enseignements",
    )
    fiche = {"programme": programme_pk, "structure": structure_pk}
    # A shipped questionnaire (evaluations.defaults), its first section and question.
    question = Question.objects.filter(section__version__questionnaire__code="a-chaud").first()
    questionnaire_pk, section_pk = question.section.version.questionnaire_id, question.section_id
    comment = _evaluation_comment(session)
    document = IssuedDocument.objects.create(
        number="EMG-ACCESS-20211006160000-0000",
        kind=IssuedDocument.Kind.ATTENDANCE_SHEET,
        title="Feuille d'émargement",
        sha256="0" * 64,
        size=1,
        issued_at=slot.ends_at,
        session=session,
    )
    # A questionnaire with a campaign on the session: its results pages, its tablet.
    campaign = make_campaign(session, make_version({"kind": "scale", "text": "Contenus"}))
    evaluation = campaign.version.questionnaire
    journal_entry = JournalEntry.objects.create(
        participant=participant,
        programme=session.formation.programme,
        written_on=slot.ends_at.date(),
        title="Premier labo",
        body="Notes",
        shared_at=slot.ends_at,
    )
    answer = {"key": "6f1c8e0a-1b2c-4d5e-8f90-123456789abc", "token": "forged"}
    # A fiche projet of the session's structure (part A2: team and road map): coordinators,
    # the programme's trainers and the structure's referent (tests/projects/test_team.py,
    # test_roadmap.py); others who may read the fiche read only; anyone else 404.
    fiche_row = ProjectFiche.objects.get(programme_id=programme_pk, structure_id=structure_pk)
    member = TeamMember.objects.create(
        fiche=fiche_row, kind="agent", full_name="MADI Awa", position=1
    )
    axis = RoadmapAxis.objects.create(fiche=fiche_row, position=1, title="Accueil")
    action = RoadmapAction.objects.create(axis=axis, position=1, title="Affiche")
    fiche_kwargs = fiche
    task = _intersession_task(session, participant.structure)
    # The follow-up log of the participant's structure, partner of the session's programme.
    programme, structure = session.formation.programme, participant.structure
    membership = MembershipFactory(structure=structure)
    programme.structures.add(structure)
    entry = FollowUpEntry.objects.create(
        programme=programme,
        structure=structure,
        occurred_on=slot.ends_at.date(),
        kind=FollowUpEntry.Kind.QUESTION,
        channel=FollowUpEntry.Channel.PHONE,
        summary="Question",
    )
    follow_up_entry = {"programme": programme.pk, "structure": structure.pk, "entry": entry.pk}
    step = AdministrativeStepFactory(membership__structure=structure)
    alertes_group, alertes_campaign, unsubscribe_token = _alertes_objects(structure, participant)
    # Alertes: a staff account of the structure, and a message sent for it.
    structure_staff = UserFactory(role=User.Role.STRUCTURE_STAFF, structure=structure)
    OutboxMessage.objects.create(
        purpose="alertes_campaign",
        recipient="+33612345678",
        channel="sms",
        subject="",
        body=STRUCTURE_MESSAGE,
        structure=structure,
    )
    return {
        "projects:theme_list": {"programme": programme_pk},
        "projects:theme_edit": {"programme": programme_pk, "theme": theme.pk},
        "projects:theme_move": {"programme": programme_pk, "theme": theme.pk},
        "projects:theme_delete": {"programme": programme_pk, "theme": theme.pk},
        "projects:fiche_list": {"programme": programme_pk},
        "projects:fiche_detail": fiche,
        "projects:fiche_edit_data": fiche,
        "projects:fiche_edit_themes": fiche,
        "projects:fiche_edit_project": {**fiche, "kind": "experimente"},
        "projects:fiche_edit_lessons": fiche,
        "projects:fiche_history": fiche,
        "projects:fiche_revision": {**fiche, "number": 1},
        "projects:fiche_team": fiche_kwargs,
        "projects:fiche_team_add": fiche_kwargs,
        "projects:fiche_team_edit": {**fiche_kwargs, "member": member.pk},
        "projects:fiche_team_remove": {**fiche_kwargs, "member": member.pk},
        "projects:fiche_team_move": {**fiche_kwargs, "member": member.pk},
        "projects:fiche_team_referent": {**fiche_kwargs, "member": member.pk},
        "projects:fiche_roadmap": fiche_kwargs,
        "projects:roadmap_axis_add": fiche_kwargs,
        "projects:roadmap_axis_edit": {**fiche_kwargs, "axis": axis.pk},
        "projects:roadmap_axis_delete": {**fiche_kwargs, "axis": axis.pk},
        "projects:roadmap_axis_move": {**fiche_kwargs, "axis": axis.pk},
        "projects:roadmap_action_add": {**fiche_kwargs, "axis": axis.pk},
        "projects:roadmap_action_edit": {**fiche_kwargs, "action": action.pk},
        "projects:roadmap_action_delete": {**fiche_kwargs, "action": action.pk},
        "projects:roadmap_action_move": {**fiche_kwargs, "action": action.pk},
        "projects:roadmap_action_status": {**fiche_kwargs, "action": action.pk},
        "evaluations:answer": answer,
        "evaluations:answer_step": {**answer, "step": 1},
        "evaluations:answer_review": answer,
        "evaluations:answer_done": answer,
        "evaluations:answer_later": answer,
        # À chaud on the tablet: the session's trainers and coordinators.
        "evaluations:tablet": {"pk": campaign.pk},
        "evaluations:tablet_answer": {"pk": campaign.pk, "participant_pk": participant.pk},
        "evaluations:tablet_answer_step": {
            "pk": campaign.pk,
            "participant_pk": participant.pk,
            "step": 1,
        },
        "evaluations:tablet_answer_review": {"pk": campaign.pk, "participant_pk": participant.pk},
        "dashboard": {},
        "login": {},
        "logout": {},
        "formations:participant_import": {},
        "formations:participant_import_template": {},
        "formations:participant_import_preview": {"token": "abcdefabcdef"},
        "formations:participant_import_confirm": {"token": "abcdefabcdef"},
        "formations:programme_list": {},
        "formations:programme_create": {},
        "formations:programme_detail": {"pk": session.formation.programme_id},
        "formations:programme_edit": {"pk": session.formation.programme_id},
        "formations:formation_list": {},
        "formations:formation_create": {},
        "formations:formation_detail": {"pk": session.formation_id},
        "formations:formation_edit": {"pk": session.formation_id},
        "formations:formation_history": {"pk": session.formation_id},
        "formations:structure_list": {},
        "formations:structure_create": {},
        "formations:structure_detail": {"pk": participant.structure_id},
        "formations:structure_edit": {"pk": participant.structure_id},
        "formations:participant_list": {},
        "formations:participant_create": {},
        "formations:participant_detail": {"pk": participant.pk},
        "formations:participant_edit": {"pk": participant.pk},
        "formations:participant_consents": {"pk": participant.pk},
        "formations:participant_history": {"pk": participant.pk},
        "formations:provider_identity": {},
        "formations:funder_list": {},
        "formations:funder_create": {},
        "formations:funder_detail": {"pk": FunderFactory().pk},
        "formations:funder_edit": {"pk": FunderFactory().pk},
        "formations:account_list": {},
        "formations:account_create": {},
        "formations:account_detail": {"pk": trainer.pk},
        "formations:account_edit": {"pk": trainer.pk},
        "formations:account_deactivate": {"pk": trainer.pk},
        "formations:account_reactivate": {"pk": trainer.pk},
        "formations:account_send_link": {"pk": trainer.pk},
        "formations:password_set": {"uidb64": "MQ", "token": "forged"},
        "formations:password_forgotten": {},
        "formations:password_forgotten_done": {},
        "formations:funder_emblem": {"name": "logo.png"},
        "formations:outbox": {},
        "formations:outbox_message": {"pk": email.pk},
        "formations:outbox_retry": {"pk": email.pk},
        "formations:outbox_attachment": {"pk": email.pk, "index": 0},
        "formations:job_progress": {"pk": job.pk},
        "formations:sms_webhook": {"provider": "brevo"},
        "sessions:session_list": {},
        "sessions:session_create": {},
        "sessions:session_detail": {"pk": session.pk},
        "sessions:session_edit": {"pk": session.pk},
        "sessions:session_history": {"pk": session.pk},
        "sessions:slot_detail": {"pk": slot.pk},
        "sessions:slot_tablet": {"pk": slot.pk},
        "sessions:slot_tablet_sign": {"pk": slot.pk, "enrolment_pk": attendance.enrolment_id},
        "sessions:slot_qr": {"pk": slot.pk},
        "sessions:slot_qr_image": {"pk": slot.pk},
        "sessions:slot_remote_links": {"pk": slot.pk},
        "sessions:tablet_unlock": {},
        "sessions:sign_qr": {"slot_pk": slot.pk, "token": "forged"},
        "sessions:sign_remote": {"token": "forged"},
        "sessions:session_enrolments": {"pk": session.pk},
        "sessions:session_enrol_participants": {"pk": session.pk},
        "sessions:session_enrol_structure": {"pk": session.pk},
        "sessions:session_enrol_import": {"pk": session.pk},
        "sessions:session_unenrol": {"pk": session.pk, "enrolment_pk": attendance.enrolment_id},
        "sessions:session_convocations": {"pk": session.pk},
        "sessions:session_ics": {"pk": session.pk},
        "sessions:calendar_feed_trainer": {"token": "x" * 32},
        "sessions:calendar_feed_participant": {"token": "x" * 32},
        "sessions:my_calendar": {},
        "sessions:my_calendar_regenerate": {},
        "sessions:slot_paper": {"pk": slot.pk},
        "sessions:slot_paper_scan": {"pk": slot.pk, "scan_pk": scan.pk},
        "sessions:slot_audit": {"pk": slot.pk},
        "sessions:audit_risk_acknowledge": {"pk": session.formation_id},
        "livrables:session_sheet": {"pk": session.pk},
        "livrables:session_sheet_issue": {"pk": session.pk},
        "livrables:session_blank_sheet": {"pk": session.pk},
        "livrables:session_sheet_extract": {"pk": session.pk},
        "livrables:session_sheet_extract_issue": {"pk": session.pk},
        "livrables:certificate_issue": {
            "pk": participant.pk,
            "formation_pk": session.formation_id,
            "kind": "certificat-de-realisation",
        },
        "livrables:structure_certificate_issue": {
            "pk": participant.structure_id,
            "formation_pk": session.formation_id,
        },
        "livrables:formation_certificates_bulk": {"pk": session.formation_id},
        "livrables:formation_certificates_zip": {"pk": session.formation_id},
        "livrables:service_fait_xlsx": {"pk": session.formation_id},
        "livrables:service_fait_issue": {"pk": session.formation_id},
        "livrables:service_fait_claim": {"pk": session.formation_id},
        "livrables:service_fait_payment": {"pk": session.formation_id},
        "livrables:session_certificates_bulk": {"pk": session.pk},
        "livrables:session_certificates_zip": {"pk": session.pk},
        "livrables:expense_list": {"pk": session.formation_id},
        "livrables:expense_add": {"pk": session.formation_id},
        "livrables:expense_edit": {"pk": session.formation_id, "number": expense.number},
        "livrables:expense_remove": {"pk": session.formation_id, "number": expense.number},
        "livrables:expense_receipt": {"pk": session.formation_id, "number": expense.number},
        "livrables:expense_export": {"pk": session.formation_id},
        "livrables:mission_add": {"pk": session.formation_id},
        "livrables:mission_edit": {"pk": session.formation_id, "mission_pk": mission.pk},
        "livrables:mission_remove": {"pk": session.formation_id, "mission_pk": mission.pk},
        "livrables:service_fait_claim_edit": {"pk": session.formation_id, "claim_pk": claim.pk},
        "livrables:service_fait_claim_cancel": {
            "pk": session.formation_id,
            "claim_pk": claim.pk,
        },
        "livrables:service_fait_payment_edit": {
            "pk": session.formation_id,
            "payment_pk": payment.pk,
        },
        "livrables:service_fait_payment_cancel": {
            "pk": session.formation_id,
            "payment_pk": payment.pk,
        },
        # Expected deliverables (DELIVERABLE_PAGES says who opens each).
        "livrables:deliverable_list": {"pk": session.formation_id},
        "livrables:deliverable_add": {"pk": session.formation_id},
        "livrables:deliverable_edit": {
            "pk": session.formation_id,
            "deliverable_pk": deliverable.pk,
        },
        "livrables:deliverable_regenerate": {
            "pk": session.formation_id,
            "deliverable_pk": deliverable.pk,
        },
        "livrables:deliverable_remove": {
            "pk": session.formation_id,
            "deliverable_pk": deliverable.pk,
        },
        "livrables:deliverable_version_add": {"pk": session.formation_id, "due_pk": due.pk},
        "livrables:deliverable_version_file": {
            "pk": session.formation_id,
            "version_pk": version.pk,
        },
        "livrables:deliverable_version_decide": {
            "pk": session.formation_id,
            "version_pk": version.pk,
        },
        "livrables:deliverable_version_message": {
            "pk": session.formation_id,
            "version_pk": version.pk,
        },
        "livrables:deliverable_version_diffuse": {
            "pk": session.formation_id,
            "version_pk": version.pk,
        },
        # The audit pack: coordinators and the formation's funders' auditors only.
        "livrables:audit_pack_build": {"pk": session.formation_id},
        "livrables:audit_pack_download": {"pk": session.formation_id},
        "livrables:document_download": {"number": document.number},
        "livrables:document_revoke": {"number": document.number},
        "livrables:verify_lookup": {},
        "livrables:verify_document": {"number": "EMG-INCONNU"},
        # Evaluation campaigns: coordinators only (the session's trainer gets 403).
        "evaluations:campaign_create_session": {"pk": session.pk},
        "evaluations:session_schedule_defaults": {"pk": session.pk},
        "evaluations:campaign_create_formation": {"pk": session.formation_id},
        "evaluations:campaign_detail": {"pk": campaign.pk},
        "evaluations:campaign_edit": {"pk": campaign.pk},
        "evaluations:campaign_cancel": {"pk": campaign.pk},
        # Questionnaires: coordinators only (tests/evaluations/test_questionnaires_views.py).
        "evaluations:questionnaire_list": {},
        "evaluations:questionnaire_create": {},
        "evaluations:questionnaire_detail": {"pk": questionnaire_pk},
        "evaluations:questionnaire_edit": {"pk": questionnaire_pk},
        "evaluations:questionnaire_archive": {"pk": questionnaire_pk},
        "evaluations:questionnaire_delete": {"pk": questionnaire_pk},
        "evaluations:questionnaire_versions": {"pk": questionnaire_pk},
        "evaluations:questionnaire_version": {"pk": questionnaire_pk, "number": 1},
        "evaluations:questionnaire_section_add": {"pk": questionnaire_pk},
        "evaluations:questionnaire_section_edit": {
            "pk": questionnaire_pk,
            "section_pk": section_pk,
        },
        "evaluations:questionnaire_section_delete": {
            "pk": questionnaire_pk,
            "section_pk": section_pk,
        },
        "evaluations:questionnaire_section_move": {
            "pk": questionnaire_pk,
            "section_pk": section_pk,
        },
        "evaluations:questionnaire_question_add": {
            "pk": questionnaire_pk,
            "section_pk": section_pk,
        },
        "evaluations:questionnaire_question_edit": {
            "pk": questionnaire_pk,
            "question_pk": question.pk,
        },
        "evaluations:questionnaire_question_delete": {
            "pk": questionnaire_pk,
            "question_pk": question.pk,
        },
        "evaluations:questionnaire_question_move": {
            "pk": questionnaire_pk,
            "question_pk": question.pk,
        },
        "space:home": {},
        "space:sign_in": {},
        "space:sign_in_sent": {},
        "space:link": {"token": "forged"},
        "space:sign_out": {},
        "space:contact": {},
        "space:consents": {},
        "sessions:space_session_ics": {"pk": session.pk},
        "livrables:space_document": {"number": document.number},
        # The journal de bord: the author in their space; the entries shared with the
        # programme's trainers for those trainers only (coordinators get 404).
        "projects:journal": {},
        "projects:journal_edit": {"entry": journal_entry.pk},
        "projects:journal_delete": {"entry": journal_entry.pk},
        "projects:journal_share": {"entry": journal_entry.pk},
        "projects:shared_journal": {"programme": session.formation.programme_id},
        # Evaluations: syntheses (coordinators hide a comment; in reach 403, else 404).
        "evaluations:comment_hide": {"pk": comment.pk},
        # Raw answers: coordinators and the formation's funders' auditors only.
        "evaluations:answers_export": {"pk": session.formation_id, "export_format": "csv"},
        "livrables:synthesis": {"pk": session.formation_id},
        "livrables:synthesis_send": {"number": document.number},
        # Fiches of a programme's structures and its livret (tests/livrables/test_fiches*.py):
        # coordinators and the programme's trainers issue; referents their own structure's
        # downloads only; anyone out of the programme: 404.
        "livrables:fiche_issue": {
            "programme": session.formation.programme_id,
            "structure": participant.structure_id,
            "kind": "fiche-projet",
        },
        "livrables:booklet_issue": {"programme": session.formation.programme_id},
        "livrables:fiches_zip": {"programme": session.formation.programme_id},
        "livrables:fiches_bulk": {"programme": session.formation.programme_id},
        # Results of evaluations: coordinators, the session's trainers, the funders'
        # auditors (tests/evaluations/test_results_views.py); referents never.
        "evaluations:session_results": {"pk": session.pk, "questionnaire_pk": evaluation.pk},
        "evaluations:formation_results": {
            "pk": session.formation_id,
            "questionnaire_pk": evaluation.pk,
        },
        # Intersession tasks (tests/projects/test_tasks_views.py): setting them, coordinators
        # and the programme's trainers; a structure's side, also its own referent. Anyone
        # else: 404.
        "projects:task_list": {"programme": programme_pk},
        "projects:task_add": {"programme": programme_pk},
        "projects:task_batch_edit": {"programme": programme_pk, "batch": task.batch},
        "projects:task_batch_remove": {"programme": programme_pk, "batch": task.batch},
        "projects:task_remove": {"programme": programme_pk, "task": task.pk},
        "projects:structure_tasks": {"programme": programme_pk, "structure": task.structure_id},
        "projects:task_done": {
            "programme": programme_pk,
            "structure": task.structure_id,
            "task": task.pk,
        },
        "projects:task_undo": {
            "programme": programme_pk,
            "structure": task.structure_id,
            "task": task.pk,
        },
        "projects:task_document": {
            "programme": programme_pk,
            "structure": task.structure_id,
            "task": task.pk,
        },
        # Follow-up of structures: coordinators and the programme's trainers write, its
        # funders' auditors read (403 on writes), referents and everyone else 404
        # (tests/projects/test_followup.py).
        "projects:follow_up": {"programme": programme.pk},
        "projects:follow_up_remind": {"programme": programme.pk},
        "projects:follow_up_log": {"programme": programme.pk, "structure": structure.pk},
        "projects:follow_up_entry_edit": follow_up_entry,
        "projects:follow_up_entry_delete": follow_up_entry,
        "projects:follow_up_entry_answer": follow_up_entry,
        # Alertes (seed 002): coordinators and the structure's own administrator and staff;
        # anyone else 403 on the home, 404 on a structure's pages (tests/alertes).
        "alertes:home": {},
        "alertes:structure_home": {"structure": structure.pk},
        # Administrative dates (tests/alertes/test_steps_pages.py): the same people.
        "alertes:step_add": {"structure": structure.pk, "membership": step.membership_id},
        "alertes:step_edit": {"structure": structure.pk, "step": step.pk},
        "alertes:step_end": {"structure": structure.pk, "step": step.pk},
        "alertes:week": {"structure": structure.pk},
        "alertes:group_list": {"structure": structure.pk},
        "alertes:group_create": {"structure": structure.pk},
        "alertes:group_edit": {"structure": structure.pk, "group": alertes_group.pk},
        "alertes:group_delete": {"structure": structure.pk, "group": alertes_group.pk},
        "alertes:campaign_list": {"structure": structure.pk},
        "alertes:campaign_create": {"structure": structure.pk},
        "alertes:campaign_detail": {"structure": structure.pk, "campaign": alertes_campaign.pk},
        "alertes:campaign_edit": {"structure": structure.pk, "campaign": alertes_campaign.pk},
        "alertes:campaign_cancel": {"structure": structure.pk, "campaign": alertes_campaign.pk},
        "alertes:campaign_reuse": {"structure": structure.pk, "campaign": alertes_campaign.pk},
        # The unsubscribe link of a campaign e-mail: a signed token (tests/alertes).
        "alertes:unsubscribe": {"token": unsubscribe_token},
        # Members' mass import: the structure's administrator and staff, and coordinators;
        # anyone else 404 (tests/alertes/test_import_members.py).
        "alertes:member_import": {"structure": structure.pk},
        "alertes:member_import_template": {"structure": structure.pk},
        "alertes:member_import_preview": {"structure": structure.pk, "token": "x" * 24},
        "alertes:member_import_confirm": {"structure": structure.pk, "token": "x" * 24},
        # Duplicates and merge: coordinators only, 403 for anyone else
        # (tests/alertes/test_merge_members.py).
        "alertes:duplicates": {},
        "alertes:merge": {"keep": participant.pk, "other": participant.pk},
        # A structure's members (tests/alertes/test_members_pages.py): the same people; a
        # membership of another structure is a 404 too.
        "alertes:member_list": {"structure": structure.pk},
        "alertes:member_register": {"structure": structure.pk},
        "alertes:member_detail": {"structure": structure.pk, "membership": membership.pk},
        "alertes:member_edit": {"structure": structure.pk, "membership": membership.pk},
        "alertes:member_consents": {"structure": structure.pk, "membership": membership.pk},
        "alertes:member_end": {"structure": structure.pk, "membership": membership.pk},
        "alertes:member_resume": {"structure": structure.pk, "membership": membership.pk},
        "alertes:stats": {"structure": structure.pk},
        "alertes:notice": {"structure": structure.pk},
        "alertes:notice_pdf": {"structure": structure.pk},
        # The structure's team accounts: coordinators and the structure's administrator;
        # its staff 403, other structures 404 (tests/alertes/test_staff_pages.py).
        "alertes:staff_list": {"structure": structure.pk},
        "alertes:staff_create": {"structure": structure.pk},
        "alertes:staff_deactivate": {"structure": structure.pk, "account": structure_staff.pk},
        "alertes:staff_reactivate": {"structure": structure.pk, "account": structure_staff.pk},
    }


def _alertes_objects(structure, participant):
    """A group and a scheduled campaign of `structure`, and an unsubscribe token."""
    from alertes.unsubscribe import unsubscribe_token
    from tests.factories.members import AlertCampaignFactory, MemberGroupFactory

    group = MemberGroupFactory(structure=structure, name="Petite enfance")
    campaign = AlertCampaignFactory(structure=structure, groups=[group])
    token = unsubscribe_token(participant_id=participant.pk, structure_id=structure.pk)
    return group, campaign, token


def _intersession_task(session, structure):
    """A task of the session's programme for `structure` (made a partner), done with a
    document."""
    import datetime as dt

    from projects.models import IntersessionTask

    programme = session.formation.programme
    programme.structures.add(structure)
    return IntersessionTask.objects.create(
        programme=programme,
        structure=structure,
        kind=IntersessionTask.Kind.DOCUMENT,
        title="Diagnostic",
        due_on=dt.date(2030, 1, 31),
        done_at=session.slots.first().ends_at if session.slots.exists() else None,
        document=ContentFile(b"%PDF-1.4 diagnostic", name="diagnostic.pdf"),
        document_name="diagnostic.pdf",
        document_content_type="application/pdf",
    )


def _evaluation_comment(session):
    """A free-text answer of an evaluation of `session`."""
    from evaluations.models import Question
    from tests.factories.evaluations import add_response, make_campaign, make_version

    version = make_version({"kind": Question.Kind.TEXT, "text": "Commentaires"})
    campaign = make_campaign(session, version)
    response = add_response(campaign, {version.sections.get().questions.get(): "Bien"})
    return response.answers.get()


def test_every_url_is_listed(world):
    assert url_names() == set(world), "add the new URL to the world fixture"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login_everywhere_but_public_pages(client, world):
    login = reverse("login")
    for name, kwargs in world.items():
        if name in PUBLIC:
            continue
        url = reverse(name, kwargs=kwargs)
        expected = reverse("space:sign_in") if name in PARTICIPANT_PAGES else login
        for method in (client.get, client.post):
            response = method(url)
            if response.status_code == 405:  # sign-out and the .ics take one method only
                assert name in PARTICIPANT_PAGES, name
                continue
            assert response.status_code == 302, (name, method.__name__, response.status_code)
            assert response.url.startswith(expected), (name, response.url)


@pytest.mark.django_db
def test_a_participant_signed_in_to_their_space_opens_no_staff_page(client, world):
    """A participant has no staff login: every staff page sends them to the staff login
    page, as an anonymous visitor (README, « Espace participant·e »)."""
    from formations import space

    session = client.session
    session[space.SESSION_KEY] = ParticipantFactory().pk
    session.save()
    login = reverse("login")
    for name, kwargs in world.items():
        if name in PUBLIC | PARTICIPANT_PAGES:
            continue
        url = reverse(name, kwargs=kwargs)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, method.__name__, response.status_code)
            assert response.url.startswith(login), (name, response.url)


@pytest.mark.django_db
def test_staff_are_sent_to_the_space_sign_in_page(client, world, coordinator):
    client.force_login(coordinator)
    for name in PARTICIPANT_PAGES:
        response = client.post(reverse(name, kwargs=world[name]))
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response.url == reverse("space:sign_in"), name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    ["other_trainer", "other_referent", "other_auditor", "other_admin", "other_staff", "staff"],
)
def test_people_outside_the_session_get_nothing_of_it(client, world, role):
    """`staff`: the team of the session's participant's own structure, which sees nothing
    of the training side (only its Alertes pages)."""
    if role == "staff":
        structure = world["alertes:structure_home"]["structure"]
        user = UserFactory(role=User.Role.STRUCTURE_STAFF, structure_id=structure)
    elif role == "other_trainer":
        user = UserFactory(role=User.Role.TRAINER)
    elif role in ("other_referent", "other_admin", "other_staff"):
        roles = {
            "other_referent": User.Role.STRUCTURE_REFERENT,
            "other_admin": User.Role.STRUCTURE_ADMIN,
            "other_staff": User.Role.STRUCTURE_STAFF,
        }
        user = UserFactory(role=roles[role], structure=StructureFactory())
        ParticipantFactory(structure=user.structure)
        EnrolmentFactory(participant__structure=user.structure)
    else:
        user = UserFactory(role=User.Role.FUNDER_AUDITOR)
        user.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(user)
    skipped = (
        PUBLIC
        | ANY_SIGNED_IN
        | PARTICIPANT_PAGES
        | {
            "sessions:my_calendar",
            "sessions:my_calendar_regenerate",
            # Without a tablet lock of one's own it only sends one on (to the dashboard).
            "sessions:tablet_unlock",
        }
    )
    if role == "staff":
        # Their own structure's Alertes pages are theirs; the coordinators' duplicates and
        # merge, and the team accounts (the administrator's), stay closed to them.
        closed = {
            "alertes:duplicates",
            "alertes:merge",
            "alertes:staff_list",
            "alertes:staff_create",
            "alertes:staff_deactivate",
            "alertes:staff_reactivate",
        }
        skipped |= {"formations:outbox"} | {
            name for name in world if name.startswith("alertes:") and name not in closed
        }
    elif role in ("other_admin", "other_staff"):
        # Their Alertes home sends them on to their own structure; the outbox lists their
        # own structure's messages: none of the world's.
        skipped |= {"alertes:home", "formations:outbox"}
        assert client.get(reverse("alertes:home")).url == reverse(
            "alertes:structure_home", args=[user.structure_id]
        )
        outbox = client.get(reverse("formations:outbox"))
        assert outbox.status_code == 200
        assert STRUCTURE_MESSAGE.encode() not in outbox.content
        assert b"b@example.org" not in outbox.content
    for name, kwargs in world.items():
        if name in skipped:
            continue
        url = reverse(name, kwargs=kwargs)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (403, 404, 405), (
                role,
                name,
                method.__name__,
                response.status_code,
            )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [User.Role.TRAINER, "other_admin", "staff"])
def test_lists_show_nothing_of_the_session_to_an_outsider(client, world, role):
    """Nor to a structure's team, even the session's participant's own structure: the
    training side is not theirs."""
    structure = StructureFactory()
    if role == "staff":
        structure = world["projects:follow_up_log"]["structure"]
        outsider = UserFactory(role=User.Role.STRUCTURE_STAFF, structure_id=structure)
    elif role == "other_admin":
        outsider = UserFactory(role=User.Role.STRUCTURE_ADMIN, structure=structure)
    else:
        outsider = UserFactory(role=User.Role.TRAINER)
    client.force_login(outsider)
    session_code = reverse("sessions:session_detail", kwargs=world["sessions:session_detail"])
    for name in ANY_SIGNED_IN:
        response = client.get(reverse(name), follow=True)
        if role == "staff" and name != "dashboard":
            # The training side's lists are closed to a structure's staff altogether.
            assert response.status_code == 403, name
            continue
        assert response.status_code == 200, name
        assert session_code.encode() not in response.content, name
