import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from formations.models import Formation
from sessions.selectors import contract
from sessions.selectors.contract import (
    Offence,
    RuleState,
    RuleStatus,
    contract_status,
    per_structure_state,
    session_contract_warnings,
    session_rule_warnings,
)
from sessions.services.enrolment import enrol_participants
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
)
from tests.factories.planning import attend, make_slot

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 10, 4)
MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))


def _full_day(session, day=DAY):
    return [make_slot(session, day, *MORNING), make_slot(session, day, *AFTERNOON)]


def test_group_size_over_max_warns_and_violates():
    formation = FormationFactory(group_size_min=10, group_size_max=15)
    session = TrainingSessionFactory(formation=formation, code="LABO-1")
    EnrolmentFactory.create_batch(16, session=session)
    ok = TrainingSessionFactory(formation=formation)
    EnrolmentFactory.create_batch(12, session=ok)

    warnings = session_contract_warnings(session=session)
    rule = contract_status(formation=formation).rule("group_size")

    assert any("16 inscrit·es pour un maximum de 15" in w for w in warnings)
    assert rule.state == RuleState.VIOLATED
    assert [o.session_code for o in rule.offences] == ["LABO-1"]
    assert rule.expected == "10 à 15 personnes"
    assert rule.value == "12 à 16 personnes"


def test_group_size_pending_when_nobody_enrolled():
    formation = FormationFactory(group_size_min=10, group_size_max=15)
    session = TrainingSessionFactory(formation=formation)

    warnings = session_contract_warnings(session=session)

    assert len(warnings) == 1
    assert "10 à 15 personnes" in warnings[0]
    assert "sera vérifiée avec les inscriptions" in warnings[0]


def test_group_size_under_min_is_a_warning_while_planned():
    formation = FormationFactory(group_size_min=10)
    session = TrainingSessionFactory(formation=formation)
    EnrolmentFactory.create_batch(4, session=session)

    rule = contract_status(formation=formation).rule("group_size")

    assert rule.state == RuleState.WARNING


def test_min_hours_per_day_six_hours_when_seven_required():
    formation = FormationFactory(min_hours_per_day=Decimal("7"))
    session = TrainingSessionFactory(formation=formation, code="SSD-1")
    _full_day(session, DAY)  # 7 h: fine
    make_slot(session, DAY + dt.timedelta(days=1), dt.time(9), dt.time(12))
    make_slot(session, DAY + dt.timedelta(days=1), dt.time(13), dt.time(16))  # 6 h

    warnings = session_contract_warnings(session=session)
    rule = contract_status(formation=formation).rule("min_hours_per_day")

    assert warnings == [
        "Le 5 octobre 2021 ne compte que 6 h prévues ; le marché demande au moins 7 h par jour."
    ]
    assert rule.state == RuleState.VIOLATED
    assert [(o.session_code, o.detail) for o in rule.offences] == [
        ("SSD-1", "05/10/2021 : 6 h prévues")
    ]


def test_min_hours_per_day_groups_by_local_day():
    # Nouméa is UTC+11: 09:00 local is 22:00 UTC the day before. Grouped by UTC date the day
    # would split in two 3 h 30 halves.
    formation = FormationFactory(min_hours_per_day=Decimal("7"))
    session = TrainingSessionFactory(formation=formation, time_zone="Pacific/Noumea")
    _full_day(session)

    assert session_contract_warnings(session=session) == []
    assert contract_status(formation=formation).rule("min_hours_per_day").state == RuleState.OK


def test_attendees_per_structure_four_when_max_three():
    formation = FormationFactory(attendees_per_structure_min=1, attendees_per_structure_max=3)
    session = TrainingSessionFactory(formation=formation, code="LABO-2")
    ccas = StructureFactory(name="CCAS de Koungou")
    EnrolmentFactory.create_batch(4, session=session, participant__structure=ccas)
    EnrolmentFactory.create_batch(2, session=session)

    warnings = session_contract_warnings(session=session)
    rule = contract_status(formation=formation).rule("attendees_per_structure")

    assert warnings == [
        "CCAS de Koungou a 4 participant·es dans cette session ; le marché prévoit 1 à 3 par "
        "structure."
    ]
    assert rule.state == RuleState.VIOLATED
    assert [(o.session_code, o.detail) for o in rule.offences] == [
        ("LABO-2", "CCAS de Koungou : 4 participant·es")
    ]
    assert rule.value == "1 à 4"


