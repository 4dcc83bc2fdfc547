"""Audit risks of a formation (`sessions.selectors.audit_risks`), their explanations
(`audit_risk_acknowledge`) and the formation page's « Risques d'audit » panel."""

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry, User
from livrables.models import IssuedDocument
from sessions.exceptions import SessionsError
from sessions.models import Attendance, AuditRiskAcknowledgement, Rectification
from sessions.public_holidays import holiday_subdivision_for
from sessions.selectors.audit_risks import (
    LATE_SIGNATURE_DELAY,
    REPLAY_MAX_DRAWING_MS,
    audit_risks,
    audit_risks_by_formation,
)
from sessions.services import attendance_sign, audit_risk_acknowledge
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend as attend_now
from tests.factories.planning import countersign, make_slot
from tests.factories.sessions import close, during

pytestmark = pytest.mark.django_db

MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


def hand_signature(seed: int) -> dict:
    """A signature as a hand draws it: a few strokes of varying length, over 1.5 s or more."""
    rnd = random.Random(seed)
    strokes, t = [], 0
    for _ in range(rnd.randint(2, 4)):
        stroke = []
        for _ in range(rnd.randint(8, 20)):
            stroke.append([rnd.randint(10, 300), rnd.randint(10, 110), t])
            t += rnd.randint(30, 70)
        strokes.append(stroke)
        t += 200
    return {"width": 320, "height": 120, "strokes": strokes}


