import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from formations.models import AuditEntry, Funder, User
from sessions.models import Slot, TrainingSession
from tests.factories import (
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
    UserFactory,
)
from tests.factories.planning import attend, make_slot

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 10, 4)
MORNING = (dt.time(9, 0), dt.time(12, 30))
AFTERNOON = (dt.time(13, 30), dt.time(17, 0))

LIST_URL = reverse("sessions:session_list")
CREATE_URL = reverse("sessions:session_create")


def _detail(session):
    return reverse("sessions:session_detail", args=[session.pk])


def _edit(session):
    return reverse("sessions:session_edit", args=[session.pk])


def _login(client, user):
    client.force_login(user)
    return client


# --- list ---------------------------------------------------------------------------------


def _sessions(count, **kwargs):
    formation = FormationFactory(**kwargs)
    structure = StructureFactory()
    sessions = []
    for i in range(count):
        session = TrainingSessionFactory(formation=formation)
        slot = make_slot(session, DAY + dt.timedelta(days=i % 20), *MORNING)
        attend(EnrolmentFactory(session=session, participant__structure=structure), slot)
        sessions.append(session)
    return sessions


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_session_list_query_count_constant(client, coordinator):
    _login(client, coordinator)
    _sessions(10)
    small = _count_queries(client, LIST_URL)
    _sessions(190)

    large = _count_queries(client, LIST_URL)

    assert large == small


def test_session_list_query_count_constant_for_trainer(client, trainer):
    _login(client, trainer)
    for session in _sessions(10):
        session.trainers.add(trainer)
    small = _count_queries(client, LIST_URL)
    for session in _sessions(190):
        session.trainers.add(trainer)

    assert _count_queries(client, LIST_URL) == small


def test_session_list_shows_dates_hours_and_counts(client, coordinator):
    session = TrainingSessionFactory(
        code="LABO-MAYOTTE", time_zone="Indian/Mayotte", place="Mamoudzou"
    )
    morning = make_slot(session, DAY, *MORNING)
    make_slot(session, DAY + dt.timedelta(days=2), *AFTERNOON)
    attend(EnrolmentFactory(session=session), morning, "late", minutes=150)
    EnrolmentFactory(session=session)

    response = _login(client, coordinator).get(LIST_URL)

    html = response.content.decode()
    assert "LABO-MAYOTTE" in html
    assert "04/10/2021 – 06/10/2021" in html
    assert "2 h 30 / 14 h" in html  # 150 realised of 2 people × 7 h planned
    assert 'value="150" max="840"' in html


def test_session_list_trainer_sees_only_own(client, trainer):
    mine = TrainingSessionFactory(code="MINE")
    mine.trainers.add(trainer)
    TrainingSessionFactory(code="OTHER")

    response = _login(client, trainer).get(LIST_URL)

    codes = [row.record.code for row in response.context["table"].rows]
    assert codes == ["MINE"]


def test_session_list_filters(client, coordinator):
    formation = FormationFactory(contract_reference="FEDER-2018-AO.3")
    early = TrainingSessionFactory(formation=formation, code="EARLY")
    make_slot(early, dt.date(2021, 3, 1), *MORNING)
    late = TrainingSessionFactory(
        formation=formation,
        code="LATE",
        modality="remote",
        remote_url="https://visio.example.org/x",
    )
    make_slot(late, dt.date(2021, 11, 8), *MORNING)
    other = TrainingSessionFactory(code="OTHER", status="cancelled")
    make_slot(other, dt.date(2021, 11, 8), *MORNING)
    _login(client, coordinator)

    def codes(**params):
        response = client.get(LIST_URL, params)
        return sorted(row.record.code for row in response.context["table"].rows)

    assert codes(formation=formation.pk) == ["EARLY", "LATE"]
    assert codes(programme=formation.programme_id) == ["EARLY", "LATE"]
    assert codes(status="cancelled") == ["OTHER"]
    assert codes(modality="remote") == ["LATE"]
    assert codes(date_from="2021-11-01") == ["LATE", "OTHER"]
    assert codes(date_to="2021-03-31") == ["EARLY"]
    assert codes(date_from="2021-03-01", date_to="2021-03-01") == ["EARLY"]
    assert codes(q="AO.3 late") == ["LATE"]


