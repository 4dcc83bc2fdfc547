import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from evaluations.models import Campaign, Invitation, Questionnaire
from evaluations.sending import send_due
from evaluations.services_campaigns import (
    EvaluationsError,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_update,
    campaigns_schedule_hot_cold,
)
from formations.models import AuditEntry, User
from tests.evaluations.campaign_helpers import (
    QUESTION,
    answer_url,  # noqa: F401 (fixture)
    session_with_days,
    shipped_versions,
)
from tests.factories import (
    EnrolmentFactory,
    FunderFactory,
    ParticipantFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.evaluations import make_version
from tests.factories.planning import make_slot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("answer_url")]

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def test_a_cold_campaign_after_30_november_opens_on_the_last_day_of_february(coordinator):
    _hot, cold = shipped_versions()
    session = session_with_days(dt.date(2026, 11, 27), dt.date(2026, 11, 30))

    campaign = campaign_create(
        actor=coordinator, version=cold, formation=session.formation, session=session
    )

    assert campaign.opens_at == dt.datetime(2027, 2, 28, 9, 0, tzinfo=PARIS)
    assert campaign.opens_at_follows_session


def test_a_mayotte_hot_campaign_opens_at_the_end_of_its_last_half_day_in_mayotte_time(
    coordinator,
):
    hot, _cold = shipped_versions()
    session = TrainingSessionFactory(time_zone="Indian/Mayotte")
    make_slot(session, dt.date(2026, 6, 4), dt.time(8, 0), dt.time(11, 30), countersigned=False)
    make_slot(session, dt.date(2026, 6, 4), dt.time(13, 0), dt.time(16, 30), countersigned=False)

    campaign = campaign_create(
        actor=coordinator, version=hot, formation=session.formation, session=session
    )

    # 16:30 in Mayotte (UTC+3) is 13:30 UTC.
    assert campaign.opens_at == dt.datetime(2026, 6, 4, 13, 30, tzinfo=UTC)


def test_a_mayotte_cold_campaign_opens_at_nine_in_mayotte(coordinator):
    _hot, cold = shipped_versions()
    session = session_with_days(dt.date(2026, 6, 4), zone="Indian/Mayotte")

    campaign = campaign_create(
        actor=coordinator, version=cold, formation=session.formation, session=session
    )

    assert campaign.opens_at == dt.datetime(2026, 9, 4, 6, 0, tzinfo=UTC)


def test_one_click_schedules_hot_and_cold_once(coordinator):
    hot, cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2), dt.date(2026, 3, 3))

    created = campaigns_schedule_hot_cold(actor=coordinator, session=session)
    again = campaigns_schedule_hot_cold(actor=coordinator, session=session)

    assert [c.version for c in created] == [hot, cold]
    assert created[0].opens_at == dt.datetime(2026, 3, 3, 17, 0, tzinfo=PARIS)
    assert created[1].opens_at == dt.datetime(2026, 6, 3, 9, 0, tzinfo=PARIS)
    assert again == []
    assert Campaign.objects.count() == 2
    assert all(c.reminder_delay_days == 7 and c.max_reminders == 2 for c in created)
    assert AuditEntry.objects.filter(action="evaluations.campaign_created").count() == 2


def test_reminder_defaults_come_from_the_settings(coordinator, settings):
    settings.SUIVI_EVALUATION_REMINDER_DAYS = 3
    settings.SUIVI_EVALUATION_MAX_REMINDERS = 1
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))

    campaign = campaign_create(
        actor=coordinator, version=hot, formation=session.formation, session=session
    )

    assert (campaign.reminder_delay_days, campaign.max_reminders) == (3, 1)


def test_a_session_without_half_days_cannot_default(coordinator):
    shipped_versions()
    session = TrainingSessionFactory()

    with pytest.raises(EvaluationsError) as error:
        campaigns_schedule_hot_cold(actor=coordinator, session=session)

    assert error.value.code == "no_half_days"
    assert not Campaign.objects.exists()


def test_the_one_click_needs_the_shipped_questionnaires(coordinator):
    # The migration installs them; a coordinator could not remove them, the database can.
    Questionnaire.objects.filter(code__in=["a-chaud", "a-froid"]).update(code="")
    session = session_with_days(dt.date(2026, 3, 2))

    with pytest.raises(EvaluationsError) as error:
        campaigns_schedule_hot_cold(actor=coordinator, session=session)

    assert error.value.code == "no_default_questionnaire"