def fast_signature(duration_ms: int = 300) -> dict:
    return {
        "width": 320,
        "height": 120,
        "strokes": [[[20, 60, 0], [60, 40, duration_ms // 2], [100, 80, duration_ms]]],
    }


def attend(enrolment, slot, *args, **kwargs) -> Attendance:
    """An attendance row signed in the room, during its half-day."""
    row = attend_now(enrolment, slot, *args, **kwargs)
    row.signed_at = during(slot)
    Attendance.objects.filter(pk=row.pk).update(signed_at=row.signed_at)
    return row


def kinds(formation) -> list[tuple[str, str]]:
    return [(r.kind, r.key) for r in audit_risks(formation=formation)]


def of_kind(formation, kind) -> list:
    return [r for r in audit_risks(formation=formation) if r.kind == kind]


def session_at(postal_code="59000", time_zone="Europe/Paris", **kwargs):
    return TrainingSessionFactory(postal_code=postal_code, time_zone=time_zone, **kwargs)


# --- the venue's public holidays ------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "postal_code", "time_zone", "expected"),
    [
        ("", "97600", "Indian/Mayotte", "976"),
        ("", "97600", "Europe/Paris", "976"),
        ("", "97400", "Indian/Reunion", "974"),
        ("", "97200", "America/Martinique", "972"),
        ("", "97300", "America/Cayenne", "973"),
        ("", "57000", "Europe/Paris", "57"),
        ("", "67000", "Europe/Paris", "6AE"),
        ("", "68100", "Europe/Paris", "6AE"),
        ("", "59000", "Europe/Paris", None),
        ("", "", "Indian/Mayotte", "976"),
        ("", "", "Europe/Paris", None),
        ("57", "59000", "Europe/Paris", "57"),
        ("metro", "97600", "Indian/Mayotte", None),
    ],
)
def test_holiday_subdivision_from_choice_then_postal_code_then_zone(
    chosen, postal_code, time_zone, expected
):
    assert (
        holiday_subdivision_for(chosen=chosen, postal_code=postal_code, time_zone=time_zone)
        == expected
    )


def test_27_april_flagged_in_mayotte_not_in_lille_and_14_july_everywhere():
    formation = FormationFactory()
    mayotte = session_at("97600", "Indian/Mayotte", formation=formation, code="MAY-1")
    lille = session_at("59000", "Europe/Paris", formation=formation, code="LIL-1")
    for session in (mayotte, lille):
        enrolment = EnrolmentFactory(session=session)
        for day in (dt.date(2026, 4, 27), dt.date(2026, 7, 14)):
            attend(enrolment, make_slot(session, day, *MORNING))

    flagged = {
        (r.session_code, r.record.local_start.date()): r for r in of_kind(formation, "holiday")
    }

    assert set(flagged) == {
        ("MAY-1", dt.date(2026, 4, 27)),
        ("MAY-1", dt.date(2026, 7, 14)),
        ("LIL-1", dt.date(2026, 7, 14)),
    }
    assert "Abolition de l'esclavage" in flagged[("MAY-1", dt.date(2026, 4, 27))].sentence
    assert "Fête nationale" in flagged[("LIL-1", dt.date(2026, 7, 14))].sentence
    assert flagged[("MAY-1", dt.date(2026, 4, 27))].url == reverse(
        "sessions:slot_audit", args=[flagged[("MAY-1", dt.date(2026, 4, 27))].record.pk]
    )


def test_moselle_venue_flags_26_december_metropolitan_does_not():
    formation = FormationFactory()
    metz = session_at("57000", formation=formation, code="METZ")
    lille = session_at("59000", formation=formation, code="LILLE")
    for session in (metz, lille):
        attend(
            EnrolmentFactory(session=session), make_slot(session, dt.date(2025, 12, 26), *MORNING)
        )

    assert [r.session_code for r in of_kind(formation, "holiday")] == ["METZ"]


def test_sunday_signature_flagged_and_a_half_day_without_signature_is_not():
    session = session_at()
    enrolment = EnrolmentFactory(session=session)
    sunday = make_slot(session, dt.date(2026, 4, 26), *MORNING)
    attend(enrolment, sunday)
    make_slot(session, dt.date(2026, 4, 26), *AFTERNOON)  # nobody signed

    risks = of_kind(session.formation, "holiday")

    assert [r.record for r in risks] == [sunday]
    assert risks[0].sentence.endswith(": un dimanche.")


# --- the other detections -------------------------------------------------------------------


def test_signature_recorded_a_day_after_the_half_day_is_flagged():
    session = session_at()
    slot = make_slot(session, dt.date(2021, 10, 4), *MORNING)
    late = attend(EnrolmentFactory(session=session), slot)
    on_time = attend(EnrolmentFactory(session=session), slot)
    paper = attend(EnrolmentFactory(session=session), slot, method="paper")
    Attendance.objects.filter(pk=late.pk).update(
        signed_at=slot.ends_at + LATE_SIGNATURE_DELAY + dt.timedelta(hours=1)
    )
    Attendance.objects.filter(pk__in=[on_time.pk, paper.pk]).update(
        signed_at=slot.ends_at + LATE_SIGNATURE_DELAY - dt.timedelta(hours=1)
    )
    Attendance.objects.filter(pk=paper.pk).update(signed_at=slot.ends_at + dt.timedelta(days=9))

    risks = of_kind(session.formation, "late_signature")

    assert [r.record.pk for r in risks] == [late.pk]
    assert risks[0].key == f"late_signature:attendance:{late.pk}"


def test_trainer_countersigning_two_sessions_at_overlapping_times_is_flagged():
    trainer = UserFactory(role=User.Role.TRAINER, first_name="Théo", last_name="Formateur")
    here = session_at(code="ICI")
    elsewhere = session_at(code="AILLEURS")  # another formation
    slot = make_slot(here, dt.date(2021, 10, 4), *MORNING, countersigned=False)
    countersign(slot, trainer)
    overlapping = make_slot(
        elsewhere, dt.date(2021, 10, 4), dt.time(11, 0), dt.time(12, 0), countersigned=False
    )
    countersign(overlapping, trainer)
    later = make_slot(elsewhere, dt.date(2021, 10, 4), *AFTERNOON, countersigned=False)
    countersign(later, trainer)

    risks = of_kind(here.formation, "trainer_overlap")

    assert len(risks) == 1
    assert "Théo Formateur" in risks[0].sentence and "AILLEURS" in risks[0].sentence
    assert len(of_kind(elsewhere.formation, "trainer_overlap")) == 1


def test_more_people_signed_present_than_the_room_holds_is_flagged():
    session = session_at(room_capacity=2)
    full = make_slot(session, dt.date(2021, 10, 4), *MORNING)
    fine = make_slot(session, dt.date(2021, 10, 4), *AFTERNOON)
    people = [EnrolmentFactory(session=session) for _ in range(3)]
    for enrolment in people:
        attend(enrolment, full)
    attend(people[0], fine)
    attend(people[1], fine)
    attend(people[2], fine, "absent", signed=False)

    risks = of_kind(session.formation, "over_capacity")

    assert [r.record for r in risks] == [full]
    assert "3 personnes ont signé présentes pour une salle de 2 places" in risks[0].sentence


def test_enrolled_person_who_never_signed_a_begun_session_is_flagged():
    formation = FormationFactory()
    past = session_at(formation=formation)
    slot = make_slot(past, dt.date(2021, 10, 4), *MORNING)
    signed = EnrolmentFactory(session=past)
    attend(signed, slot)
    marked_absent = EnrolmentFactory(session=past, participant__last_name="Absente")
    attend(marked_absent, slot, "absent", method="closing", signed=False)
    nothing = EnrolmentFactory(session=past, participant__last_name="Rien")
    future = session_at(formation=formation)
    make_slot(future, timezone.localdate() + dt.timedelta(days=30), *MORNING, countersigned=False)
    EnrolmentFactory(session=future)

    risks = of_kind(formation, "never_signed")

    assert {r.record for r in risks} == {marked_absent, nothing}


def test_half_day_over_without_countersignature_is_flagged_not_one_to_come():
    session = session_at()
    over = make_slot(session, dt.date(2021, 10, 4), *MORNING, countersigned=False)
    make_slot(session, timezone.localdate() + dt.timedelta(days=3), *MORNING, countersigned=False)
    make_slot(session, dt.date(2021, 10, 4), *AFTERNOON)

    assert [r.record for r in of_kind(session.formation, "no_countersignature")] == [over]


def test_session_outside_the_execution_period_is_flagged():
    formation = FormationFactory(start_date=dt.date(2021, 10, 5), end_date=dt.date(2021, 12, 31))
    early = session_at(formation=formation, code="TROP-TOT")
    make_slot(early, dt.date(2021, 10, 4), *MORNING)
    make_slot(early, dt.date(2021, 10, 5), *MORNING)
    inside = session_at(formation=formation, code="DEDANS")
    make_slot(inside, dt.date(2021, 11, 8), *MORNING)

    risks = of_kind(formation, "outside_period")

    assert [r.record for r in risks] == [early]
    assert (
        "04/10/2021" in risks[0].sentence and "05/10/2021" not in risks[0].sentence.split(":")[-1]
    )


@pytest.mark.parametrize(
    ("signatures", "flagged"),
    [
        ([fast_signature(300), fast_signature(300), fast_signature(300)], True),
        ([fast_signature(300), fast_signature(250)], True),  # same shape, timings vary a bit
        ([fast_signature(300)], False),  # one half-day: nothing to compare
        ([fast_signature(REPLAY_MAX_DRAWING_MS), fast_signature(REPLAY_MAX_DRAWING_MS)], False),
        ([hand_signature(1), hand_signature(2)], False),
        ([fast_signature(300), hand_signature(3)], False),
    ],
)
def test_identical_fast_signatures_of_one_person_across_half_days(signatures, flagged):
    session = session_at()
    enrolment = EnrolmentFactory(session=session)
    for i, drawn in enumerate(signatures):
        slot = make_slot(session, dt.date(2021, 10, 4) + dt.timedelta(days=i), *MORNING)
        row = attend(enrolment, slot)
        Attendance.objects.filter(pk=row.pk).update(signature=drawn)

    risks = of_kind(session.formation, "identical_signatures")

    assert [r.record for r in risks] == ([enrolment] if flagged else [])


def test_rectification_after_the_certificate_was_issued_is_flagged(coordinator):
    session = session_at()
    participant = ParticipantFactory(last_name="Rectifiée")
    enrolment = EnrolmentFactory(session=session, participant=participant)
    row = attend(enrolment, make_slot(session, dt.date(2021, 10, 4), *MORNING))
    issued_at = timezone.make_aware(dt.datetime(2021, 11, 1, 10))
    IssuedDocument.objects.create(
        number="CRT-TEST-1",
        kind=IssuedDocument.Kind.COMPLETION_CERTIFICATE,
        title="Certificat de réalisation",
        sha256="0" * 64,
        size=1,
        issued_at=issued_at,
        participant=participant,
        formation=session.formation,
    )

    def rectify(when):
        return Rectification.objects.create(
            attendance=row,
            old_values={"status": "present"},
            new_values={"status": "absent"},
            reason="Erreur de saisie",
            author=coordinator,
            created_at=when,
            previous_digest="0" * 64,
            digest="1" * 64,
        )

    rectify(issued_at - dt.timedelta(days=1))
    after = rectify(issued_at + dt.timedelta(days=1))

    risks = of_kind(session.formation, "rectified_after_certificate")

    assert [r.record for r in risks] == [after]
    assert "CRT-TEST-1" in risks[0].sentence


def clean_sealed_formation(trainer, *, sessions=1, people=3):
    """Sessions held in Lille on weekdays inside the execution period, every person signing
    every half-day by hand in the room, each half-day countersigned and sealed."""
    formation = FormationFactory(start_date=dt.date(2021, 1, 1), end_date=dt.date(2021, 12, 31))
    seed = 0
    for n in range(sessions):
        session = session_at(formation=formation, room_capacity=people, code=f"PROPRE-{n}")
        session.trainers.add(trainer)
        enrolments = [EnrolmentFactory(session=session) for _ in range(people)]
        monday = dt.date(2021, 10, 4) + dt.timedelta(weeks=n)
        for day in (monday, monday + dt.timedelta(days=1)):
            for start, end in (MORNING, AFTERNOON):
                slot = make_slot(session, day, start, end, countersigned=False)
                for enrolment in enrolments:
                    seed += 1
                    attendance_sign(
                        enrolment=enrolment,
                        slot=slot,
                        signature=hand_signature(seed),
                        method="tablet",
                        ip="192.0.2.7",
                        user_agent="test",
                        now=during(slot),
                    )
                close(slot, trainer)
    return formation


def test_clean_sealed_session_has_no_risk(trainer):
    formation = clean_sealed_formation(trainer)

    assert audit_risks(formation=formation) == []


def _risky_world(formation, trainer, n):
    """Every kind of risk at once, n times over."""
    for i in range(n):
        session = session_at(
            "97600", "Indian/Mayotte", formation=formation, room_capacity=1, code=f"R-{n}-{i}"
        )
        people = [EnrolmentFactory(session=session) for _ in range(3)]
        holiday = make_slot(session, dt.date(2026, 4, 27) - dt.timedelta(weeks=i), *MORNING)
        open_slot = make_slot(session, dt.date(2026, 4, 28), *MORNING, countersigned=False)
        for enrolment in people[:2]:
            for slot in (holiday, open_slot):
                row = attend(enrolment, slot)
                Attendance.objects.filter(pk=row.pk).update(
                    signed_at=slot.ends_at + dt.timedelta(days=2)
                )
        countersign(holiday, trainer)
        other = session_at(code=f"O-{n}-{i}")
        countersign(
            make_slot(other, dt.date(2026, 4, 27) - dt.timedelta(weeks=i), *MORNING), trainer
        )


def test_query_count_does_not_grow_with_sessions(
    trainer, django_assert_max_num_queries, coordinator
):
    small = FormationFactory(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 12, 31))
    large = FormationFactory(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 12, 31))
    _risky_world(small, trainer, 1)
    _risky_world(large, trainer, 6)

    with django_assert_max_num_queries(7):
        few = audit_risks(formation=small)
    with django_assert_max_num_queries(7):
        many = audit_risks(formation=large)

    expected = {
        "holiday",
        "late_signature",
        "trainer_overlap",
        "over_capacity",
        "never_signed",
        "no_countersignature",
        "outside_period",
        "identical_signatures",
    }
    assert {r.kind for r in few} == expected
    assert {r.kind for r in many} == expected
    assert len(many) > len(few)