def test_session_list_formation_filter_offers_visible_only(client, trainer):
    mine = TrainingSessionFactory()
    mine.trainers.add(trainer)
    hidden = FormationFactory()

    response = _login(client, trainer).get(LIST_URL)

    choices = list(response.context["filter"].form.fields["formation"].queryset)
    assert choices == [mine.formation]
    assert hidden not in choices


def test_session_list_csv_export(client, coordinator):
    session = TrainingSessionFactory(code="LABO-CSV")
    morning = make_slot(session, DAY, *MORNING)
    attend(EnrolmentFactory(session=session), morning)
    TrainingSessionFactory(code="HIDDEN-BY-FILTER", status="cancelled")

    response = _login(client, coordinator).get(LIST_URL, {"_export": "csv", "status": "planned"})

    assert response["Content-Type"].startswith("text/csv")
    # What a French Excel opens by a double click: BOM, « ; », decimal commas.
    content = response.getvalue()
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    header, *data = rows
    assert header[0] == "Code"
    assert "Heures-stagiaires réalisées" in header
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["Code"] == "LABO-CSV"
    assert record["Heures-stagiaires réalisées"] == "3,50"
    assert record["Heures-stagiaires prévues"] == "3,50"
    assert record["Dates"] == "2021-10-04"  # one day: one date
    assert (record["Statut"], record["Modalité"]) == ("Programmée", "Présentiel")


def test_session_list_xlsx_export(client, coordinator):
    TrainingSessionFactory(code="LABO-XLSX")

    response = _login(client, coordinator).get(LIST_URL, {"_export": "xlsx"})

    book = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    values = [row[0] for row in book.active.iter_rows(values_only=True)]
    assert values == ["Code", "LABO-XLSX"]


# --- create / edit ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["trainer", "funder_auditor", "structure_referent"])
def test_session_create_forbidden_to_non_coordinators(client, role):
    user = UserFactory(
        role=role, structure=StructureFactory() if role == "structure_referent" else None
    )
    session = TrainingSessionFactory()
    if role == "trainer":
        session.trainers.add(user)
    _login(client, user)

    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, {}).status_code == 403
    assert client.get(_edit(session)).status_code == 403
    assert TrainingSession.objects.count() == 1


def _post_data(formation, trainer=None, slots=(), **extra):
    data = {
        "formation": formation.pk,
        "code": "LABO-2021-3",
        "place": "Mamoudzou",
        "address": "",
        "time_zone": "Indian/Mayotte",
        "modality": "on_site",
        "remote_url": "",
        "status": "planned",
        "notes": "",
        "action": "save",
        "slots-TOTAL_FORMS": str(len(slots)),
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "1000",
    }
    if trainer is not None:
        data["trainers"] = [trainer.pk]
    for i, (day, start, end, *slot_id) in enumerate(slots):
        data[f"slots-{i}-day"] = day
        data[f"slots-{i}-start"] = start
        data[f"slots-{i}-end"] = end
        data[f"slots-{i}-slot_id"] = slot_id[0] if slot_id else ""
    data.update(extra)
    return data