def test_sixteenth_session_when_max_fifteen():
    formation = FormationFactory(sessions_min=10, sessions_max=15)
    sessions = TrainingSessionFactory.create_batch(16, formation=formation)
    TrainingSessionFactory(formation=formation, status="cancelled")  # not counted

    warnings = session_contract_warnings(session=sessions[-1])
    rule = contract_status(formation=formation).rule("sessions_count")

    assert "La formation compte 16 sessions pour un maximum de 15 au marché." in warnings
    assert rule.state == RuleState.VIOLATED
    assert rule.value == "16"
    assert [o.session_id for o in rule.offences] == [sessions[-1].pk]


def test_sessions_count_fifteen_is_ok():
    formation = FormationFactory(sessions_max=15)
    sessions = TrainingSessionFactory.create_batch(15, formation=formation)

    assert session_contract_warnings(session=sessions[-1]) == []
    assert contract_status(formation=formation).rule("sessions_count").state == RuleState.OK


def test_trainees_reached_counts_people_with_realised_minutes():
    formation = FormationFactory(trainees_target_min=3, trainees_target_max=5)
    session = TrainingSessionFactory(formation=formation)
    morning, afternoon = _full_day(session)
    present = EnrolmentFactory(session=session)
    attend(present, morning)
    attend(present, afternoon)
    attend(EnrolmentFactory(session=session), morning, "late", minutes=60)
    attend(EnrolmentFactory(session=session), morning, "absent", signed=False, method="trainer")
    attend(EnrolmentFactory(session=session), morning, signed=False, method="trainer")

    rule = contract_status(formation=formation).rule("trainees_reached")

    assert rule.value == "2"
    assert rule.state == RuleState.WARNING
    assert "Inscrit·es : 4" in rule.note


def test_rules_not_applicable_when_contract_silent():
    formation = FormationFactory()
    TrainingSessionFactory(formation=formation)

    status = contract_status(formation=formation)

    assert {r.state for r in status.rules} == {RuleState.NOT_APPLICABLE}
    assert status.state == RuleState.NOT_APPLICABLE


# --- execution period ---------------------------------------------------------------------


def test_execution_period_session_after_the_end_is_violated():
    formation = FormationFactory(start_date=dt.date(2022, 1, 1), end_date=dt.date(2022, 6, 30))
    inside = TrainingSessionFactory(formation=formation, code="CD93-01")
    _full_day(inside, dt.date(2022, 2, 8))
    late = TrainingSessionFactory(formation=formation, code="CD93-12")
    _full_day(late, dt.date(2022, 6, 30))
    _full_day(late, dt.date(2022, 7, 1))

    rule = contract_status(formation=formation).rule("execution_period")

    assert rule.state == RuleState.VIOLATED
    assert rule.expected == "du 1er janvier 2022 au 30 juin 2022"
    assert rule.value == "1 session hors période"
    assert [(o.session_code, o.detail) for o in rule.offences] == [
        ("CD93-12", "2 demi-journées hors période (01/07/2022)")
    ]
    assert session_contract_warnings(session=late) == [
        "La session a 2 demi-journées le 1er juillet 2022, hors de la période d'exécution du "
        "marché (du 1er janvier 2022 au 30 juin 2022)."
    ]
    assert session_contract_warnings(session=inside) == []


def test_execution_period_before_the_start_only_start_known():
    formation = FormationFactory(start_date=dt.date(2021, 5, 1))
    session = TrainingSessionFactory(formation=formation, code="LABO-0")
    make_slot(session, dt.date(2021, 4, 28), *MORNING)
    make_slot(session, dt.date(2021, 4, 30), *MORNING)
    make_slot(session, dt.date(2021, 5, 1), *MORNING)

    rule = contract_status(formation=formation).rule("execution_period")

    assert rule.expected == "à partir du 1er mai 2021"
    assert [o.detail for o in rule.offences] == [
        "2 demi-journées hors période (28/04/2021 – 30/04/2021)"
    ]
    assert session_contract_warnings(session=session) == [
        "La session a 2 demi-journées du 28 avril 2021 au 30 avril 2021, hors de la période "
        "d'exécution du marché (à partir du 1er mai 2021)."
    ]


def test_execution_period_uses_the_local_day():
    # 09:00 in Nouméa on 1 July is 22:00 UTC on 30 June: by the UTC date it would be inside.
    formation = FormationFactory(end_date=dt.date(2022, 6, 30))
    session = TrainingSessionFactory(formation=formation, time_zone="Pacific/Noumea")
    make_slot(session, dt.date(2022, 7, 1), *MORNING)

    rule = contract_status(formation=formation).rule("execution_period")

    assert rule.state == RuleState.VIOLATED
    assert rule.expected == "jusqu'au 30 juin 2022"


