"""Fixes found by the hands-on testers of issue 11 (pages of the fiches, team, road map,
follow-up, intersession tasks)."""

import pytest
from django.urls import reverse

from projects.exceptions import ProjectsError
from projects.models import FicheRevision, Project, ProjectFiche, TeamMember
from projects.services_team import member_add, member_update
from tests.factories import ParticipantFactory
from tests.factories.projects import project_world

pytestmark = pytest.mark.django_db


def _url(name, world, structure=None, **extra):
    structure = structure or world.ccas
    return reverse(
        f"projects:{name}",
        kwargs={"programme": world.programme.pk, "structure": structure.pk, **extra},
    )


@pytest.fixture
def world():
    return project_world()


def test_the_untouched_project_form_creates_neither_project_nor_version(client, world):
    client.force_login(world.referent)
    url = _url("fiche_edit_project", world, kind="experimente")
    empty = {
        "revision": 0,
        "title": "",
        "problem": "",
        "public": "",
        "partners": "",
        "means": "",
        "stage": "idea",
    }
    assert client.post(url, empty).status_code == 302
    assert not Project.objects.exists()
    assert not FicheRevision.objects.exists()
    # Saying something creates it, once.
    assert client.post(url, {**empty, "title": "Guichet mobile"}).status_code == 302
    assert Project.objects.get().title == "Guichet mobile"
    assert FicheRevision.objects.count() == 1


def _revision(world):
    fiche = ProjectFiche.objects.filter(programme=world.programme, structure=world.ccas).first()
    return fiche.revision if fiche else 0


def _add(world, **fields):
    return member_add(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=_revision(world),
        **fields,
    )


def test_turning_an_elected_member_into_a_fourth_agent_says_to_keep_them_elected():
    world = project_world(team_max=1)
    _add(world, kind=TeamMember.Kind.AGENT, full_name="MADI Awa")
    elected = _add(world, kind=TeamMember.Kind.ELECTED, full_name="ABDOU Mariam")
    with pytest.raises(ProjectsError) as error:
        member_update(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            member=elected,
            expected_revision=_revision(world),
            kind=TeamMember.Kind.AGENT,
            full_name="ABDOU Mariam",
        )
    assert error.value.code == "team_full"
    assert "Gardez cette personne comme élu·e ou partenaire" in error.value.message
    assert "Ajoutez" not in error.value.message


def test_zero_takes_the_french_singular(client, world):
    client.force_login(world.coordinator)
    text = client.get(reverse("projects:fiche_list", args=[world.programme.pk])).content.decode()
    assert "0 agents" not in text
    log = client.get(_url("follow_up_log", world)).content.decode()
    assert "0 sessions" not in log
    assert "0 session où" in log


def test_the_projects_app_plurals_are_in_the_french_catalogue():
    """French says « 0 structure »: the catalogue's plural rule (n > 1) applies to the
    projects app's Python messages too, not only to its templates."""
    from django.utils import translation
    from django.utils.translation import ngettext

    with translation.override("fr"):
        text = ngettext(
            "Relance envoyée à %(count)s structure : « %(subject)s »",
            "Relance envoyée à %(count)s structures : « %(subject)s »",
            0,
        )
    assert text == "Relance envoyée à %(count)s structure : « %(subject)s »"


def test_a_typed_name_equal_to_a_members_is_refused_whatever_its_case_and_accents():
    world = project_world(team_max=3)
    person = ParticipantFactory(structure=world.ccas, first_name="Zaïnaba", last_name="Ahamada")
    _add(world, kind=TeamMember.Kind.AGENT, participant=person)
    for typed in ("Zaïnaba Ahamada", "zainaba AHAMADA", "AHAMADA Zaïnaba"):
        with pytest.raises(ProjectsError) as error:
            _add(world, kind=TeamMember.Kind.AGENT, full_name=typed)
        assert error.value.code == "already_member"
        assert error.value.field == "full_name"
    assert TeamMember.objects.count() == 1
    partner = _add(world, kind=TeamMember.Kind.PARTNER, full_name="SOULA Ali")
    with pytest.raises(ProjectsError):
        member_update(
            actor=world.coordinator,
            programme=world.programme,
            structure=world.ccas,
            member=partner,
            expected_revision=_revision(world),
            kind=TeamMember.Kind.PARTNER,
            full_name="zaïnaba ahamada",
        )
    # Saving a member under their own name is no duplicate.
    member_update(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        member=partner,
        expected_revision=_revision(world),
        kind=TeamMember.Kind.PARTNER,
        full_name="Soula Ali",
        role="Association Nayma",
    )