def test_session_create_page_offers_day_template(client, coordinator):
    response = _login(client, coordinator).get(CREATE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="tpl-first_day"' in html
    assert 'value="09:00"' in html and 'value="12:30"' in html
    assert 'value="13:30"' in html and 'value="17:00"' in html


def test_session_create_generate_prefills_rows(client, coordinator):
    formation = FormationFactory()
    data = _post_data(formation, action="generate")
    data.update(
        {
            "tpl-first_day": "2021-10-04",
            "tpl-days": "3",
            "tpl-morning": "on",
            "tpl-morning_start": "09:00",
            "tpl-morning_end": "12:30",
            "tpl-afternoon": "on",
            "tpl-afternoon_start": "13:30",
            "tpl-afternoon_end": "17:00",
        }
    )

    response = _login(client, coordinator).post(CREATE_URL, data)

    formset = response.context["formset"]
    assert [(f.initial["day"], f.initial["start"]) for f in formset.forms[:6]] == [
        (dt.date(2021, 10, d), t) for d in (4, 5, 6) for t in (dt.time(9), dt.time(13, 30))
    ]
    assert not TrainingSession.objects.exists()
    assert 'value="LABO-2021-3"' in response.content.decode()


def test_session_create_saves_mayotte_slots_and_warns(client, coordinator, trainer):
    formation = FormationFactory(group_size_min=10, group_size_max=15, min_hours_per_day=Decimal(7))
    slots = [
        ("2021-10-04", "09:00", "12:30"),
        ("2021-10-04", "13:30", "17:00"),
        ("2021-10-05", "09:00", "12:00"),
    ]

    response = _login(client, coordinator).post(
        CREATE_URL, _post_data(formation, trainer, slots), follow=True
    )

    session = TrainingSession.objects.get(code="LABO-2021-3")
    assert response.redirect_chain[-1][0] == _detail(session)
    assert session.time_zone == "Indian/Mayotte"
    assert list(session.trainers.all()) == [trainer]
    first = session.slots.order_by("starts_at").first()
    assert first.starts_at == dt.datetime(2021, 10, 4, 6, 0, tzinfo=dt.UTC)
    levels = {(m.level_tag, m.message) for m in response.context["messages"]}
    warnings = [text for level, text in levels if level == "warning"]
    assert any("10 à 15 personnes" in w for w in warnings)
    assert any("ne compte que 3 h prévues" in w for w in warnings)
    assert AuditEntry.objects.filter(action="session.create", object_id=str(session.pk)).exists()


def test_session_saved_outside_execution_period_warns(client, coordinator, trainer):
    # The Seine-Saint-Denis contract runs from January to June 2022, one-day sessions.
    formation = FormationFactory(
        start_date=dt.date(2022, 1, 1), end_date=dt.date(2022, 6, 30), session_days=1
    )
    slots = [
        ("2022-06-30", "09:00", "12:30"),
        ("2022-07-01", "09:00", "12:30"),
        ("2022-07-01", "13:30", "17:00"),
    ]

    response = _login(client, coordinator).post(
        CREATE_URL, _post_data(formation, trainer, slots, time_zone="Europe/Paris"), follow=True
    )

    session = TrainingSession.objects.get(code="LABO-2021-3")
    assert session.slots.count() == 3  # a warning, never a refusal
    warnings = [m.message for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "La session a 2 demi-journées le 1er juillet 2022, hors de la période d'exécution du "
        "marché (du 1er janvier 2022 au 30 juin 2022).",
        "La session s'étend sur 2 jours (du 30 juin 2022 au 1er juillet 2022) ; le marché "
        "prévoit des sessions d'une journée.",
    ]
    # The session's page repeats them.
    assert response.context["warnings"] == warnings


def test_session_moved_back_into_execution_period_no_longer_warns(client, coordinator, trainer):
    formation = FormationFactory(start_date=dt.date(2022, 1, 1), end_date=dt.date(2022, 6, 30))
    session = TrainingSessionFactory(formation=formation, code="LABO-2021-3")
    slot = make_slot(session, dt.date(2022, 7, 1), *MORNING, countersigned=False)

    response = _login(client, coordinator).post(
        _edit(session),
        _post_data(
            formation,
            trainer,
            [("2022-06-28", "09:00", "12:30", slot.pk)],
            time_zone="Europe/Paris",
        ),
        follow=True,
    )

    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_session_create_trainers_limited_to_trainer_role(client, coordinator, trainer):
    UserFactory(role=User.Role.FUNDER_AUDITOR)
    UserFactory(role=User.Role.TRAINER, is_active=False)

    response = _login(client, coordinator).get(CREATE_URL)

    assert list(response.context["form"].fields["trainers"].queryset) == [trainer]


def test_session_create_invalid_slots_shows_errors(client, coordinator):
    formation = FormationFactory()
    slots = [("2021-10-04", "09:00", "12:30"), ("2021-10-04", "12:00", "17:00")]

    response = _login(client, coordinator).post(CREATE_URL, _post_data(formation, slots=slots))

    assert response.status_code == 200
    assert response.context["service_error"].code == "slot_overlap"
    assert "chevauche" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_session_create_remote_requires_url(client, coordinator):
    formation = FormationFactory()
    data = _post_data(formation, slots=[("2021-10-04", "09:00", "12:30")], modality="remote")

    response = _login(client, coordinator).post(CREATE_URL, data)

    assert "remote_url" in response.context["form"].errors
    assert not TrainingSession.objects.exists()


def _edit_data(session, rows, **extra):
    """POST data for the edit page: rows = [(day, start, end, slot_id)], all existing first."""
    data = _post_data(
        session.formation, slots=rows, code=session.code, time_zone=session.time_zone, **extra
    )
    data["slots-INITIAL_FORMS"] = str(session.slots.count())
    return data


def test_session_edit_refuses_moving_attended_slot(client, coordinator):
    session = TrainingSessionFactory(time_zone="Europe/Paris")
    morning = make_slot(session, DAY, *MORNING, countersigned=False)
    afternoon = make_slot(session, DAY, *AFTERNOON, countersigned=False)
    attend(EnrolmentFactory(session=session), morning)
    _login(client, coordinator)

    # The locked row is disabled: what is posted for it is ignored…
    rows = [
        ("2021-10-04", "10:00", "12:30", morning.pk),
        ("2021-10-04", "14:00", "17:00", afternoon.pk),
    ]
    response = client.post(_edit(session), _edit_data(session, rows))

    assert response.status_code == 302
    morning.refresh_from_db()
    afternoon.refresh_from_db()
    assert morning.local_start.strftime("%H:%M") == "09:00"
    assert afternoon.local_start.strftime("%H:%M") == "14:00"

    # …and dropping its row is caught before the service: rows no longer match the slots.
    rows = [("2021-10-04", "14:00", "17:00", afternoon.pk)]
    data = _edit_data(session, rows)
    data["slots-INITIAL_FORMS"] = "1"
    response = client.post(_edit(session), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert Slot.objects.filter(pk=morning.pk).exists()


def test_session_edit_time_zone_and_formation_fixed_once_attended(client, coordinator):
    session = TrainingSessionFactory(time_zone="Europe/Paris", place="Avant")
    formation = session.formation
    morning = make_slot(session, DAY, *MORNING, countersigned=False)
    attend(EnrolmentFactory(session=session), morning)
    _login(client, coordinator)

    page = client.get(_edit(session))
    assert page.context["form"].fields["time_zone"].disabled
    assert page.context["form"].fields["formation"].disabled
    assert "Ne peut plus changer" in page.content.decode()

    # What is posted for the disabled fields is ignored; the rest is saved.
    rows = [("2021-10-04", "09:00", "12:30", morning.pk)]
    data = _edit_data(session, rows, place="Après")
    data["time_zone"] = "Indian/Mayotte"
    data["formation"] = str(FormationFactory().pk)
    response = client.post(_edit(session), data)

    assert response.status_code == 302
    session.refresh_from_db()
    morning.refresh_from_db()
    assert (session.time_zone, session.formation, session.place) == (
        "Europe/Paris",
        formation,
        "Après",
    )
    assert morning.local_start.strftime("%H:%M") == "09:00"


def test_session_edit_time_zone_free_before_any_evidence(client, coordinator):
    session = TrainingSessionFactory(time_zone="Europe/Paris")
    morning = make_slot(session, DAY, *MORNING, countersigned=False)
    rows = [("2021-10-04", "09:00", "12:30", morning.pk)]
    data = _edit_data(session, rows)
    data["time_zone"] = "Indian/Mayotte"

    response = _login(client, coordinator).post(_edit(session), data)

    assert response.status_code == 302
    morning.refresh_from_db()
    assert morning.local_start.strftime("%H:%M") == "09:00"
    assert morning.session.time_zone == "Indian/Mayotte"


def test_session_edit_page_marks_locked_rows(client, coordinator):
    session = TrainingSessionFactory()
    morning = make_slot(session, DAY, *MORNING, countersigned=False)
    make_slot(session, DAY, *AFTERNOON, countersigned=False)
    attend(EnrolmentFactory(session=session), morning)

    response = _login(client, coordinator).get(_edit(session))

    forms = response.context["formset"].forms
    assert forms[0].locked_reason == "émargements enregistrés"
    assert forms[0].fields["start"].disabled
    assert not forms[1].locked_reason
    assert "Verrouillée : émargements enregistrés" in response.content.decode()


# --- detail -------------------------------------------------------------------------------


def _rich_session(people=3, **kwargs):
    session = TrainingSessionFactory(**kwargs)
    morning = make_slot(session, DAY, *MORNING)
    afternoon = make_slot(session, DAY, *AFTERNOON, countersigned=False)
    enrolments = [EnrolmentFactory(session=session) for _ in range(people)]
    for enrolment in enrolments:
        attend(enrolment, morning)
        attend(enrolment, afternoon)
    return session, enrolments


def test_session_detail_shows_slots_and_hours(client, coordinator):
    session, enrolments = _rich_session(code="LABO-DETAIL", time_zone="Indian/Mayotte")

    response = _login(client, coordinator).get(_detail(session))

    html = response.content.decode()
    assert "09:00–12:30" in html and "13:30–17:00" in html
    assert "3 / 3" in html
    assert enrolments[0].participant.full_name in html
    rows = {e.pk: e for e in response.context["enrolments"]}
    # Afternoon not countersigned: only the morning counts.
    assert {e.realised_minutes for e in rows.values()} == {210}
    assert {e.planned_minutes for e in rows.values()} == {420}
    assert "3 h 30" in html and "7 h" in html
    assert "Indian/Mayotte" in html
    assert reverse("sessions:slot_paper", args=[session.slots.first().pk]) in html
    assert 'style="' not in html


def test_session_detail_query_count_constant(client, coordinator):
    small, _ = _rich_session(people=10)
    large, _ = _rich_session(people=200)
    _login(client, coordinator)
    client.get(_detail(small))  # warm-up (session, content types)

    assert _count_queries(client, _detail(small)) == _count_queries(client, _detail(large))


def test_session_detail_trainer_own_only(client, trainer):
    mine, _ = _rich_session()
    mine.trainers.add(trainer)
    other, _ = _rich_session()
    _login(client, trainer)

    assert client.get(_detail(mine)).status_code == 200
    assert client.get(_detail(other)).status_code == 404


def test_session_detail_auditor_sees_funded_programmes_only(client, auditor):
    programme = ProgrammeFactory()
    programme.funders.add(Funder.objects.get(name="FEDER"))
    funded = TrainingSessionFactory(formation__programme=programme)
    other_programme = ProgrammeFactory()
    other_programme.funders.add(FunderFactory(name="Région Hauts-de-France", kind="region"))
    other = TrainingSessionFactory(formation__programme=other_programme)
    _login(client, auditor)

    assert client.get(_detail(funded)).status_code == 200
    assert client.get(_detail(other)).status_code == 404


def test_session_detail_referent_sees_own_people_only(client, referent):
    session = TrainingSessionFactory()
    slot = make_slot(session, DAY, *MORNING)
    mine = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(structure=referent.structure, last_name="Mienne"),
    )
    theirs = EnrolmentFactory(session=session, participant=ParticipantFactory(last_name="Autre"))
    attend(mine, slot)
    attend(theirs, slot)
    elsewhere = TrainingSessionFactory()
    EnrolmentFactory(session=elsewhere)
    _login(client, referent)

    response = client.get(_detail(session))

    html = response.content.decode()
    assert "MIENNE" in html
    assert "AUTRE" not in html
    assert "1 / 1" in html
    assert response.context["warnings"] == []
    assert client.get(_detail(elsewhere)).status_code == 404


def test_session_detail_shows_contract_warnings(client, coordinator):
    formation = FormationFactory(attendees_per_structure_max=3)
    session = TrainingSessionFactory(formation=formation)
    structure = StructureFactory(name="CCAS de Dembéni")
    EnrolmentFactory.create_batch(4, session=session, participant__structure=structure)

    response = _login(client, coordinator).get(_detail(session))

    assert "CCAS de Dembéni a 4 participant·es" in response.content.decode()


# --- panels -------------------------------------------------------------------------------


def test_formation_page_shows_contract_panel(client, coordinator):
    formation = FormationFactory(sessions_max=1)
    first, second = TrainingSessionFactory.create_batch(2, formation=formation)

    response = _login(client, coordinator).get(
        reverse("formations:formation_detail", args=[formation.pk])
    )

    html = response.content.decode()
    assert "Règles du marché" in html
    assert "non respectée" in html
    assert second.code in html and first.code in html


def test_formation_page_flags_session_outside_execution_period(client, coordinator):
    formation = FormationFactory(
        start_date=dt.date(2021, 5, 1),
        end_date=dt.date(2022, 12, 31),
        sessions_min_in_year=2,
        sessions_min_year=2021,
        session_days=3,
    )
    inside = TrainingSessionFactory(formation=formation, code="LABO-2021-1")
    late = TrainingSessionFactory(formation=formation, code="LABO-2023-1")
    for offset in range(3):
        make_slot(inside, dt.date(2021, 10, 4 + offset), *MORNING)
        make_slot(late, dt.date(2023, 1, 9 + offset), *MORNING)

    response = _login(client, coordinator).get(
        reverse("formations:formation_detail", args=[formation.pk])
    )

    rules = response.context["panels"][0][1]["contract"].by_code
    period = rules["execution_period"]
    assert period.state == "violated"
    assert [(o.session_code, o.detail) for o in period.offences] == [
        ("LABO-2023-1", "3 demi-journées hors période (09/01/2023 – 11/01/2023)")
    ]
    html = response.content.decode()
    row = html[html.index('class="rule-execution_period') :]
    row = row[: row.index("</tr>")]
    assert "du 1er mai 2021 au 31 décembre 2022" in row
    assert "non respectée" in row
    assert _detail(late) in row and _detail(inside) not in row
    assert "au moins 2 sessions en 2021" in html
    assert "3 jours consécutifs par session" in html


@pytest.mark.parametrize("role", ["coordinator", "auditor"])
def test_formation_page_query_count_constant(client, role, request):
    user = request.getfixturevalue(role)
    formation = FormationFactory(
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2021, 12, 31),
        sessions_max=2,
        sessions_min_in_year=2,
        sessions_min_year=2021,
        monthly_rhythm=True,
        session_days=1,
        min_hours_per_day=Decimal(7),
        group_size_max=2,
        trainees_target_min=1,
        attendees_per_structure_max=1,
    )
    if role == "auditor":
        formation.programme.funders.add(*user.funders.all())
    url = reverse("formations:formation_detail", args=[formation.pk])
    structure = StructureFactory()

    def add_sessions(count):
        for i in range(count):
            session = TrainingSessionFactory(formation=formation)
            slot = make_slot(session, dt.date(2021, 3, 1) + dt.timedelta(days=i * 5), *MORNING)
            for _ in range(3):
                attend(EnrolmentFactory(session=session, participant__structure=structure), slot)

    _login(client, user)
    add_sessions(3)
    small = _count_queries(client, url)
    add_sessions(27)

    assert _count_queries(client, url) == small