def test_execution_period_ok_and_cancelled_sessions_ignored():
    formation = FormationFactory(start_date=dt.date(2022, 1, 1), end_date=dt.date(2022, 6, 30))
    _full_day(TrainingSessionFactory(formation=formation), dt.date(2022, 1, 1))
    _full_day(TrainingSessionFactory(formation=formation), dt.date(2022, 6, 30))
    cancelled = TrainingSessionFactory(formation=formation, status="cancelled")
    _full_day(cancelled, dt.date(2023, 1, 5))

    rule = contract_status(formation=formation).rule("execution_period")

    assert rule.state == RuleState.OK
    assert rule.value == "toutes les demi-journées dans la période"
    assert session_contract_warnings(session=cancelled) == []


def test_execution_period_not_applicable_without_dates():
    formation = FormationFactory()
    _full_day(TrainingSessionFactory(formation=formation), dt.date(1999, 1, 1))

    rule = contract_status(formation=formation).rule("execution_period")

    assert rule.state == RuleState.NOT_APPLICABLE


# --- sessions in a year -------------------------------------------------------------------


def _labo(formation, first_day, days=3, **kwargs):
    session = TrainingSessionFactory(formation=formation, time_zone="Indian/Mayotte", **kwargs)
    for offset in range(days):
        _full_day(session, first_day + dt.timedelta(days=offset))
    return session


def _mayotte(**kwargs):
    return FormationFactory(
        start_date=dt.date(2021, 5, 1),
        end_date=dt.date(2022, 12, 31),
        sessions_min_in_year=2,
        sessions_min_year=2021,
        **kwargs,
    )


def test_sessions_in_year_two_labos_in_2021_ok():
    formation = _mayotte()
    _labo(formation, dt.date(2021, 10, 4))
    # Its first day is in 2021: it counts for 2021 although it ends in 2022.
    _labo(formation, dt.date(2021, 12, 30))
    _labo(formation, dt.date(2022, 3, 7))

    rule = contract_status(formation=formation, today=dt.date(2022, 4, 1)).rule("sessions_in_year")

    assert rule.state == RuleState.OK
    assert rule.expected == "au moins 2 sessions en 2021"
    assert rule.value == "2 sessions en 2021"


def test_sessions_in_year_one_labo_violated_once_the_year_is_over():
    formation = _mayotte()
    _labo(formation, dt.date(2021, 10, 4))
    _labo(formation, dt.date(2021, 12, 6), status="cancelled")  # not counted
    _labo(formation, dt.date(2022, 3, 7))

    over = contract_status(formation=formation, today=dt.date(2022, 1, 1))
    running = contract_status(formation=formation, today=dt.date(2021, 11, 15))
    ahead = contract_status(formation=formation, today=dt.date(2020, 11, 15))

    assert over.rule("sessions_in_year").state == RuleState.VIOLATED
    assert over.rule("sessions_in_year").value == "1 session en 2021"
    assert running.rule("sessions_in_year").state == RuleState.WARNING
    assert ahead.rule("sessions_in_year").state == RuleState.PENDING


def test_sessions_in_year_not_applicable_without_minimum():
    formation = FormationFactory()
    _labo(formation, dt.date(2021, 10, 4))

    assert contract_status(formation=formation).rule("sessions_in_year").state == (
        RuleState.NOT_APPLICABLE
    )


# --- consecutive days ---------------------------------------------------------------------


def test_session_days_three_consecutive_days_ok():
    formation = _mayotte(session_days=3)
    session = _labo(formation, dt.date(2021, 10, 4))

    rule = contract_status(formation=formation).rule("session_days")

    assert rule.state == RuleState.OK
    assert rule.expected == "3 jours consécutifs par session"
    assert session_contract_warnings(session=session) == []


def test_session_days_two_days_instead_of_three():
    formation = _mayotte(session_days=3)
    session = _labo(formation, dt.date(2021, 10, 4), days=2, code="LABO-2021-1")
    _labo(formation, dt.date(2021, 12, 6))

    rule = contract_status(formation=formation).rule("session_days")

    assert rule.state == RuleState.VIOLATED
    assert rule.value == "1 session non conforme"
    assert [(o.session_code, o.detail) for o in rule.offences] == [
        ("LABO-2021-1", "2 jours au lieu de 3 (04/10/2021 – 05/10/2021)")
    ]
    assert session_contract_warnings(session=session) == [
        "La session compte 2 jours (du 4 octobre 2021 au 5 octobre 2021) ; le marché prévoit "
        "des sessions de 3 jours consécutifs."
    ]


