import contextlib
import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from formations import panels
from formations.consent import may_contact
from formations.models import AuditEntry, Formation, Funder, Participant, Programme, Structure
from tests.factories import (
    ContactConsentFactory,
    EnrolmentFactory,
    FormationFactory,
    FunderFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StructureFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


# --- Query counts: constant whatever the number of rows ---------------------------------


def _programme_rows(n, ctx):
    for _ in range(n):
        programme = ProgrammeFactory()
        programme.funders.add(ctx["feder"], ctx["region"])
        programme.structures.add(StructureFactory())


def _formation_rows(n, ctx):
    for _ in range(n):
        programme = ProgrammeFactory()
        programme.funders.add(ctx["feder"])
        FormationFactory(programme=programme)


def _structure_rows(n, ctx):
    for _ in range(n):
        structure = StructureFactory()
        ctx["programme"].structures.add(structure)
        ParticipantFactory.create_batch(2, structure=structure)


def _participant_rows(n, ctx):
    for _ in range(n):
        participant = ParticipantFactory(structure=StructureFactory(), phone="+33612345678")
        EnrolmentFactory(session=ctx["session"], participant=participant)
        ContactConsentFactory(participant=participant, channel="sms", purpose="news_campaigns")


def _funder_rows(n, ctx):
    for _ in range(n):
        funder = FunderFactory(name=f"Financeur {Funder.objects.count()}", kind=Funder.Kind.CAF)
        ProgrammeFactory().funders.add(funder)


LISTS = {
    "formations:programme_list": _programme_rows,
    "formations:formation_list": _formation_rows,
    "formations:structure_list": _structure_rows,
    "formations:participant_list": _participant_rows,
    "formations:funder_list": _funder_rows,
}


@pytest.fixture
def list_context(auditor):
    feder = auditor.funders.get()
    region = FunderFactory(name="Région Hauts-de-France", kind=Funder.Kind.REGION)
    programme = ProgrammeFactory()
    programme.funders.add(feder)
    session = TrainingSessionFactory(formation=FormationFactory(programme=programme))
    return {"feder": feder, "region": region, "programme": programme, "session": session}


def _count_queries(client, url):
    """Queries of a page or an export, the export's streamed body read inside the count."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        body = response.getvalue()
    assert response.status_code == 200
    return len(queries), body


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
@pytest.mark.parametrize("url_name", list(LISTS))
def test_list_query_count_constant_for_10_and_200_rows(
    client, coordinator, list_context, url_name, export, django_assert_max_num_queries
):
    client.force_login(coordinator)
    url = reverse(url_name) + (f"?_export={export}" if export else "")
    LISTS[url_name](10, list_context)
    with django_assert_max_num_queries(15):
        small, _ = _count_queries(client, url)
    LISTS[url_name](190, list_context)
    with django_assert_max_num_queries(15):
        large, body = _count_queries(client, url)
    assert large == small
    if export == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) - 1 >= 200
    if export == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        assert len(list(sheet.iter_rows(values_only=True))) - 1 >= 200


@pytest.mark.parametrize("export", ["", "csv"])
@pytest.mark.parametrize(
    "url_name",
    ["formations:programme_list", "formations:participant_list", "formations:structure_list"],
)
def test_list_query_count_constant_for_auditor(client, auditor, list_context, url_name, export):
    client.force_login(auditor)
    url = reverse(url_name) + (f"?_export={export}" if export else "")
    LISTS[url_name](10, list_context)
    small, _ = _count_queries(client, url)
    LISTS[url_name](190, list_context)
    large, _ = _count_queries(client, url)
    assert large == small


@pytest.mark.parametrize("export", ["", "csv"])
def test_participant_list_query_count_constant_for_referent(client, referent, export):
    client.force_login(referent)
    url = reverse("formations:participant_list") + (f"?_export={export}" if export else "")
    ParticipantFactory.create_batch(10, structure=referent.structure)
    small, _ = _count_queries(client, url)
    ParticipantFactory.create_batch(190, structure=referent.structure)
    large, _ = _count_queries(client, url)
    assert large == small


# --- Lists: content, filters, sorting, pagination ---------------------------------------


def test_participant_list_shows_count_and_paginates_by_25(coordinator_client):
    ParticipantFactory.create_batch(30)
    response = coordinator_client.get(reverse("formations:participant_list"))
    html = response.content.decode()
    assert "30 résultats" in html
    assert "page 1 sur 2" in html
    assert len(response.context["table"].page.object_list) == 25
    second = coordinator_client.get(reverse("formations:participant_list") + "?page=2")
    assert len(second.context["table"].page.object_list) == 5


def test_participant_list_search_matches_every_word(coordinator_client):
    lille = StructureFactory(name="CCAS de Lille", commune="Lille")
    ParticipantFactory(last_name="Martin", first_name="Awa", structure=lille)
    ParticipantFactory(
        last_name="Martin", first_name="Paul", structure=StructureFactory(commune="Roubaix")
    )
    ParticipantFactory(last_name="Durand", structure=lille)
    response = coordinator_client.get(reverse("formations:participant_list"), {"q": "martin lille"})
    names = [p.first_name for p in response.context["table"].data]
    assert names == ["Awa"]


def test_participant_list_filters_by_kind_territory_and_programme(coordinator_client):
    ccas = StructureFactory(kind=Structure.Kind.CCAS, territory="Mayotte")
    centre = StructureFactory(kind=Structure.Kind.CENTRE_SOCIAL, territory="Lille Sud")
    a = ParticipantFactory(structure=ccas)
    b = ParticipantFactory(structure=centre)
    programme = ProgrammeFactory()
    programme.structures.add(ccas)
    enrolled = ParticipantFactory(structure=centre)
    EnrolmentFactory(
        participant=enrolled, session=TrainingSessionFactory(formation__programme=programme)
    )
    url = reverse("formations:participant_list")

    def pks(params):
        return {p.pk for p in coordinator_client.get(url, params).context["table"].data}

    assert pks({"kind": Structure.Kind.CCAS}) == {a.pk}
    assert pks({"territory": "Lille Sud"}) == {b.pk, enrolled.pk}
    assert pks({"programme": programme.pk}) == {a.pk, enrolled.pk}


def test_participant_list_sorts_by_structure(coordinator_client):
    ParticipantFactory(last_name="A", structure=StructureFactory(name="Zèbre"))
    ParticipantFactory(last_name="B", structure=StructureFactory(name="Abeille"))
    response = coordinator_client.get(reverse("formations:participant_list"), {"sort": "structure"})
    assert [row.record.last_name for row in response.context["table"].page.object_list] == [
        "B",
        "A",
    ]
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'scope="col"' in html


def test_structure_list_counts_participants(coordinator_client):
    structure = StructureFactory(name="CCAS de Mamoudzou")
    ParticipantFactory.create_batch(3, structure=structure)
    response = coordinator_client.get(reverse("formations:structure_list"))
    row = next(r for r in response.context["table"].data if r.pk == structure.pk)
    assert row.participant_count == 3


def test_structure_list_filters_by_programme(coordinator_client):
    inside = StructureFactory()
    StructureFactory()
    programme = ProgrammeFactory()
    programme.structures.add(inside)
    response = coordinator_client.get(
        reverse("formations:structure_list"), {"programme": programme.pk}
    )
    assert [s.pk for s in response.context["table"].data] == [inside.pk]


def test_programme_list_shows_funders_and_filters_by_funder(coordinator_client):
    feder = FunderFactory()
    caf = FunderFactory(name="CAF du Nord", kind=Funder.Kind.CAF)
    p1 = ProgrammeFactory(title="Centres sociaux connectés")
    p1.funders.add(feder, caf)
    ProgrammeFactory(title="Autre")
    response = coordinator_client.get(reverse("formations:programme_list"), {"funder": caf.pk})
    assert [p.pk for p in response.context["table"].data] == [p1.pk]
    assert "CAF du Nord, FEDER" in response.content.decode()


def test_formation_list_filters_by_programme_and_pricing(coordinator_client):
    f1 = FormationFactory(pricing_mode=Formation.PricingMode.PER_DAY, unit_price=1000)
    FormationFactory()
    url = reverse("formations:formation_list")
    by_programme = coordinator_client.get(url, {"programme": f1.programme_id}).context["table"].data
    by_mode = coordinator_client.get(url, {"pricing_mode": "per_day"}).context["table"].data
    assert [f.pk for f in by_programme] == [f1.pk]
    assert [f.pk for f in by_mode] == [f1.pk]


def test_list_shows_create_and_edit_only_to_coordinators(client, coordinator, referent):
    ParticipantFactory(structure=referent.structure)
    client.force_login(coordinator)
    html = client.get(reverse("formations:participant_list")).content.decode()
    assert reverse("formations:participant_create") in html
    assert "Modifier" in html
    client.force_login(referent)
    html = client.get(reverse("formations:participant_list")).content.decode()
    assert reverse("formations:participant_create") not in html
    assert "Modifier" not in html


# --- Detail pages and panels ------------------------------------------------------------


def test_formation_detail_shows_contract_rules(coordinator_client):
    formation = FormationFactory(
        group_size_min=10,
        group_size_max=15,
        min_hours_per_day=7,
        sessions_min=10,
        sessions_max=15,
        trainees_target_min=100,
        trainees_target_max=150,
        attendees_per_structure_min=1,
        attendees_per_structure_max=3,
    )
    response = coordinator_client.get(formation.get_absolute_url())
    rules = dict(response.context["rules"])
    assert rules == {
        "Taille de groupe": "de 10 à 15 stagiaires",
        "Heures de formation par jour": "7 h au moins",
        "Nombre de sessions": "de 10 à 15",
        "Stagiaires visés": "de 100 à 150 stagiaires",
        "Participant·es par structure et par session": "de 1 à 3",
        "Sessions dans une année": "non précisé",
        "Durée des sessions": "non précisé",
        "Rythme": "non précisé",
    }
    html = response.content.decode()
    assert "Règles du marché" in html
    assert "de 100 à 150 stagiaires" in html


def test_formation_detail_shows_rhythm_rules(coordinator_client):
    mayotte = FormationFactory(
        start_date=dt.date(2021, 5, 1),
        end_date=dt.date(2022, 12, 31),
        sessions_min_in_year=2,
        sessions_min_year=2021,
        session_days=3,
    )
    seine_saint_denis = FormationFactory(session_days=1, min_hours_per_day=7)
    lille = FormationFactory(
        start_date=dt.date(2018, 1, 15), end_date=dt.date(2019, 12, 31), monthly_rhythm=True
    )

    labo = dict(coordinator_client.get(mayotte.get_absolute_url()).context["rules"])
    journee = dict(coordinator_client.get(seine_saint_denis.get_absolute_url()).context["rules"])
    mensuel = dict(coordinator_client.get(lille.get_absolute_url()).context["rules"])

    assert labo["Sessions dans une année"] == "au moins 2 sessions en 2021"
    assert labo["Durée des sessions"] == "3 jours consécutifs"
    assert journee["Durée des sessions"] == "1 journée"
    assert journee["Heures de formation par jour"] == "7 h au moins"
    assert mensuel["Rythme"] == "au moins une demi-journée chaque mois de la période d'exécution"


def test_formation_detail_unset_rules_say_so(coordinator_client):
    formation = FormationFactory(sessions_min=2)
    rules = dict(coordinator_client.get(formation.get_absolute_url()).context["rules"])
    assert rules["Nombre de sessions"] == "au moins 2"
    assert rules["Taille de groupe"] == "non précisé"


@contextlib.contextmanager
def _panel_registries_holding(*contents):
    """Every registry holds `contents` for the test; other apps' panels are set aside."""
    registries = [
        panels.DASHBOARD_PANELS,
        panels.FORMATION_PANELS,
        panels.PARTICIPANT_PANELS,
        panels.STRUCTURE_PANELS,
    ]
    saved = [list(registry) for registry in registries]
    for registry in registries:
        registry[:] = contents
    try:
        yield
    finally:
        for registry, content in zip(registries, saved, strict=True):
            registry[:] = content


@pytest.fixture
def registered_panels():
    seen = []

    def panel(request, obj):
        seen.append(obj)
        return ("formations/tests_panel.html", {"label": f"Panneau de {obj}"})

    def silent(request, obj):
        return None

    with _panel_registries_holding(panel, silent):
        yield seen


@pytest.fixture
def panel_template(settings, tmp_path):
    folder = tmp_path / "formations"
    folder.mkdir()
    (folder / "tests_panel.html").write_text(
        '<section class="panel-test">{{ label }}|{{ ctx.label }}</section>', encoding="utf-8"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]


@pytest.mark.usefixtures("panel_template")
def test_pages_render_registered_panels(coordinator_client, registered_panels):
    formation = FormationFactory()
    participant = ParticipantFactory()
    pages = [
        (reverse("dashboard"), "Panneau de None"),
        (formation.get_absolute_url(), f"Panneau de {formation}"),
        (participant.get_absolute_url(), f"Panneau de {participant}"),
        (participant.structure.get_absolute_url(), f"Panneau de {participant.structure}"),
    ]
    for url, text in pages:
        html = coordinator_client.get(url).content.decode()
        assert html.count('class="panel-test"') == 1
        assert f"{text}|{text}" in html
    assert registered_panels == [None, formation, participant, participant.structure]


def test_pages_work_with_empty_panel_registries(coordinator_client):
    formation = FormationFactory()
    participant = ParticipantFactory()
    urls = [
        reverse("dashboard"),
        formation.get_absolute_url(),
        participant.get_absolute_url(),
        participant.structure.get_absolute_url(),
    ]
    # The sessions app's own panel shows on a formation page: the registries are not empty.
    assert coordinator_client.get(formation.get_absolute_url()).context["panels"] != []

    with _panel_registries_holding():
        responses = [coordinator_client.get(url) for url in urls]

    assert [response.status_code for response in responses] == [200] * 4
    assert [response.context["panels"] for response in responses] == [[]] * 4


def test_dashboard_quick_links_by_role(client, coordinator, referent):
    client.force_login(coordinator)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("formations:programme_create") in html
    assert reverse("formations:participant_import") in html
    client.force_login(referent)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("formations:programme_create") not in html
    assert reverse("formations:structure_detail", args=[referent.structure_id]) in html


def test_programme_detail_lists_funders_formations_and_publicity(coordinator_client):
    programme = ProgrammeFactory(publicity_sentence="L'Europe s'engage en France")
    programme.funders.add(FunderFactory())
    formation = FormationFactory(programme=programme)
    structure = StructureFactory(name="CCAS de Dembeni")
    programme.structures.add(structure)
    html = coordinator_client.get(programme.get_absolute_url()).content.decode()
    assert "Ce projet est cofinancé par l&#x27;Union européenne avec le FEDER" in html
    assert "L&#x27;Europe s&#x27;engage en France" in html
    assert formation.contract_reference in html
    assert "CCAS de Dembeni" in html


def test_structure_detail_lists_its_participants(coordinator_client):
    structure = StructureFactory()
    ParticipantFactory(last_name="Soilihi", structure=structure)
    ParticipantFactory(last_name="Ailleurs")
    html = coordinator_client.get(structure.get_absolute_url()).content.decode()
    assert "Soilihi" in html
    assert "Ailleurs" not in html


def test_structure_detail_caption_contracts_the_article(coordinator_client):
    structure = StructureFactory(name="CCAS de Mamoudzou")
    ParticipantFactory(structure=structure)

    html = coordinator_client.get(structure.get_absolute_url()).content.decode()

    assert "Participant·es du CCAS de Mamoudzou" in html


def test_programme_detail_writes_first_of_month_1er(coordinator_client):
    programme = ProgrammeFactory(start_date=dt.date(2021, 1, 1), end_date=dt.date(2022, 12, 31))

    html = coordinator_client.get(programme.get_absolute_url()).content.decode()

    assert "du 1er janvier 2021 au 31 décembre 2022" in html


# --- Forms -------------------------------------------------------------------------------


def _participant_data(structure, **overrides):
    return {
        "last_name": "Madi",
        "first_name": "Zaïnaba",
        "email": "zainaba.madi@example.org",
        "phone": "+262 639 00 00 00",
        "job_title": "Travailleuse sociale",
        "structure": structure.pk,
        "post_taken_on": "2020-09-01",
        "consent_email_evaluation_follow_up": "on",
        "consent_method": "paper",
        **overrides,
    }


def test_participant_create_saves_logs_and_confirms(coordinator_client, coordinator):
    structure = StructureFactory()
    response = coordinator_client.post(
        reverse("formations:participant_create"), _participant_data(structure), follow=True
    )
    participant = Participant.objects.get(email="zainaba.madi@example.org")
    assert response.redirect_chain[-1][0] == participant.get_absolute_url()
    assert participant.phone == "+262639000000"
    assert may_contact(participant, "email", "evaluation_follow_up") == (True, "consent")
    assert may_contact(participant, "sms", "evaluation_follow_up") == (False, "no_consent")
    assert "La fiche de « MADI Zaïnaba » a été créée." in response.content.decode()
    entry = AuditEntry.objects.get(action="participant_created")
    assert entry.actor == coordinator
    assert entry.object_id == str(participant.pk)


def test_participant_create_duplicate_email_is_a_field_error(coordinator_client):
    ParticipantFactory(email="Zainaba.Madi@example.org")
    response = coordinator_client.post(
        reverse("formations:participant_create"), _participant_data(StructureFactory())
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == [
        "Un·e participant·e est déjà inscrit·e avec cette adresse e-mail."
    ]
    assert form.non_field_errors() == []
    assert Participant.objects.filter(email__iexact="zainaba.madi@example.org").count() == 1
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert "Un·e participant·e est déjà inscrit·e avec cette adresse e-mail." in html


def test_participant_edit_keeps_own_email(coordinator_client):
    participant = ParticipantFactory(email="awa@example.org")
    response = coordinator_client.post(
        reverse("formations:participant_edit", args=[participant.pk]),
        _participant_data(participant.structure, email="AWA@example.org", last_name="Nouveau"),
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.last_name == "Nouveau"
    assert AuditEntry.objects.get(action="participant_updated").data["fields"] == [
        "email",
        "first_name",
        "job_title",
        "last_name",
        "phone",
        "post_taken_on",
    ]


def test_participant_create_requires_names_and_structure(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:participant_create"), {"email": "pas-un-email"}
    )
    errors = response.context["form"].errors
    assert set(errors) == {"last_name", "first_name", "structure", "email"}
    assert Participant.objects.count() == 0


def test_structure_create_refuses_name_differing_only_by_case(coordinator_client):
    StructureFactory(name="CCAS de Mamoudzou")
    response = coordinator_client.post(
        reverse("formations:structure_create"),
        {"name": "ccas de mamoudzou", "kind": Structure.Kind.CCAS},
    )
    assert response.context["form"].errors["name"] == [
        "Une structure porte déjà ce nom (majuscules et minuscules confondues)."
    ]


def _formation_data(programme, **overrides):
    return {
        "programme": programme.pk,
        "contract_reference": "FEDER-2018-AO.3",
        "title": "Accompagner les publics vers le numérique",
        "amount": "25000",
        "pricing_mode": Formation.PricingMode.PER_DAY,
        "unit_price": "1200",
        "group_size_min": "10",
        "group_size_max": "15",
        "min_hours_per_day": "7",
        "sessions_min": "10",
        "sessions_max": "15",
        "trainees_target_min": "100",
        "trainees_target_max": "150",
        "attendees_per_structure_min": "1",
        "attendees_per_structure_max": "3",
        **overrides,
    }


def test_formation_create_with_contract_rules(coordinator_client):
    programme = ProgrammeFactory()
    page = coordinator_client.get(
        reverse("formations:formation_create") + f"?programme={programme.pk}"
    )
    assert "<legend>Règles du marché</legend>" in page.content.decode()
    assert page.context["form"].initial["programme"] == str(programme.pk)
    response = coordinator_client.post(
        reverse("formations:formation_create"), _formation_data(programme)
    )
    formation = Formation.objects.get(contract_reference="FEDER-2018-AO.3")
    assert response.url == formation.get_absolute_url()
    assert (formation.group_size_min, formation.group_size_max, formation.min_hours_per_day) == (
        10,
        15,
        7,
    )


def test_formation_create_min_above_max_is_a_field_error(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:formation_create"),
        _formation_data(ProgrammeFactory(), group_size_min="16", unit_price=""),
    )
    errors = response.context["form"].errors
    assert errors["group_size_max"] == ["Le maximum doit être supérieur ou égal au minimum."]
    assert errors["unit_price"] == ["Ce mode de tarification demande un prix unitaire."]
    assert "__all__" not in errors
    assert not Formation.objects.exists()


def test_formation_form_offers_rhythm_rules_in_contract_fieldset(coordinator_client):
    page = coordinator_client.get(reverse("formations:formation_create"))

    groups = dict(page.context["form"].grouped_fields())
    names = [field.name for field in groups["Règles du marché"]]
    assert names[-4:] == [
        "sessions_min_in_year",
        "sessions_min_year",
        "session_days",
        "monthly_rhythm",
    ]
    html = page.content.decode()
    assert "« Dont au moins deux labos en 2021 »" in html
    assert "3 pour des labos sur 3 jours consécutifs" in html


def test_formation_create_with_rhythm_rules(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:formation_create"),
        _formation_data(
            ProgrammeFactory(),
            sessions_min="5",
            sessions_max="5",
            start_date="2021-05-01",
            end_date="2022-12-31",
            sessions_min_in_year="2",
            sessions_min_year="2021",
            session_days="3",
            monthly_rhythm="on",
        ),
    )

    formation = Formation.objects.get(contract_reference="FEDER-2018-AO.3")
    assert response.url == formation.get_absolute_url()
    assert (
        formation.sessions_min_in_year,
        formation.sessions_min_year,
        formation.session_days,
        formation.monthly_rhythm,
    ) == (2, 2021, 3, True)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"sessions_min_year": "2021"},
            "sessions_min_in_year",
            "Indiquez le nombre de sessions attendues en 2021.",
        ),
        ({"sessions_min_in_year": "2"}, "sessions_min_year", "Indiquez l'année de ce minimum."),
        (
            {"sessions_min_in_year": "2", "sessions_min_year": "2023"},
            "sessions_min_year",
            "Cette année est hors de la période d'exécution du marché.",
        ),
        (
            {"sessions_min_in_year": "16", "sessions_min_year": "2021"},
            "sessions_min_in_year",
            "Ce minimum dépasse le nombre maximum de sessions du marché (15).",
        ),
        (
            {"session_days": "0"},
            "session_days",
            "Assurez-vous que cette valeur est supérieure ou égale à 1.",
        ),
    ],
)
def test_formation_rhythm_rules_invalid_are_field_errors(
    coordinator_client, overrides, field, message
):
    data = _formation_data(
        ProgrammeFactory(), start_date="2021-05-01", end_date="2022-12-31", **overrides
    )

    response = coordinator_client.post(reverse("formations:formation_create"), data)

    errors = response.context["form"].errors
    assert errors[field] == [message]
    assert "__all__" not in errors
    assert not Formation.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [{"sessions_min_year": 2021}, {"sessions_min_in_year": 2}, {"session_days": 0}],
)
def test_formation_rhythm_rules_held_by_the_database(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        FormationFactory(**fields)


def test_formation_monthly_rhythm_needs_the_execution_period(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:formation_create"),
        _formation_data(ProgrammeFactory(), start_date="2018-01-15", monthly_rhythm="on"),
    )

    assert response.context["form"].errors["monthly_rhythm"] == [
        "Le rythme mensuel se vérifie sur la période d'exécution : indiquez son début et sa fin."
    ]


def test_programme_create_with_funders_and_structures(coordinator_client):
    feder = FunderFactory()
    structure = StructureFactory()
    response = coordinator_client.post(
        reverse("formations:programme_create"),
        {
            "reference": "CSC-BM-2021",
            "title": "DESIGN PALAS",
            "carrier": "UDCCAS de Mayotte",
            "start_date": "2021-01-01",
            "end_date": "2022-12-31",
            "funders": [feder.pk],
            "structures": [structure.pk],
            "publicity_sentence": "L'Europe s'engage en France",
        },
    )
    programme = Programme.objects.get(reference="CSC-BM-2021")
    assert response.url == programme.get_absolute_url()
    assert list(programme.funders.all()) == [feder]
    assert list(programme.structures.all()) == [structure]


def test_programme_create_end_before_start_is_a_field_error(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:programme_create"),
        {
            "reference": "X",
            "title": "X",
            "carrier": "X",
            "start_date": "2022-01-01",
            "end_date": "2021-01-01",
        },
    )
    errors = response.context["form"].errors
    assert errors == {"end_date": ["La fin doit être postérieure ou égale au début."]}


def test_funder_create_and_edit(coordinator_client):
    response = coordinator_client.post(
        reverse("formations:funder_create"),
        {
            "name": "FSE+",
            "kind": Funder.Kind.FSE_PLUS,
            "publicity_sentence": "Cofinancé par l'Union européenne",
        },
    )
    funder = Funder.objects.get(name="FSE+")
    assert response.url == reverse("formations:funder_detail", args=[funder.pk])
    response = coordinator_client.post(
        reverse("formations:funder_edit", args=[funder.pk]),
        {"name": "FSE+ Hauts-de-France", "kind": Funder.Kind.FSE_PLUS},
    )
    funder.refresh_from_db()
    assert funder.name == "FSE+ Hauts-de-France"


@pytest.mark.parametrize("role", ["coordinator", "trainer", "auditor", "referent"])
def test_every_page_opens_for_every_role(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    urls = [reverse("dashboard")] + [
        reverse(name)
        for name in (
            "formations:programme_list",
            "formations:formation_list",
            "formations:structure_list",
            "formations:participant_list",
        )
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["user"] == user


def test_structure_detail_shows_the_declared_type_to_reclassify(coordinator_client):
    structure = StructureFactory(kind=Structure.Kind.OTHER, kind_label="Foyer rural")

    html = coordinator_client.get(structure.get_absolute_url()).content.decode()

    assert "<dt>Type déclaré</dt><dd>« Foyer rural »" in html
    assert "à reclasser" in html


def test_structure_form_reclassifies_a_structure_and_clears_its_declared_type(
    coordinator_client, coordinator
):
    structure = StructureFactory(
        name="Foyer rural de Bavay", kind=Structure.Kind.OTHER, kind_label="Foyer rural"
    )
    url = reverse("formations:structure_edit", args=[structure.pk])
    assert 'name="kind_label"' in coordinator_client.get(url).content.decode()

    coordinator_client.post(
        url, {"name": structure.name, "kind": Structure.Kind.ASSOCIATION, "kind_label": ""}
    )

    structure.refresh_from_db()
    assert (structure.kind, structure.kind_label) == (Structure.Kind.ASSOCIATION, "")
    entry = AuditEntry.objects.get(action="structure_updated")
    assert entry.actor == coordinator
    assert {"kind", "kind_label"} <= set(entry.data["fields"])
    html = coordinator_client.get(structure.get_absolute_url()).content.decode()
    assert "Type déclaré" not in html


def test_structure_list_shows_the_declared_type_of_other_structures(coordinator_client):
    StructureFactory(name="Foyer rural de Bavay", kind=Structure.Kind.OTHER, kind_label="Foyer")
    StructureFactory(name="CCAS de Lens", kind=Structure.Kind.CCAS)

    html = coordinator_client.get(
        reverse("formations:structure_list"), {"kind": Structure.Kind.OTHER}
    ).content.decode()

    assert "Autre (déclaré « Foyer »)" in html
    assert "CCAS de Lens" not in html