def test_dashboard_shows_upcoming_sessions_and_today_links(client, trainer):
    with time_machine.travel(dt.datetime(2021, 10, 4, 7, 0, tzinfo=dt.UTC), tick=False):
        mine = TrainingSessionFactory(code="LABO-SOON")
        mine.trainers.add(trainer)
        today = make_slot(mine, timezone.localdate(), *MORNING, countersigned=False)
        far = TrainingSessionFactory(code="LABO-FAR")
        far.trainers.add(trainer)
        make_slot(far, dt.date(2021, 11, 30), *MORNING, countersigned=False)
        not_mine = TrainingSessionFactory(code="LABO-OTHER")
        make_slot(not_mine, dt.date(2021, 10, 5), *MORNING, countersigned=False)

        response = _login(client, trainer).get(reverse("dashboard"))

    html = response.content.decode()
    assert "LABO-SOON" in html
    assert "LABO-FAR" not in html and "LABO-OTHER" not in html
    assert reverse("sessions:slot_detail", args=[today.pk]) in html


def test_dashboard_shows_next_half_day_in_the_session_local_time(client, trainer):
    # 08:00 in Mayotte is 06:00 in Paris (summer): the page must say 08:00, heure de Mayotte.
    with time_machine.travel(dt.datetime(2021, 9, 29, 7, 0, tzinfo=dt.UTC), tick=False):
        session = TrainingSessionFactory(code="LABO-MAY", time_zone="Indian/Mayotte")
        session.trainers.add(trainer)
        make_slot(session, dt.date(2021, 10, 1), dt.time(8, 0), dt.time(12, 0), countersigned=False)

        response = _login(client, trainer).get(reverse("dashboard"))

    html = response.content.decode()
    assert "Prochaine demi-journée : vendredi 1er octobre, 08:00 (heure de Mayotte)" in html