def test_many_formations_read_together_give_each_its_own_list_in_constant_queries(
    trainer, django_assert_max_num_queries, coordinator
):
    """The auditor's workspace counts risks for every formation at once: the same lists
    as one by one, explanations included, in the same queries for 2 formations or 5."""
    formations = [
        FormationFactory(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 12, 31))
        for _ in range(5)
    ]
    for n, formation in enumerate(formations, start=1):
        _risky_world(formation, trainer, n)
    first = audit_risks(formation=formations[0])[0]
    audit_risk_acknowledge(
        formation=formations[0],
        risk_key=first.key,
        explanation="Session déplacée à la demande du financeur.",
        actor=coordinator,
    )
    empty = FormationFactory()
    one_by_one = {f.pk: audit_risks(formation=f) for f in [*formations, empty]}

    with django_assert_max_num_queries(7):
        two = audit_risks_by_formation(formations=formations[:2])
    with django_assert_max_num_queries(7):
        together = audit_risks_by_formation(formations=[*formations, empty])

    assert together == one_by_one
    assert two == {f.pk: one_by_one[f.pk] for f in formations[:2]}
    assert together[formations[0].pk][0].is_acknowledged
    assert together[empty.pk] == []


def test_signatures_read_a_few_sessions_at_a_time_find_the_same_risks(
    trainer, monkeypatch, django_assert_max_num_queries
):
    """The audit pack reads whole formations: their signatures are held a batch of sessions
    at a time, which changes nothing of what is found, nor the number of queries."""
    from sessions.selectors import audit_risks as module

    formation = FormationFactory(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 12, 31))
    _risky_world(formation, trainer, 4)
    at_once = [(r.key, r.sentence) for r in audit_risks(formation=formation)]
    monkeypatch.setattr(module, "SESSIONS_PER_BATCH", 2)
    with django_assert_max_num_queries(7):
        batched = [(r.key, r.sentence) for r in audit_risks(formation=formation)]
    assert batched == at_once
    assert {key.split(":")[0] for key, _sentence in at_once} >= {
        "holiday",
        "late_signature",
        "trainer_overlap",
        "identical_signatures",
    }