def test_an_answer_to_an_entry_that_is_not_a_question_is_refused_not_dropped(client, world):
    from django.utils import timezone

    from projects.models import FollowUpEntry

    client.force_login(world.coordinator)
    url = _url("follow_up_log", world)
    data = {
        "occurred_on": timezone.localdate().isoformat(),
        "kind": "contact",
        "channel": "phone",
        "summary": "Appel de la directrice.",
        "answer": "On lui a envoyé le guide.",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Seule une question reçoit une réponse" in text
    assert 'id="form-errors" tabindex="-1" autofocus' in text  # focused on load
    assert not FollowUpEntry.objects.exists()
    # The answer fields are marked to be shown for a question only.
    assert "data-only-for-question" in client.get(url).content.decode()
    assert client.post(url, {**data, "kind": "question"}).status_code == 302
    assert FollowUpEntry.objects.get().answer == "On lui a envoyé le guide."


def test_a_theme_in_use_names_the_structures_that_chose_it(client, world):
    from projects.models import Theme
    from projects.services_fiches import fiche_themes_save

    for structure, referent, priority, secondary in (
        (world.ccas, world.referent, world.themes[0], None),
        (world.other, world.other_referent, world.themes[1], world.themes[0]),
    ):
        fiche_themes_save(
            actor=referent,
            programme=world.programme,
            structure=structure,
            expected_revision=0,
            priority_theme=priority,
            secondary_theme=secondary,
        )
    client.force_login(world.coordinator)
    url = reverse("projects:theme_delete", args=[world.programme.pk, world.themes[0].pk])
    for response in (client.get(url), client.post(url)):
        text = response.content.decode()
        assert "choisie dans 2 fiches projet" in text
        # Dzaoudzi before Mamoudzou, each linked to its fiche.
        assert text.index("CCAS de Dzaoudzi") < text.index("CCAS de Mamoudzou")
        assert _url("fiche_detail", world, world.other) in text
    assert Theme.objects.filter(pk=world.themes[0].pk).exists()


def test_an_action_past_its_due_date_and_not_done_says_en_retard(client, world):
    import datetime as dt

    from django.utils import timezone

    from projects.services_roadmap import action_add, axis_add

    def where():
        return {
            "actor": world.coordinator,
            "programme": world.programme,
            "structure": world.ccas,
            "expected_revision": _revision(world),
        }

    axis = axis_add(**where(), title="Accueil")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    action_add(**where(), axis=axis, title="Lancer", due_on=yesterday, status="in_progress")
    action_add(**where(), axis=axis, title="Clore", due_on=yesterday, status="done")
    client.force_login(world.referent)
    for name in ("fiche_roadmap", "fiche_detail"):
        text = client.get(_url(name, world)).content.decode()
        assert text.count("en retard") == 1, name


def test_the_fiche_links_to_the_follow_up_log_and_the_tasks_for_those_who_may_see_them(
    client, world
):
    from formations.models import User
    from tests.factories import FunderFactory, UserFactory

    log = _url("follow_up_log", world)
    tasks = _url("structure_tasks", world)
    client.force_login(world.coordinator)
    text = client.get(_url("fiche_detail", world)).content.decode()
    assert "Suivi et travaux" in text and log in text and tasks in text
    client.force_login(world.referent)  # never the follow-up log
    text = client.get(_url("fiche_detail", world)).content.decode()
    assert tasks in text and log not in text
    funder = FunderFactory()
    world.programme.funders.add(funder)
    auditor = UserFactory(role=User.Role.FUNDER_AUDITOR)
    auditor.funders.add(funder)
    client.force_login(auditor)
    text = client.get(_url("fiche_detail", world)).content.decode()
    assert log in text and tasks not in text


def test_the_structure_page_links_to_its_tasks_when_all_are_done(client, task_world):
    import datetime as dt

    from django.utils import timezone

    from projects.models import IntersessionTask
    from projects.services_tasks import task_create

    world = task_world
    [task] = task_create(
        actor=world.coordinator,
        programme=world.programme,
        structures=[world.ccas],
        kind=IntersessionTask.Kind.OTHER,
        title="Diagnostic territorial",
        due_on=world.today + dt.timedelta(days=3),
    )
    IntersessionTask.objects.filter(pk=task.pk).update(done_at=timezone.now())
    client.force_login(world.coordinator)
    url = reverse("formations:structure_detail", args=[world.ccas.pk])
    text = client.get(url).content.decode()
    assert "Aucun travail à faire : tous ont été rendus." in text
    assert _url("structure_tasks", world) in text
    # A structure never set any task shows no panel.
    other = client.get(reverse("formations:structure_detail", args=[world.other.pk]))
    assert "travaux-intersession" not in other.content.decode()


def test_the_intersession_pages_read_like_the_others(client, task_world):
    import datetime as dt

    world = task_world
    client.force_login(world.coordinator)
    add = reverse("projects:task_add", args=[world.programme.pk])
    data = {
        "kind": "document",
        "title": "Trame de diagnostic",
        "instructions": "",
        "due_on": (world.today + dt.timedelta(days=5)).isoformat(),
    }
    response = client.post(add, data)  # no structure ticked
    assert "Cochez au moins une structure." in response.content.decode()
    assert "Ce champ est obligatoire." not in response.content.decode()
    # Created Sada first: the list still files Dzaoudzi, Mamoudzou, Sada.
    structures = [world.third.pk, world.ccas.pk, world.other.pk]
    assert client.post(add, {**data, "structures": structures}).status_code == 302
    text = client.get(reverse("projects:task_list", args=[world.programme.pk])).content.decode()
    # The batch itself (the warning above it may name a structure nobody can be reminded in).
    main = text[text.index('class="breadcrumbs"') :]
    main = main[main.index("Trame de diagnostic") :]
    positions = [main.index(s.name) for s in (world.other, world.ccas, world.third)]
    assert positions == sorted(positions)
    # Programmes › <reference> › Travaux d'intersession › <structure>, like the fiches.
    text = client.get(_url("structure_tasks", world)).content.decode()
    crumbs = text[text.index('class="breadcrumbs"') :].split("</p>")[0]
    reference = world.programme.reference or world.programme.title
    order = [
        crumbs.index(w) for w in ("Programmes", reference, "intersession", "CCAS de Mamoudzou")
    ]
    assert order == sorted(order)


def test_structure_names_take_de_as_french_does(client, world):
    from projects.services_fiches import fiche_lessons_save

    client.force_login(world.coordinator)
    text = client.get(_url("fiche_team_add", world)).content.decode()
    assert "Équipe projet du CCAS de Mamoudzou." in text
    fiche_lessons_save(
        actor=world.coordinator,
        programme=world.programme,
        structure=world.ccas,
        expected_revision=0,
        lessons_learned="Écouter.",
    )
    from formations.models import AuditEntry

    summary = AuditEntry.objects.get(action="projects.fiche_edit").summary
    assert "fiche projet du CCAS de Mamoudzou" in summary


def test_moving_says_where_the_item_now_stands_and_marks_it_to_take_the_focus(client, world):
    from projects.services_roadmap import axis_add

    def where():
        return {
            "actor": world.coordinator,
            "programme": world.programme,
            "structure": world.ccas,
            "expected_revision": _revision(world),
        }

    axis_add(**where(), title="Accueil")
    second = axis_add(**where(), title="Lancer « Permanence »")
    client.force_login(world.referent)
    response = client.post(
        _url("roadmap_axis_move", world, axis=second.pk),
        {"direction": "up", "revision": _revision(world)},
        follow=True,
    )
    text = response.content.decode()
    assert "L&#x27;axe passe en priorité 1 : Lancer « Permanence »." in text
    assert response.redirect_chain[-1][0].endswith(f"#axe-{second.pk}")
    assert f'id="axe-{second.pk}" tabindex="-1" data-focus-target' in text
    assert "js/focus-target.js" in text

    first = _add(world, kind=TeamMember.Kind.AGENT, full_name="MADI Awa")
    other = _add(world, kind=TeamMember.Kind.AGENT, full_name="ALI Zaïnaba")
    response = client.post(
        _url("fiche_team_move", world, member=other.pk),
        {"direction": "up", "revision": _revision(world)},
        follow=True,
    )
    assert "ALI Zaïnaba passe en position 1 dans l&#x27;équipe." in response.content.decode()
    assert first.pk
    client.force_login(world.coordinator)
    theme = world.themes[1]
    response = client.post(
        reverse("projects:theme_move", args=[world.programme.pk, theme.pk]),
        {"direction": "up"},
        follow=True,
    )
    assert f"La thématique passe en position 1 : {theme.label}." in response.content.decode()