def test_session_days_three_days_not_consecutive():
    formation = _mayotte(session_days=3)
    session = TrainingSessionFactory(formation=formation, code="LABO-2021-2")
    for day in (dt.date(2021, 12, 6), dt.date(2021, 12, 7), dt.date(2021, 12, 9)):
        _full_day(session, day)

    rule = contract_status(formation=formation).rule("session_days")

    assert [o.detail for o in rule.offences] == [
        "3 jours non consécutifs (06/12/2021 – 09/12/2021)"
    ]
    assert session_contract_warnings(session=session) == [
        "Les 3 jours de la session ne se suivent pas (du 6 décembre 2021 au 9 décembre 2021) ; "
        "le marché prévoit des sessions de 3 jours consécutifs."
    ]


def test_session_days_one_day_sessions():
    # « Une session de formation durera 1 journée, 7 heures minimum » (Seine-Saint-Denis).
    formation = FormationFactory(session_days=1, min_hours_per_day=Decimal("7"))
    ok = TrainingSessionFactory(formation=formation)
    _full_day(ok, dt.date(2022, 2, 8))
    two_days = TrainingSessionFactory(formation=formation, code="CD93-2022-02")
    _full_day(two_days, dt.date(2022, 3, 15))
    _full_day(two_days, dt.date(2022, 3, 16))

    status = contract_status(formation=formation)

    assert status.rule("session_days").expected == "1 journée par session"
    assert [o.detail for o in status.rule("session_days").offences] == [
        "sur 2 jours (15/03/2022 – 16/03/2022)"
    ]
    assert status.rule("min_hours_per_day").state == RuleState.OK
    assert session_contract_warnings(session=two_days) == [
        "La session s'étend sur 2 jours (du 15 mars 2022 au 16 mars 2022) ; le marché prévoit "
        "des sessions d'une journée."
    ]
    assert session_contract_warnings(session=ok) == []


def test_session_days_counts_local_days():
    # 09:00 and 13:30 in Nouméa fall on two different UTC dates (22:00 and 02:30 UTC).
    formation = FormationFactory(session_days=1)
    session = TrainingSessionFactory(formation=formation, time_zone="Pacific/Noumea")
    make_slot(session, DAY, dt.time(9), dt.time(12, 30))
    make_slot(session, DAY, dt.time(13, 30), dt.time(17))

    assert contract_status(formation=formation).rule("session_days").state == RuleState.OK


def test_session_days_pending_without_half_days_and_not_applicable_when_unset():
    pending = FormationFactory(session_days=3)
    TrainingSessionFactory(formation=pending)
    silent = FormationFactory()
    _labo(silent, dt.date(2021, 10, 4), days=2)

    assert contract_status(formation=pending).rule("session_days").state == RuleState.PENDING
    assert contract_status(formation=silent).rule("session_days").state == (
        RuleState.NOT_APPLICABLE
    )


# --- monthly rhythm -----------------------------------------------------------------------


def _monthly(start=dt.date(2018, 1, 15), end=dt.date(2018, 6, 30)):
    return FormationFactory(start_date=start, end_date=end, monthly_rhythm=True)


def _one_morning(formation, day, **kwargs):
    session = TrainingSessionFactory(formation=formation, **kwargs)
    make_slot(session, day, *MORNING)
    return session


def test_monthly_rhythm_every_month_covered():
    formation = _monthly()
    for month in range(1, 7):
        _one_morning(formation, dt.date(2018, month, 20))

    rule = contract_status(formation=formation, today=dt.date(2019, 1, 1)).rule("monthly_rhythm")

    assert rule.state == RuleState.OK
    assert rule.expected == (
        "au moins une demi-journée chaque mois, de janvier 2018 à juin 2018 (6 mois)"
    )
    assert rule.value == "6 mois sur 6 avec une demi-journée"