# --- explanations ---------------------------------------------------------------------------


@pytest.fixture
def risky(db):
    session = session_at()
    slot = make_slot(session, dt.date(2021, 10, 4), *MORNING, countersigned=False)
    return session.formation, f"no_countersignature:slot:{slot.pk}"


def test_coordinator_explains_a_risk_logged_and_shown_with_it(coordinator, risky):
    formation, key = risky

    audit_risk_acknowledge(
        actor=coordinator,
        formation=formation,
        risk_key=key,
        explanation="Formateur malade : contre-signature sur papier, scan joint.",
    )

    (risk,) = audit_risks(formation=formation)
    assert risk.is_acknowledged
    assert risk.acknowledgement.explanation.startswith("Formateur malade")
    assert risk.acknowledgement.acknowledged_by == coordinator
    entry = AuditEntry.objects.get(action="audit_risk.acknowledge")
    assert entry.data["risk_key"] == key and entry.actor == coordinator
    # The history reads the risk in words, not its key.
    assert entry.summary == f"Risque d'audit expliqué : {risk.sentence}"
    assert key not in entry.summary


def test_explaining_again_replaces_the_text(coordinator, risky):
    formation, key = risky
    for text in ("Première explication.", "Seconde explication, plus précise."):
        audit_risk_acknowledge(
            actor=coordinator, formation=formation, risk_key=key, explanation=text
        )

    assert (
        AuditRiskAcknowledgement.objects.get().explanation == "Seconde explication, plus précise."
    )
    assert AuditEntry.objects.filter(action="audit_risk.acknowledge").count() == 2