def test_other_kinds_need_a_chosen_date(coordinator):
    quiz = make_version(QUESTION, title="Quiz", kind=Questionnaire.Kind.QUIZ)
    session = session_with_days(dt.date(2026, 3, 2))

    with pytest.raises(EvaluationsError) as error:
        campaign_create(
            actor=coordinator, version=quiz, formation=session.formation, session=session
        )
    chosen = dt.datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)
    campaign = campaign_create(
        actor=coordinator,
        version=quiz,
        formation=session.formation,
        session=session,
        opens_at=chosen,
    )

    assert error.value.code == "opens_at_required"
    assert campaign.opens_at == chosen and not campaign.opens_at_follows_session


def test_a_default_date_follows_the_half_days_until_launch(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    followed = campaign_create(
        actor=coordinator, version=hot, formation=session.formation, session=session
    )
    chosen = campaign_create(
        actor=coordinator,
        version=hot,
        formation=session.formation,
        session=session,
        opens_at=dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS),
    )
    make_slot(session, dt.date(2026, 3, 9), dt.time(13, 30), dt.time(16, 0), countersigned=False)

    report = send_due(now=dt.datetime(2026, 3, 5, tzinfo=UTC))

    followed.refresh_from_db()
    chosen.refresh_from_db()
    assert report.moved == 1
    assert followed.opens_at == dt.datetime(2026, 3, 9, 16, 0, tzinfo=PARIS)
    assert followed.launched_at is None
    # The chosen date stays: that campaign went out on it.
    assert chosen.opens_at == dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS)
    assert chosen.launched_at is not None