def test_dashboard_hours_chart(client, coordinator):
    session, _ = _rich_session(formation__contract_reference="FSE-2022-LOT1")

    response = _login(client, coordinator).get(reverse("dashboard"))

    html = response.content.decode()
    assert "<svg" in html and "FSE-2022-LOT1" in html
    assert "10 h 30 / 21 h (50 %)" in html


def test_structure_page_shows_hours_per_participant(client, coordinator):
    structure = StructureFactory()
    session = TrainingSessionFactory()
    slot = make_slot(session, DAY, *MORNING)
    attend(
        EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(structure=structure, last_name="Ahamada"),
        ),
        slot,
        "late",
        minutes=150,
    )

    response = _login(client, coordinator).get(
        reverse("formations:structure_detail", args=[structure.pk])
    )

    html = response.content.decode()
    assert "Heures par participant·e" in html
    assert "AHAMADA" in html and "2 h 30" in html


def test_participant_page_shows_sessions_hours(client, coordinator):
    session = TrainingSessionFactory(code="LABO-PART")
    slot = make_slot(session, DAY, *MORNING)
    enrolment = EnrolmentFactory(session=session)
    attend(enrolment, slot)

    response = _login(client, coordinator).get(
        reverse("formations:participant_detail", args=[enrolment.participant.pk])
    )

    html = response.content.decode()
    assert "LABO-PART" in html and "3 h 30" in html