@pytest.mark.parametrize("text", ["", "   ", "RAS"])
def test_explanation_is_required(coordinator, risky, text):
    formation, key = risky
    with pytest.raises(SessionsError) as caught:
        audit_risk_acknowledge(
            actor=coordinator, formation=formation, risk_key=key, explanation=text
        )
    assert caught.value.code == "explanation_required"
    assert not AuditRiskAcknowledgement.objects.exists()


@pytest.mark.parametrize(
    "role", [User.Role.TRAINER, User.Role.FUNDER_AUDITOR, User.Role.STRUCTURE_REFERENT]
)
def test_only_coordinators_explain(risky, role):
    formation, key = risky
    with pytest.raises(SessionsError) as caught:
        audit_risk_acknowledge(
            actor=UserFactory(
                role=role,
                structure=StructureFactory() if role == User.Role.STRUCTURE_REFERENT else None,
            ),
            formation=formation,
            risk_key=key,
            explanation="Une raison.",
        )
    assert caught.value.code == "not_coordinator"


def test_unknown_risk_is_refused(coordinator, risky):
    formation, _key = risky
    with pytest.raises(SessionsError) as caught:
        audit_risk_acknowledge(
            actor=coordinator,
            formation=formation,
            risk_key="holiday:slot:0",
            explanation="Une raison.",
        )
    assert caught.value.code == "unknown_risk"


