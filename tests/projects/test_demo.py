"""The projects demo: the 18 Mayotte structures' fiches in various states with their
history, follow-up and tasks; the Lille Sud journal de bord; loaded once."""

import datetime as dt

import pytest
from django.db.models import Count

from formations import demo as formations_demo
from formations.models import Programme
from projects import demo as projects_demo
from projects.models import (
    ActionStatus,
    FicheRevision,
    FollowUpEntry,
    IntersessionTask,
    JournalEntry,
    ProjectFiche,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
    Theme,
)
from projects.selectors_followup import follow_up_overview
from sessions import demo as sessions_demo
from sessions.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 29)


def load():
    loaded = formations_demo.load(today=TODAY)
    accounts = loaded["accounts"]
    sessions_demo.load(accounts=accounts, coordinator=accounts["coordination"])
    return projects_demo.load(accounts=accounts, today=TODAY), accounts


def counts():
    return tuple(
        model.objects.count()
        for model in (
            Theme,
            ProjectFiche,
            FicheRevision,
            TeamMember,
            RoadmapAction,
            FollowUpEntry,
            IntersessionTask,
            JournalEntry,
        )
    )


def test_the_demo_fills_the_mayotte_fiches_logs_tasks_and_the_lille_journal():
    loaded, accounts = load()
    before = counts()
    assert load()[0] == loaded and counts() == before  # idempotent

    palas = Programme.objects.get(reference="DESIGN-PALAS")
    structures = list(palas.structures.all())
    assert len(structures) == 18
    assert Theme.objects.filter(programme=palas).count() == 7
    fiches = {f.structure.name: f for f in ProjectFiche.objects.filter(programme=palas)}
    # 8 complete, 7 half-filled, 3 untouched.
    assert len(fiches) == 15
    assert {"CCAS de Bouéni", "CCAS de Kani-Kéli", "CCAS de M'Tsangamouji"}.isdisjoint(fiches)
    complete = [
        f
        for f in fiches.values()
        if f.lessons_learned and f.projects.count() == 2 and f.axes.count() >= 2
    ]
    assert len(complete) == 8
    for fiche in complete:
        assert fiche.priority_theme and fiche.secondary_theme
        agents = fiche.team.filter(kind=TeamMember.Kind.AGENT)
        assert 1 <= agents.count() <= 3 and agents.filter(is_referent=True).count() == 1
        assert fiche.team.exclude(kind=TeamMember.Kind.AGENT).count() == 1
        assert 2 <= fiche.axes.count() <= 4
        assert fiche.revision == fiche.revisions.count() == 9
    statuses = set(RoadmapAction.objects.values_list("status", flat=True))
    assert {ActionStatus.DONE, ActionStatus.IN_PROGRESS, ActionStatus.TODO} <= statuses
    half = [f for f in fiches.values() if f not in complete]
    assert all(1 <= f.revision <= 4 for f in half)

    # Several accounts wrote the history, dated within the programme.
    authors = set(FicheRevision.objects.values_list("author__username", flat=True))
    assert authors == {"coordination", "formatrice", "referent"}
    mamoudzou = fiches["CCAS de Mamoudzou"]
    assert mamoudzou.revisions.filter(author=accounts["referent"]).exists()
    assert mamoudzou.team.get(is_referent=True).full_name == "Zaïnaba Ahamada"
    for at in FicheRevision.objects.values_list("at", flat=True):
        assert palas.start_date <= at.date() <= palas.end_date

    # Follow-up: every structure has contacts, some answered questions; a few are quiet.
    per_structure = dict(
        FollowUpEntry.objects.filter(programme=palas)
        .values_list("structure__name")
        .annotate(n=Count("pk"))
    )
    assert len(per_structure) == 18 and all(n >= 2 for n in per_structure.values())
    assert FollowUpEntry.objects.filter(kind="question").exclude(answer="").exists()
    last = {
        name: max(
            FollowUpEntry.objects.filter(structure__name=name).values_list("occurred_on", flat=True)
        )
        for name in per_structure
    }
    assert sum(1 for day in last.values() if day <= dt.date(2022, 3, 31)) >= 3

    # At the programme's end, only the four quiet structures are « sans contact » (README).
    overview = follow_up_overview(programme=palas, user=accounts["coordination"], today=TODAY)
    assert overview.as_of == palas.end_date
    assert len(overview.silent) == 4

    # Tasks: within the programme's period, all done but two, which are overdue.
    tasks = IntersessionTask.objects.filter(programme=palas)
    assert all(palas.start_date <= t.due_on <= palas.end_date for t in tasks)
    open_tasks = tasks.filter(done_at__isnull=True)
    assert open_tasks.count() == 2
    assert open_tasks.filter(due_on__lt=TODAY).count() == 2

    # People: an elected member is « élu·e », a job reads in the person's own form, a
    # member linked to a participant record is enrolled in one of the programme's sessions.
    members = TeamMember.objects.filter(fiche__programme=palas)
    assert not members.filter(kind=TeamMember.Kind.AGENT, role__startswith="Élu").exists()
    assert members.filter(kind=TeamMember.Kind.ELECTED, role__startswith="Élu").exists()
    assert not members.filter(role__contains="·").exists()
    for member in members.filter(participant__isnull=False):
        assert Enrolment.objects.filter(
            participant=member.participant_id, session__formation__programme=palas
        ).exists()
    udccas = RoadmapAction.objects.filter(axis__fiche__structure__name="UDCCAS de Mayotte")
    assert not udccas.filter(title__contains="du CCAS").exists()
    assert not RoadmapAxis.objects.filter(description__startswith="Associer Lycée").exists()

    # Lille Sud: the journal is on; three people wrote, some entries shared.
    lille = Programme.objects.get(reference="CSC-MEL-2018")
    assert lille.logbook_enabled
    entries = JournalEntry.objects.filter(programme=lille)
    assert entries.values("participant").distinct().count() == 3
    # Nobody writes another's text word for word.
    assert entries.values("body").distinct().count() == entries.count()
    assert "{" not in "".join(entries.values_list("body", flat=True))
    assert 0 < entries.filter(shared_at__isnull=False).count() < entries.count()
    # The person whose address `load_demo` prints for the space is one of them (README).
    shown = Attendance.objects.order_by("enrolment__participant_id").first().enrolment.participant
    assert entries.filter(participant=shown).exists()