def test_monthly_rhythm_missed_months_listed_as_runs():
    formation = _monthly(end=dt.date(2019, 3, 31))
    _one_morning(formation, dt.date(2018, 3, 13))
    _one_morning(formation, dt.date(2018, 4, 10))
    _one_morning(formation, dt.date(2019, 2, 5))
    _one_morning(formation, dt.date(2018, 7, 2), status="cancelled")  # does not count
    _one_morning(formation, dt.date(2017, 12, 5))  # before the period: does not count

    rule = contract_status(formation=formation, today=dt.date(2019, 4, 1)).rule("monthly_rhythm")

    assert rule.state == RuleState.VIOLATED
    assert rule.value == "3 mois sur 15 avec une demi-journée"
    assert rule.note == (
        "Mois écoulés sans demi-journée : janvier à février 2018, mai 2018 à janvier 2019, "
        "mars 2019."
    )


def test_monthly_rhythm_current_and_future_months_are_to_come():
    formation = _monthly()
    _one_morning(formation, dt.date(2018, 1, 16))
    _one_morning(formation, dt.date(2018, 2, 6))
    _one_morning(formation, dt.date(2018, 5, 3))  # planned ahead

    # 10 March: March has not ended, so it is not missed yet.
    rule = contract_status(formation=formation, today=dt.date(2018, 3, 10)).rule("monthly_rhythm")

    assert rule.state == RuleState.OK
    assert rule.value == "3 mois sur 6 avec une demi-journée ; 3 à venir"
    assert rule.note == ""


def test_monthly_rhythm_month_ended_yesterday_is_missed():
    formation = _monthly()
    _one_morning(formation, dt.date(2018, 1, 16))

    rule = contract_status(formation=formation, today=dt.date(2018, 3, 1)).rule("monthly_rhythm")

    assert rule.state == RuleState.VIOLATED
    assert rule.note == "Mois écoulés sans demi-journée : février 2018."


def test_monthly_rhythm_uses_the_local_month():
    # 09:00 on 1 February in Nouméa is 22:00 UTC on 31 January.
    formation = _monthly(start=dt.date(2018, 2, 1), end=dt.date(2018, 2, 28))
    _one_morning(formation, dt.date(2018, 2, 1), time_zone="Pacific/Noumea")

    rule = contract_status(formation=formation, today=dt.date(2018, 3, 5)).rule("monthly_rhythm")

    assert rule.state == RuleState.OK


def test_monthly_rhythm_pending_before_the_period_and_not_applicable_when_unset():
    formation = _monthly()
    silent = FormationFactory(start_date=dt.date(2018, 1, 1), end_date=dt.date(2018, 6, 30))

    rule = contract_status(formation=formation, today=dt.date(2017, 12, 1)).rule("monthly_rhythm")

    assert rule.state == RuleState.PENDING
    assert rule.value == "0 mois sur 6 avec une demi-journée ; 6 à venir"
    assert contract_status(formation=silent).rule("monthly_rhythm").state == (
        RuleState.NOT_APPLICABLE
    )


# --- all rules together -------------------------------------------------------------------


def test_rules_in_order_with_their_labels():
    status = contract_status(formation=FormationFactory())

    assert [(r.code, r.label) for r in status.rules] == [
        ("execution_period", "Période d'exécution"),
        ("sessions_count", "Nombre de sessions"),
        ("sessions_in_year", "Sessions dans l'année"),
        ("monthly_rhythm", "Rythme mensuel"),
        ("session_days", "Durée des sessions"),
        ("min_hours_per_day", "Heures minimum par jour"),
        ("group_size", "Taille des groupes"),
        ("attendees_per_structure", "Participant·es par structure et par session"),
        ("trainees_reached", "Stagiaires formé·es"),
    ]


def _formation_with(count):
    formation = FormationFactory(
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2021, 12, 31),
        sessions_max=2,
        sessions_min_in_year=2,
        sessions_min_year=2021,
        monthly_rhythm=True,
        session_days=1,
        min_hours_per_day=Decimal("7"),
        group_size_min=1,
        group_size_max=2,
        trainees_target_min=1,
        attendees_per_structure_max=1,
    )
    structure = StructureFactory(name="CCAS de Koungou")
    for i in range(count):
        session = TrainingSessionFactory(formation=formation)
        slot = make_slot(session, dt.date(2021, 3, 1) + dt.timedelta(days=i * 5), *MORNING)
        for _ in range(3):
            attend(EnrolmentFactory(session=session, participant__structure=structure), slot)
    return formation