# --- the panel and the form -----------------------------------------------------------------


def test_panel_and_form_for_coordinators(coordinator_client, risky):
    formation, key = risky
    page = reverse("formations:formation_detail", args=[formation.pk])

    html = coordinator_client.get(page).content.decode()
    assert "Risques d'audit (1)" in html
    assert "terminée sans contre-signature" in html
    assert f'value="{key}"' in html

    response = coordinator_client.post(
        reverse("sessions:audit_risk_acknowledge", args=[formation.pk]),
        {"risk_key": key, "explanation": "Scan papier de la contre-signature joint."},
    )
    assert response.status_code == 302 and response.url == page + "#audit-risks"
    html = coordinator_client.get(page).content.decode()
    assert "Scan papier de la contre-signature joint." in html
    assert "Expliqué par Claire Coordo" in html

    response = coordinator_client.post(
        reverse("sessions:audit_risk_acknowledge", args=[formation.pk]),
        {"risk_key": key, "explanation": ""},
        follow=True,
    )
    assert "Écrivez une explication" in response.content.decode()


def test_funder_auditor_reads_the_panel_without_the_form(client, auditor, risky):
    formation, key = risky
    formation.programme.funders.add(auditor.funders.get())
    client.force_login(auditor)

    html = client.get(reverse("formations:formation_detail", args=[formation.pk])).content.decode()

    assert "terminée sans contre-signature" in html
    assert f'value="{key}"' not in html
    response = client.post(
        reverse("sessions:audit_risk_acknowledge", args=[formation.pk]),
        {"risk_key": key, "explanation": "Je ne peux pas écrire ici."},
    )
    assert response.status_code == 403
    assert not AuditRiskAcknowledgement.objects.exists()


def test_auditor_of_another_funder_and_trainers_do_not_see_the_panel(client, risky):
    formation, _key = risky
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(other)
    assert (
        client.get(reverse("formations:formation_detail", args=[formation.pk])).status_code == 404
    )

    trainer = UserFactory(role=User.Role.TRAINER)
    formation.sessions.get().trainers.add(trainer)
    client.force_login(trainer)
    response = client.get(reverse("formations:formation_detail", args=[formation.pk]))
    assert "Risques d'audit" not in response.content.decode()


def test_posting_an_explanation_out_of_reach_is_404_like_every_page(client, risky):
    formation, key = risky
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    referent = UserFactory(role=User.Role.TRAINER)
    url = reverse("sessions:audit_risk_acknowledge", args=[formation.pk])
    # A trainer of the formation sees it, not its audit risks: out of reach too.
    trainer = UserFactory(role=User.Role.TRAINER)
    formation.sessions.get().trainers.add(trainer)
    for user in (other, referent, trainer):
        client.force_login(user)
        response = client.post(url, {"risk_key": key, "explanation": "Hors de ma portée."})
        assert response.status_code == 404, user.role
    assert not AuditRiskAcknowledgement.objects.exists()


def test_session_form_fields_saved_and_postal_code_checked(coordinator):
    from django.core.exceptions import ValidationError

    from sessions.services import generate_slots, session_save

    data = {"formation": FormationFactory(), "code": "MAY-2026", "time_zone": "Europe/Paris"}
    slots = generate_slots(first_day=dt.date(2026, 4, 27), days=1)
    session = session_save(
        actor=coordinator,
        data={**data, "postal_code": "97600", "room_capacity": 12},
        slots=slots,
    )
    session.refresh_from_db()
    assert (session.postal_code, session.room_capacity, session.holiday_region) == (
        "97600",
        12,
        "976",
    )
    with pytest.raises(ValidationError):
        session_save(
            actor=coordinator, data={**data, "code": "X-1", "postal_code": "976"}, slots=slots
        )
