"""The journal de bord: the participant's own entries (write, edit, share, unshare,
delete), read only by their author and, once shared, by the programme's trainers."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from formations import space
from formations.history import history_entries, history_lines
from formations.models import User
from projects import services_journal
from projects.exceptions import ProjectsError
from projects.models import JournalEntry
from tests.factories import EnrolmentFactory, TrainingSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logbook():
    """A programme asking for the journal, one session with a trainer and two people."""
    session = TrainingSessionFactory(formation__programme__logbook_enabled=True)
    trainer = UserFactory(role=User.Role.TRAINER)
    session.trainers.add(trainer)
    author = EnrolmentFactory(session=session).participant
    neighbour = EnrolmentFactory(session=session).participant
    return session.formation.programme, trainer, author, neighbour


def sign_in(client, participant):
    session = client.session
    session[space.SESSION_KEY] = participant.pk
    session.save()


def write(participant, programme, title="Premier atelier", **kwargs):
    return services_journal.journal_entry_create(
        actor=participant,
        participant=participant,
        programme=programme,
        written_on=kwargs.pop("written_on", dt.date(2021, 10, 5)),
        title=title,
        body=kwargs.pop("body", "Les habitants ont apporté leurs courriers de la CAF."),
    )


def test_a_participant_writes_shares_and_unshares_from_their_space(client, logbook):
    programme, trainer, author, _neighbour = logbook
    sign_in(client, author)
    home = client.get(reverse("space:home"))
    assert "Mon journal de bord" in home.content.decode()

    url = reverse("projects:journal")
    response = client.post(
        url,
        {
            "programme": programme.pk,
            "written_on": "2021-10-05",
            "title": "Atelier courriers",
            "body": "Trois personnes sont venues avec leurs courriers.",
        },
    )
    assert response.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.participant, entry.programme, entry.shared_at) == (author, programme, None)
    page = client.get(url).content.decode()
    assert "Atelier courriers" in page and "privée" in page

    client.post(reverse("projects:journal_share", args=[entry.pk]), {"shared": "1"})
    entry.refresh_from_db()
    assert entry.shared_at is not None

    client.post(
        reverse("projects:journal_edit", args=[entry.pk]),
        {"written_on": "2021-10-06", "title": "Atelier courriers (suite)", "body": "Suite."},
    )
    entry.refresh_from_db()
    assert (entry.title, entry.written_on) == ("Atelier courriers (suite)", dt.date(2021, 10, 6))
    assert entry.shared_at is not None

    client.post(reverse("projects:journal_share", args=[entry.pk]), {"shared": "0"})
    entry.refresh_from_db()
    assert entry.shared_at is None

    assert client.get(reverse("projects:journal_delete", args=[entry.pk])).status_code == 200
    assert JournalEntry.objects.exists()  # the GET only asks for confirmation
    client.post(reverse("projects:journal_delete", args=[entry.pk]))
    assert not JournalEntry.objects.exists()


def test_the_audit_journal_records_sharing_but_never_the_text(logbook):
    from formations.models import AuditEntry

    programme, _trainer, author, _neighbour = logbook
    entry = write(author, programme, title="Titre intime", body="Texte intime")
    services_journal.journal_entry_share(actor=author, entry=entry, shared=True)
    services_journal.journal_entry_share(actor=author, entry=entry, shared=True)  # no-op
    services_journal.journal_entry_share(actor=author, entry=entry, shared=False)
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["projects.journal_shared", "projects.journal_unshared"]
    for row in AuditEntry.objects.all():
        assert "intime" not in row.summary and "intime" not in str(row.data)


def test_another_participant_gets_404_on_an_entry(client, logbook):
    programme, _trainer, author, neighbour = logbook
    entry = write(author, programme)
    sign_in(client, neighbour)
    for name in ("projects:journal_edit", "projects:journal_delete"):
        assert client.get(reverse(name, args=[entry.pk])).status_code == 404
        assert client.post(reverse(name, args=[entry.pk]), {}).status_code == 404
    share = client.post(reverse("projects:journal_share", args=[entry.pk]), {"shared": "1"})
    assert share.status_code == 404
    assert "Premier atelier" not in client.get(reverse("projects:journal")).content.decode()
    entry.refresh_from_db()
    assert entry.shared_at is None and JournalEntry.objects.count() == 1


def test_services_refuse_anyone_but_the_author(logbook):
    programme, trainer, author, neighbour = logbook
    entry = write(author, programme)
    for actor in (neighbour, trainer, None):
        with pytest.raises(PermissionDenied):
            services_journal.journal_entry_share(actor=actor, entry=entry, shared=True)
        with pytest.raises(PermissionDenied):
            services_journal.journal_entry_delete(actor=actor, entry=entry)
    with pytest.raises(PermissionDenied):
        services_journal.journal_entry_create(
            actor=neighbour,
            participant=author,
            programme=programme,
            written_on=dt.date(2021, 10, 5),
            title="x",
            body="y",
        )


def test_an_empty_title_is_refused(logbook):
    programme, _trainer, author, _neighbour = logbook
    with pytest.raises(ProjectsError) as error:
        write(author, programme, title="  ")
    assert error.value.code == "invalid" and error.value.field == "title"


def test_the_trainer_reads_only_shared_entries_and_unsharing_hides_at_once(client, logbook):
    programme, trainer, author, neighbour = logbook
    shared = write(author, programme, title="Entrée partagée")
    write(author, programme, title="Entrée privée")
    services_journal.journal_entry_share(actor=author, entry=shared, shared=True)
    client.force_login(trainer)
    url = reverse("projects:shared_journal", args=[programme.pk])
    page = client.get(url).content.decode()
    assert "Entrée partagée" in page and "Entrée privée" not in page
    assert author.last_name in page and neighbour.last_name not in page
    detail = client.get(reverse("formations:programme_detail", args=[programme.pk]))
    assert "Journaux de bord partagés (1)" in detail.content.decode()

    services_journal.journal_entry_share(actor=author, entry=shared, shared=False)
    assert "Entrée partagée" not in client.get(url).content.decode()


@pytest.mark.parametrize("who", ["other_trainer", "coordinator", "referent", "auditor"])
def test_nobody_else_reads_the_shared_entries(client, logbook, who, coordinator, auditor):
    programme, _trainer, author, _neighbour = logbook
    entry = write(author, programme, title="Entrée partagée")
    services_journal.journal_entry_share(actor=author, entry=entry, shared=True)
    user = {
        "other_trainer": UserFactory(role=User.Role.TRAINER),
        "coordinator": coordinator,
        "referent": UserFactory(role=User.Role.STRUCTURE_REFERENT, structure=author.structure),
        "auditor": auditor,
    }[who]
    if who == "other_trainer":
        TrainingSessionFactory().trainers.add(user)  # a session of another programme
    client.force_login(user)
    response = client.get(reverse("projects:shared_journal", args=[programme.pk]))
    assert response.status_code == 404
    detail = client.get(reverse("formations:programme_detail", args=[programme.pk]))
    assert "Entrée partagée" not in detail.content.decode()
    assert "Journaux de bord partagés" not in detail.content.decode()


def test_a_programme_without_the_option_gives_404(client, logbook):
    programme, trainer, author, _neighbour = logbook
    entry = write(author, programme)
    services_journal.journal_entry_share(actor=author, entry=entry, shared=True)
    programme.logbook_enabled = False
    programme.save()
    sign_in(client, author)
    assert client.get(reverse("projects:journal")).status_code == 404
    assert client.get(reverse("projects:journal_edit", args=[entry.pk])).status_code == 404
    assert "Mon journal de bord" not in client.get(reverse("space:home")).content.decode()
    with pytest.raises(ProjectsError) as error:
        write(author, programme)
    assert error.value.code == "no_logbook"
    client.force_login(trainer)
    assert client.get(reverse("projects:shared_journal", args=[programme.pk])).status_code == 404


def test_a_participant_of_a_programme_without_the_option_gets_404(client):
    person = EnrolmentFactory().participant
    sign_in(client, person)
    assert client.get(reverse("projects:journal")).status_code == 404
    assert "Mon journal de bord" not in client.get(reverse("space:home")).content.decode()


def test_staff_are_sent_to_the_space_sign_in(client, logbook, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("projects:journal"))
    assert response.status_code == 302 and response.url == reverse("space:sign_in")


def test_the_journal_page_reads_in_a_constant_number_of_queries(
    client, logbook, django_assert_max_num_queries
):
    programme, _trainer, author, _neighbour = logbook
    sign_in(client, author)
    write(author, programme)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("projects:journal"))
    for index in range(10):
        write(author, programme, title=f"Entrée {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("projects:journal"))


def test_a_date_to_come_or_before_the_programme_and_a_too_long_text_are_refused(logbook):
    programme, _trainer, author, _neighbour = logbook
    cases = [
        ({"written_on": timezone.localdate() + dt.timedelta(days=1)}, "date_future"),
        ({"written_on": programme.start_date - dt.timedelta(days=1)}, "date_before_programme"),
        ({"body": "x" * 10_001}, "body_too_long"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ProjectsError) as error:
            write(author, programme, **kwargs)
        assert error.value.code == code
    assert "10 000 au plus" in error.value.message
    entry = write(author, programme, body="x" * 10_000)
    with pytest.raises(ProjectsError) as error:
        services_journal.journal_entry_update(
            actor=author,
            entry=entry,
            written_on=programme.start_date - dt.timedelta(days=1),
            title="Titre",
            body="Texte",
        )
    assert error.value.code == "date_before_programme"
    assert f"le {programme.start_date:%d/%m/%Y}" in error.value.message


def test_the_form_refuses_a_date_to_come_beside_the_field(client, logbook):
    programme, _trainer, author, _neighbour = logbook
    sign_in(client, author)
    response = client.post(
        reverse("projects:journal"),
        {
            "programme": programme.pk,
            "written_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "title": "Demain",
            "body": "Pas encore.",
        },
    )
    assert response.status_code == 200
    assert "est à venir" in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_the_trainers_page_names_the_programme_and_folds_long_entries(client, logbook):
    programme, trainer, author, _neighbour = logbook
    long_body = "\n".join(f"Ligne {n} de l'atelier du mercredi." for n in range(1, 21))
    entry = write(author, programme, title="Long récit", body=long_body)
    services_journal.journal_entry_share(actor=author, entry=entry, shared=True)
    client.force_login(trainer)
    page = client.get(reverse("projects:shared_journal", args=[programme.pk])).content.decode()
    assert f"<title>Journaux de bord partagés — {programme.title}" in page
    assert '<span aria-current="page">Journaux de bord partagés</span>' in page
    assert "Lire la suite" in page and "<details" in page
    head, rest = page.split("Lire la suite", 1)
    assert "Ligne 1 " in head and "Ligne 20 " in rest


def test_the_participants_history_says_they_shared_from_their_space(client, logbook, coordinator):
    programme, _trainer, author, _neighbour = logbook
    entry = write(author, programme)
    sign_in(client, author)
    client.post(reverse("projects:journal_share", args=[entry.pk]), {"shared": "1"})
    assert JournalEntry.objects.get().shared_at is not None
    lines = history_lines(history_entries(obj=author, user=coordinator))
    shared = next(line for line in lines if "partagée" in line.what + line.summary)
    assert shared.who == "La personne, dans son espace"