@pytest.mark.parametrize("count", [3, 30])
def test_contract_status_query_count_constant(count):
    formation = _formation_with(count)

    with CaptureQueriesContext(connection) as queries:
        status = contract_status(formation=formation, today=dt.date(2022, 1, 1))
        states = {r.code: r.state for r in status.rules}

    assert len(queries) == 13
    assert states == {
        "execution_period": RuleState.OK,
        "sessions_count": RuleState.VIOLATED,
        "sessions_in_year": RuleState.OK,
        "monthly_rhythm": RuleState.VIOLATED,
        "session_days": RuleState.OK,
        "min_hours_per_day": RuleState.VIOLATED,
        "group_size": RuleState.VIOLATED,
        "attendees_per_structure": RuleState.VIOLATED,
        "trainees_reached": RuleState.OK,
    }
    assert len(status.rule("min_hours_per_day").offences) == count
    assert len(status.rule("group_size").offences) == count


@pytest.mark.parametrize("count", [3, 30])
def test_session_warnings_query_count_constant(count):
    formation = _formation_with(count)
    session = formation.sessions.order_by("pk").first()

    with CaptureQueriesContext(connection) as queries:
        warnings = session_contract_warnings(session=session)

    assert len(queries) == 8
    assert warnings == [
        f"La formation compte {count} sessions pour un maximum de 2 au marché.",
        "Le 1er mars 2021 ne compte que 3 h 30 prévues ; le marché demande au moins 7 h par jour.",
        "Groupe trop grand : 3 inscrit·es pour un maximum de 2 au marché.",
        "CCAS de Koungou a 3 participant·es dans cette session ; le marché prévoit au plus 1 "
        "par structure.",
    ]


# --- one selector for every page ------------------------------------------------------------


def test_a_rule_change_shows_on_every_page_and_in_every_warning(
    client, coordinator, trainer, monkeypatch
):
    """The formation page, the enrolment page, the enrolment service and the session's save
    all ask this selector: change one rule here and all of them follow."""
    formation = FormationFactory(group_size_max=30)
    session = TrainingSessionFactory(formation=formation, code="LABO-2021-1")
    make_slot(session, DAY, *MORNING, countersigned=False)

    def stricter_group_size(ctx):
        rows = ctx.scope.values_list("pk", "code")
        offences = tuple(
            Offence(
                pk,
                code,
                "règle changée",
                code="group_size_max",
                message=f"Règle changée pour {code}.",
            )
            for pk, code in rows
        )
        return RuleStatus(
            "group_size", "Taille des groupes", "1 personne", "—", RuleState.VIOLATED, offences
        )

    monkeypatch.setitem(contract.RULES, "group_size", stricter_group_size)
    client.force_login(coordinator)

    formation_page = client.get(reverse("formations:formation_detail", args=[formation.pk]))
    enrolment_page = client.get(reverse("sessions:session_enrolments", args=[session.pk]))
    enrolled = enrol_participants(
        session=session, participants=[ParticipantFactory()], actor=coordinator
    )
    slot = session.slots.get()
    saved = client.post(
        reverse("sessions:session_edit", args=[session.pk]),
        {
            "formation": formation.pk,
            "code": session.code,
            "place": "Mamoudzou",
            "address": "",
            "time_zone": session.time_zone,
            "modality": "on_site",
            "remote_url": "",
            "status": "planned",
            "notes": "",
            "action": "save",
            "trainers": [trainer.pk],
            "slots-TOTAL_FORMS": "1",
            "slots-INITIAL_FORMS": "1",
            "slots-MIN_NUM_FORMS": "0",
            "slots-MAX_NUM_FORMS": "1000",
            "slots-0-day": DAY.isoformat(),
            "slots-0-start": "09:00",
            "slots-0-end": "12:30",
            "slots-0-slot_id": slot.pk,
        },
        follow=True,
    )

    panel = formation_page.context["panels"][0][1]["contract"].rule("group_size")
    assert [(o.session_code, o.detail) for o in panel.offences] == [
        ("LABO-2021-1", "règle changée")
    ]
    assert "règle changée" in formation_page.content.decode()
    assert enrolment_page.context["group_rule"].expected == "1 personne"
    assert "(règle changée)" in enrolment_page.content.decode()
    assert [w.message for w in enrolled.warnings] == ["Règle changée pour LABO-2021-1."]
    assert [m.message for m in saved.context["messages"] if m.level_tag == "warning"] == [
        "Règle changée pour LABO-2021-1."
    ]
    assert saved.context["warnings"] == ["Règle changée pour LABO-2021-1."]