def test_the_funder_must_fund_the_programme_and_a_team_needs_its_structure(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    stranger = FunderFactory(name="CAF du Nord", kind="caf")

    with pytest.raises(EvaluationsError) as funder:
        campaign_create(
            actor=coordinator,
            version=hot,
            formation=session.formation,
            session=session,
            audience=Campaign.Audience.FUNDER,
            funder=stranger,
        )
    with pytest.raises(EvaluationsError) as team:
        campaign_create(
            actor=coordinator,
            version=hot,
            formation=session.formation,
            session=session,
            audience=Campaign.Audience.STRUCTURE_TEAM,
        )

    assert (funder.value.code, team.value.code) == ("funder_not_of_programme", "structure_required")
    assert not Campaign.objects.exists()


def test_dates_and_reminders_change_before_launch_only(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    campaign = campaign_create(
        actor=coordinator, version=hot, formation=session.formation, session=session
    )
    chosen = dt.datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)

    campaign_update(
        actor=coordinator,
        campaign=campaign,
        opens_at=chosen,
        closes_at=chosen + dt.timedelta(days=30),
        reminder_delay_days=5,
        max_reminders=3,
    )
    campaign.refresh_from_db()
    assert (campaign.opens_at, campaign.reminder_delay_days, campaign.max_reminders) == (
        chosen,
        5,
        3,
    )
    assert not campaign.opens_at_follows_session
    with pytest.raises(EvaluationsError) as backwards:
        campaign_update(
            actor=coordinator,
            campaign=campaign,
            opens_at=chosen,
            closes_at=chosen - dt.timedelta(days=1),
            reminder_delay_days=5,
            max_reminders=3,
        )
    send_due(now=chosen + dt.timedelta(hours=1))
    with pytest.raises(EvaluationsError) as launched:
        campaign_update(
            actor=coordinator,
            campaign=campaign,
            opens_at=None,
            closes_at=None,
            reminder_delay_days=5,
            max_reminders=3,
        )

    assert backwards.value.code == "closes_before_opens"
    assert launched.value.code == "launched"


def test_a_campaign_is_cancelled_once(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    campaign = campaign_create(
        actor=coordinator, version=hot, formation=session.formation, session=session
    )

    campaign_cancel(actor=coordinator, campaign=campaign)
    with pytest.raises(EvaluationsError) as again:
        campaign_cancel(actor=coordinator, campaign=campaign)

    campaign.refresh_from_db()
    assert campaign.cancelled_at is not None
    assert again.value.code == "cancelled"
    assert AuditEntry.objects.filter(action="evaluations.campaign_cancelled").count() == 1


@pytest.mark.parametrize("role", [User.Role.TRAINER, User.Role.FUNDER_AUDITOR])
def test_only_coordinators_write_campaigns(role):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    outsider = UserFactory(role=role)
    campaign = campaign_create(
        actor=None, version=hot, formation=session.formation, session=session
    )

    with pytest.raises(PermissionDenied):
        campaign_create(actor=outsider, version=hot, formation=session.formation, session=session)
    with pytest.raises(PermissionDenied):
        campaigns_schedule_hot_cold(actor=outsider, session=session)
    with pytest.raises(PermissionDenied):
        campaign_cancel(actor=outsider, campaign=campaign)

    assert Campaign.objects.count() == 1
    assert Campaign.objects.get().cancelled_at is None


def test_a_formation_wide_campaign_asks_each_participant_once_for_their_latest_session(
    coordinator,
):
    hot, _cold = shipped_versions()
    first = session_with_days(dt.date(2026, 3, 2))
    second = session_with_days(dt.date(2026, 5, 4), formation=first.formation)
    person = ParticipantFactory()
    EnrolmentFactory(session=second, participant=person)
    EnrolmentFactory(session=first, participant=person)
    other = EnrolmentFactory(session=first)
    campaign = campaign_create(
        actor=coordinator,
        version=hot,
        formation=first.formation,
        opens_at=dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS),
    )

    enrolments, users = campaign_audience(campaign)

    assert users == []
    assert sorted((e.participant_id, e.session_id) for e in enrolments) == sorted(
        [(person.pk, second.pk), (other.participant_id, first.pk)]
    )


def test_audiences_trainers_team_and_funder(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    trainer = UserFactory(role=User.Role.TRAINER)
    UserFactory(role=User.Role.TRAINER)
    session.trainers.add(trainer)
    structure = StructureFactory()
    team = EnrolmentFactory(session=session, participant__structure=structure)
    EnrolmentFactory(session=session)
    funder = FunderFactory(name="Département", kind="departement")
    session.formation.programme.funders.add(funder)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(funder)
    gone = UserFactory(role=User.Role.FUNDER_AUDITOR, is_active=False)
    gone.funders.add(funder)
    opens = dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS)

    def audience(**fields):
        campaign = campaign_create(
            actor=coordinator,
            version=hot,
            formation=session.formation,
            session=session,
            opens_at=opens,
            **fields,
        )
        enrolments, users = campaign_audience(campaign)
        return [e.pk for e in enrolments], users

    assert audience(audience=Campaign.Audience.TRAINERS) == ([], [trainer])
    assert audience(audience=Campaign.Audience.STRUCTURE_TEAM, structure=structure) == (
        [team.pk],
        [],
    )
    assert audience(audience=Campaign.Audience.FUNDER, funder=funder) == ([], [auditor])
    assert not Invitation.objects.exists()


def test_a_funder_or_team_campaign_that_would_reach_nobody_is_refused(coordinator):
    hot, _cold = shipped_versions()
    session = session_with_days(dt.date(2026, 3, 2))
    funder = FunderFactory(name="Département de la Seine-Saint-Denis", kind="departement")
    session.formation.programme.funders.add(funder)
    gone = UserFactory(role=User.Role.FUNDER_AUDITOR, is_active=False)
    gone.funders.add(funder)
    elsewhere = StructureFactory(name="Centre social Nord")
    EnrolmentFactory(participant__structure=elsewhere)  # another session
    opens = dt.datetime(2026, 3, 2, 17, 0, tzinfo=PARIS)

    def refused(**fields):
        with pytest.raises(EvaluationsError) as error:
            campaign_create(
                actor=coordinator,
                version=hot,
                formation=session.formation,
                session=session,
                opens_at=opens,
                **fields,
            )
        return error.value

    funder_error = refused(audience=Campaign.Audience.FUNDER, funder=funder)
    team_error = refused(audience=Campaign.Audience.STRUCTURE_TEAM, structure=elsewhere)

    assert funder_error.code == "funder_without_auditor"
    assert funder_error.message == (
        "Le financeur « Département de la Seine-Saint-Denis » n'a aucun compte "
        "d'auditeur·rice actif : créez-en un dans Comptes, ou choisissez un autre financeur."
    )
    assert team_error.code == "structure_without_participant"
    assert "Centre social Nord" in team_error.message
    assert not Campaign.objects.exists()
