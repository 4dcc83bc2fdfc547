import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.selectors.contract import RuleState, contract_status, session_contract_warnings
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
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


def _formation_with(count):
    formation = FormationFactory(
        group_size_min=1,
        group_size_max=2,
        min_hours_per_day=Decimal("7"),
        sessions_max=3,
        trainees_target_min=1,
        attendees_per_structure_max=1,
    )
    structure = StructureFactory()
    for i in range(count):
        session = TrainingSessionFactory(formation=formation)
        slot = make_slot(session, DAY + dt.timedelta(days=i), *MORNING)
        for _ in range(3):
            attend(EnrolmentFactory(session=session, participant__structure=structure), slot)
    return formation


@pytest.mark.parametrize("count", [10, 200])
def test_contract_status_query_count_constant(count):
    formation = _formation_with(count)

    with CaptureQueriesContext(connection) as queries:
        status = contract_status(formation=formation)
        states = [r.state for r in status.rules]

    assert len(queries) == 9
    assert states == [RuleState.VIOLATED] * 3 + [RuleState.OK, RuleState.VIOLATED]
    assert len(status.rule("min_hours_per_day").offences) == count