@pytest.mark.parametrize(
    "rule,count,state,expected",
    [
        ((1, 3), 0, RuleState.WARNING, "1 à 3"),
        ((1, 3), 2, RuleState.OK, "1 à 3"),
        ((1, 3), 4, RuleState.VIOLATED, "1 à 3"),
        ((None, 2), 0, RuleState.OK, "au plus 2"),
        ((None, None), 5, RuleState.NOT_APPLICABLE, ""),
    ],
)
def test_per_structure_state_judges_one_structure_at_one_session(rule, count, state, expected):
    formation = Formation(attendees_per_structure_min=rule[0], attendees_per_structure_max=rule[1])

    assert per_structure_state(formation=formation, count=count) == (state, expected)


# --- attendees per structure: every structure of the formation at every session --------------


def _labo_world(today_sessions=("LABO-1", "LABO-2")):
    """« Au moins une personne par CCAS, au maximum trois » (seed 003): two CCAS take part;
    LABO-1 has both, LABO-2 only Koungou, LABO-3 (future, being filled) only Koungou."""
    formation = FormationFactory(attendees_per_structure_min=1, attendees_per_structure_max=3)
    koungou = StructureFactory(name="CCAS de Koungou")
    dembeni = StructureFactory(name="CCAS de Dembéni")
    sessions = {}
    for number, day in enumerate((DAY, DAY + dt.timedelta(days=7), dt.date(2022, 3, 7)), 1):
        sessions[f"LABO-{number}"] = session = TrainingSessionFactory(
            formation=formation, code=f"LABO-{number}"
        )
        _full_day(session, day)
        EnrolmentFactory.create_batch(2, session=session, participant__structure=koungou)
    EnrolmentFactory(session=sessions["LABO-1"], participant__structure=dembeni)
    return formation, sessions, koungou, dembeni


def test_attendees_per_structure_absent_structure_warned_at_the_session_it_missed():
    formation, sessions, _koungou, dembeni = _labo_world()

    rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(
        "attendees_per_structure"
    )
    warnings = session_rule_warnings(session=sessions["LABO-2"], rules=("attendees_per_structure",))

    assert rule.state == RuleState.WARNING
    assert [(o.session_code, o.detail, o.code, o.state, o.structure_id) for o in rule.offences] == [
        (
            "LABO-2",
            "CCAS de Dembéni : 0 participant·e",
            "attendees_per_structure_min",
            RuleState.WARNING,
            dembeni.pk,
        )
    ]
    # The 0 is among the values observed.
    assert rule.value == "0 à 2"
    assert [(w.code, w.state, w.message) for w in warnings] == [
        (
            "attendees_per_structure_min",
            RuleState.WARNING,
            "Personne de CCAS de Dembéni n'est inscrit·e dans cette session (0 participant·e), "
            "alors que la structure participe à la formation ; le marché prévoit 1 à 3 par "
            "structure.",
        )
    ]


def test_attendees_per_structure_session_not_begun_is_not_flooded():
    """LABO-3 (7 March 2022) is still being filled on 10 January: Dembéni's absence there
    is not a warning yet; it is once the session has begun. A session nobody is enrolled
    in yet gets no warning per structure."""
    formation, sessions, _koungou, _dembeni = _labo_world()
    # A session of next month with nobody enrolled yet, as its page sees it today.
    empty = TrainingSessionFactory(formation=formation, code="LABO-4")
    _full_day(empty, timezone.localdate() + dt.timedelta(days=30))

    before = contract_status(formation=formation, today=dt.date(2022, 1, 10))
    on_the_day = contract_status(formation=formation, today=dt.date(2022, 3, 7))

    offences = before.rule("attendees_per_structure").offences
    assert [o.session_code for o in offences] == ["LABO-2"]
    assert session_contract_warnings(session=empty) == []
    assert [
        (o.session_code, o.detail) for o in on_the_day.rule("attendees_per_structure").offences
    ] == [
        ("LABO-2", "CCAS de Dembéni : 0 participant·e"),
        ("LABO-3", "CCAS de Dembéni : 0 participant·e"),
    ]


def test_attendees_per_structure_sealed_or_completed_session_is_judged_before_its_day():
    """A session marked « Terminée » (or with a sealed half-day) has begun whatever the
    date says: the absent structure is warned there."""
    formation, sessions, _koungou, _dembeni = _labo_world()
    sessions["LABO-3"].status = "completed"
    sessions["LABO-3"].save()

    rule = contract_status(formation=formation, today=dt.date(2021, 9, 1)).rule(
        "attendees_per_structure"
    )

    assert [o.session_code for o in rule.offences] == ["LABO-3"]


