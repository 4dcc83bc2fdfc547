"""Reading the journal de bord. Only its author reads an entry; the programme's trainers
read the entries their authors shared (`shared_at` set), nobody else (not coordinators,
referents nor auditors: the journal is a private professional writing, seed 000)."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from formations.models import Participant, Programme
from projects.models import JournalEntry
from projects.selectors import is_programme_trainer


def logbook_programmes(*, participant: Participant) -> QuerySet[Programme]:
    """Programmes asking for a journal in which the participant is enrolled in a session."""
    return (
        Programme.objects.filter(
            logbook_enabled=True,
            formations__sessions__enrolments__participant=participant,
        )
        .distinct()
        .order_by("-start_date", "pk")
    )


def own_entries(*, participant: Participant, programme: Programme) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(participant=participant, programme=programme).order_by(
        "-written_on", "-pk"
    )


def own_entry(*, participant: Participant, pk: int) -> JournalEntry:
    """The participant's own entry, in a programme that still asks for the journal; anyone
    else's is 404."""
    entry = (
        JournalEntry.objects.select_related("programme")
        .filter(
            pk=pk,
            participant=participant,
            programme__in=logbook_programmes(participant=participant),
        )
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def own_entry_counts(*, participant: Participant) -> list[Programme]:
    """The participant's logbook programmes, each with `entry_count` and `shared_count`
    (one query)."""
    mine = Q(journal_entries__participant=participant)
    return list(
        Programme.objects.filter(pk__in=logbook_programmes(participant=participant).values("pk"))
        .annotate(
            entry_count=Count("journal_entries", filter=mine),
            shared_count=Count(
                "journal_entries", filter=mine & Q(journal_entries__shared_at__isnull=False)
            ),
        )
        .order_by("-start_date", "pk")
    )


def can_read_shared(*, user, programme: Programme) -> bool:
    return bool(
        programme.logbook_enabled
        and user.is_authenticated
        and is_programme_trainer(user=user, programme=programme)
    )


def shared_entries(*, user, programme: Programme) -> QuerySet[JournalEntry]:
    """The entries shared with the programme's trainers, by participant then date; none for
    anybody else."""
    if not can_read_shared(user=user, programme=programme):
        return JournalEntry.objects.none()
    return (
        JournalEntry.objects.filter(programme=programme, shared_at__isnull=False)
        .select_related("participant", "participant__structure")
        .order_by("participant__sort_key", "participant_id", "-written_on", "-pk")
    )