def test_session_create_prefills_formation_from_query(client, coordinator):
    formation = FormationFactory()

    response = _login(client, coordinator).get(CREATE_URL, {"formation": formation.pk})

    assert response.context["form"].initial["formation"] == formation


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999999"])
def test_session_create_odd_formation_query_ignored_not_server_error(client, coordinator, value):
    response = _login(client, coordinator).get(CREATE_URL, {"formation": value})

    assert response.status_code == 200
    assert response.context["form"].initial.get("formation") is None


def test_session_create_generated_rows_saved_as_posted_by_browser(client, coordinator):
    formation = FormationFactory()
    data = _post_data(formation, action="generate")
    data.update(
        {
            "tpl-first_day": "2021-10-04",
            "tpl-days": "3",
            "tpl-morning": "on",
            "tpl-morning_start": "09:00",
            "tpl-morning_end": "12:30",
            "tpl-afternoon": "on",
            "tpl-afternoon_start": "13:30",
            "tpl-afternoon_end": "17:00",
        }
    )
    _login(client, coordinator)
    formset = client.post(CREATE_URL, data).context["formset"]
    # What the browser sends back: the management form and every row, blank ones included,
    # the second afternoon ticked for deletion.
    posted = _post_data(formation)
    posted.update({f"slots-{k}": v for k, v in formset.management_form.initial.items()})
    for i, form in enumerate(formset.forms):
        posted[f"slots-{i}-slot_id"] = ""
        posted[f"slots-{i}-day"] = form.initial.get("day", "") and form.initial["day"].isoformat()
        posted[f"slots-{i}-start"] = (
            form.initial.get("start", "") and f"{form.initial['start']:%H:%M}"
        )
        posted[f"slots-{i}-end"] = form.initial.get("end", "") and f"{form.initial['end']:%H:%M}"
    posted["slots-3-DELETE"] = "on"

    response = client.post(CREATE_URL, posted)

    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert session.slots.count() == 5
    assert formset.management_form.initial["INITIAL_FORMS"] == 6