def test_attendees_per_structure_cancelled_sessions_neither_judged_nor_counted():
    formation = FormationFactory(attendees_per_structure_min=1, attendees_per_structure_max=3)
    koungou = StructureFactory(name="CCAS de Koungou")
    held = TrainingSessionFactory(formation=formation, code="LABO-1")
    _full_day(held)
    EnrolmentFactory(session=held, participant__structure=koungou)
    cancelled = TrainingSessionFactory(formation=formation, code="LABO-0", status="cancelled")
    _full_day(cancelled)
    EnrolmentFactory(session=cancelled)  # a structure only in a cancelled session

    rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(
        "attendees_per_structure"
    )

    assert rule.state == RuleState.OK
    assert rule.value == "1"


def test_attendees_per_structure_four_when_max_three_beside_an_absent_structure():
    formation, sessions, koungou, _dembeni = _labo_world()
    EnrolmentFactory.create_batch(2, session=sessions["LABO-2"], participant__structure=koungou)

    rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(
        "attendees_per_structure"
    )

    assert rule.state == RuleState.VIOLATED
    assert [(o.session_code, o.detail, o.state) for o in rule.offences] == [
        ("LABO-2", "CCAS de Dembéni : 0 participant·e", RuleState.WARNING),
        ("LABO-2", "CCAS de Koungou : 4 participant·es", RuleState.VIOLATED),
    ]
    assert rule.value == "0 à 4"


def test_attendees_per_structure_maximum_only_absence_is_no_offence():
    formation, sessions, _koungou, _dembeni = _labo_world()
    formation.attendees_per_structure_min = None
    formation.save()

    rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(
        "attendees_per_structure"
    )

    assert (rule.state, rule.offences, rule.value) == (RuleState.OK, (), "0 à 2")


def test_attendees_per_structure_not_applicable_without_rule():
    formation, sessions, _koungou, _dembeni = _labo_world()
    formation.attendees_per_structure_min = formation.attendees_per_structure_max = None
    formation.save()

    rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(
        "attendees_per_structure"
    )

    assert (rule.state, rule.offences, rule.value) == (RuleState.NOT_APPLICABLE, (), "—")
    assert session_contract_warnings(session=sessions["LABO-2"]) == []


def _structures_world(sessions, structures):
    """``sessions`` begun sessions; ``structures`` CCAS, each absent from one session in two."""
    formation = FormationFactory(attendees_per_structure_min=1, attendees_per_structure_max=3)
    ccas = [StructureFactory(name=f"CCAS {i:02d}") for i in range(structures)]
    for number in range(sessions):
        session = TrainingSessionFactory(formation=formation, code=f"LABO-{number:02d}")
        make_slot(session, DAY + dt.timedelta(days=7 * number), *MORNING)
        for index, structure in enumerate(ccas):
            if (number + index) % 2 == 0 or number == 0:
                EnrolmentFactory(session=session, participant__structure=structure)
    return formation


@pytest.mark.parametrize("sessions,structures", [(2, 2), (12, 9)])
def test_attendees_per_structure_query_count_constant(sessions, structures):
    formation = _structures_world(sessions, structures)
    session = formation.sessions.order_by("code").last()
    rules = ("attendees_per_structure",)

    with CaptureQueriesContext(connection) as whole:
        rule = contract_status(formation=formation, today=dt.date(2022, 1, 10)).rule(rules[0])
    with CaptureQueriesContext(connection) as one:
        warnings = session_rule_warnings(session=session, rules=rules)

    # The (session, structure) groups and the sessions with whether they have begun, on
    # the formation page as on one session's page.
    assert (len(whole), len(one)) == (2, 2)
    absences = sum(
        1 for number in range(1, sessions) for index in range(structures) if (number + index) % 2
    )
    assert len(rule.offences) == absences
    assert {w.code for w in warnings} == {"attendees_per_structure_min"}


def test_enrolment_page_lists_the_absent_structure_with_zero(client, coordinator):
    formation, sessions, _koungou, _dembeni = _labo_world()
    client.force_login(coordinator)

    page = client.get(reverse("sessions:session_enrolments", args=[sessions["LABO-2"].pk]))

    rows = [
        (r["name"], r["count"], r["offence"] and r["offence"].state)
        for r in page.context["structure_rows"]
    ]
    assert rows == [("CCAS de Koungou", 2, None), ("CCAS de Dembéni", 0, RuleState.WARNING)]
    assert "CCAS de Dembéni" in page.content.decode()
