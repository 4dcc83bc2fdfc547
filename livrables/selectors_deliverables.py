"""Reads of expected deliverables: who sees them (coordinators, and the auditors of the
formation's funders), what is late or due soon, what awaits the funder's validation, and
the validated versions the audit pack carries. Each read is a fixed number of queries,
whatever the number of deliverables, due items or versions."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from formations.models import Formation
from formations.permissions import can_manage, is_funder_auditor
from formations.selectors import formations_visible_to
from livrables.models_deliverables import (
    OPEN_STATUSES,
    VERSION_EXTENSIONS,
    DeliverableDue,
    DeliverableStatus,
    DeliverableVersion,
    ExpectedDeliverable,
)

# « Due soon » on the dashboard and the formation page.
SOON_DAYS = 15


def deliverable_formations_for(*, user) -> QuerySet[Formation]:
    """The formations whose deliverables `user` may see: every one for a coordinator,
    those of their funders' programmes for an auditor, none for a trainer or a referent."""
    if can_manage(user) or is_funder_auditor(user):
        return formations_visible_to(user=user)
    return Formation.objects.none()


def may_edit_deliverables(user) -> bool:
    """Defining deliverables, uploading versions, marking one diffused: coordinators."""
    return can_manage(user)


def may_decide(user) -> bool:
    """Recording the funder's decision on a formation already found through
    `deliverable_formations_for`: a coordinator (with the funder's message) or an auditor
    (who sees the formation only if they audit one of its funders)."""
    return can_manage(user) or is_funder_auditor(user)


def formation_deliverables(*, formation: Formation) -> list[ExpectedDeliverable]:
    """The formation's deliverables with their due items and versions (three queries)."""
    versions = DeliverableVersion.objects.select_related("funder", "decided_by", "uploaded_by")
    dues = DeliverableDue.objects.order_by("due_date").prefetch_related(
        Prefetch("versions", queryset=versions.order_by("number"))
    )
    return list(
        ExpectedDeliverable.objects.filter(formation=formation)
        .order_by("title", "pk")
        .prefetch_related(Prefetch("dues", queryset=dues))
    )


def formation_deliverable(*, formation: Formation, pk: int) -> ExpectedDeliverable | None:
    return ExpectedDeliverable.objects.filter(formation=formation, pk=pk).first()


def formation_due(*, formation: Formation, pk: int) -> DeliverableDue | None:
    return (
        DeliverableDue.objects.select_related("deliverable__formation")
        .filter(deliverable__formation=formation, pk=pk)
        .first()
    )


def formation_version(*, formation: Formation, pk: int) -> DeliverableVersion | None:
    return (
        DeliverableVersion.objects.select_related("due__deliverable__formation__programme")
        .filter(due__deliverable__formation=formation, pk=pk)
        .first()
    )


def _with_latest_version(dues: QuerySet[DeliverableDue]) -> QuerySet[DeliverableDue]:
    latest = DeliverableVersion.objects.filter(due_id=OuterRef("pk")).order_by("-number")
    return dues.annotate(
        latest_version_id=Subquery(latest.values("pk")[:1]),
        latest_version_number=Subquery(latest.values("number")[:1]),
    )


def urgent_dues(
    *, formations: QuerySet[Formation], today: dt.date | None = None
) -> QuerySet[DeliverableDue]:
    """Due items of `formations` still to produce (or to rework) that are late or due
    within `SOON_DAYS` days, oldest date first, with their deliverable and formation
    (one query)."""
    today = today or timezone.localdate()
    return (
        DeliverableDue.objects.filter(
            deliverable__formation__in=formations.order_by().values("pk"),
            status__in=OPEN_STATUSES,
            due_date__lte=today + dt.timedelta(days=SOON_DAYS),
        )
        .select_related("deliverable__formation")
        .order_by("due_date", "deliverable__title", "pk")
    )


def formation_watch_dues(*, formation: Formation, today: dt.date) -> list[DeliverableDue]:
    """For the formation page, in one query: every due item of the formation (a few dozen
    at most: the contract's deliverables over its execution period) with its deliverable
    and latest version, by date; the panel keeps those late, due within `SOON_DAYS` days
    or awaiting the funder's decision. None at all: no deliverable is defined (each one
    has at least one due item)."""
    return list(
        _with_latest_version(DeliverableDue.objects.filter(deliverable__formation=formation))
        .select_related("deliverable")
        .order_by("due_date", "deliverable__title", "pk")
    )


def watched(due: DeliverableDue, today: dt.date) -> bool:
    """Late or due within `SOON_DAYS` days (still to produce or to rework), or submitted."""
    if due.status == DeliverableStatus.SUBMITTED:
        return True
    return due.status in OPEN_STATUSES and due.due_date <= today + dt.timedelta(days=SOON_DAYS)


def deliverables_awaiting_validation(*, user) -> QuerySet[DeliverableDue]:
    """The submitted due items (awaiting the funder's decision) of the formations `user`
    may see — for an auditor, those of their funders' programmes — oldest date first, each
    with its deliverable, formation and programme (`select_related`) and its latest
    version (`latest_version_id`, `latest_version_number`). One
    query, whatever the number of items; none for a trainer or a referent."""
    formations = deliverable_formations_for(user=user)
    return (
        _with_latest_version(
            DeliverableDue.objects.filter(
                status=DeliverableStatus.SUBMITTED,
                deliverable__formation__in=formations.order_by().values("pk"),
            )
        )
        .select_related("deliverable__formation__programme")
        .order_by("due_date", "deliverable__title", "pk")
    )


@dataclass(frozen=True)
class ValidatedVersion:
    """A version the funder validated (or that was since diffused), for the audit pack:
    `storage_name` in the documents storage, `pack_name` where the pack puts it."""

    deliverable_title: str
    due_date: dt.date
    period_start: dt.date | None
    period_end: dt.date | None
    number: int
    status: str
    storage_name: str
    pack_name: str
    original_name: str
    content_type: str
    sha256: str
    size: int
    funder: str
    decided_at: dt.datetime | None
    decided_as: str
    diffused_at: dt.datetime | None
    version_id: int
    # The funder's message the coordination attached to the decision (a file), if any:
    # the pack may carry it beside the version as the proof of the validation.
    message_storage_name: str = ""
    message_pack_name: str = ""
    message_sha256: str = ""


def _message_pack_name(version: DeliverableVersion) -> str:
    if not version.message_file:
        return ""
    extension = VERSION_EXTENSIONS.get(version.message_content_type, "bin")
    return version.pack_name.rsplit(".", 1)[0] + f"-message-du-financeur.{extension}"


def validated_versions(
    *, formation: Formation, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[ValidatedVersion]:
    """The validated or diffused versions of the formation's deliverables whose due date
    falls within [date_from, date_to] (either bound optional), by deliverable and date,
    with the name of their kept file (open it with `formations.storage.documents_storage`)
    and their name in the pack. One query."""
    versions = DeliverableVersion.objects.filter(
        due__deliverable__formation=formation,
        status__in=(DeliverableStatus.VALIDATED, DeliverableStatus.DIFFUSED),
    )
    if date_from is not None:
        versions = versions.filter(due__due_date__gte=date_from)
    if date_to is not None:
        versions = versions.filter(due__due_date__lte=date_to)
    versions = versions.select_related("due__deliverable", "funder").order_by(
        "due__deliverable__title", "due__due_date", "number"
    )
    return [
        ValidatedVersion(
            deliverable_title=version.due.deliverable.title,
            due_date=version.due.due_date,
            period_start=version.due.period_start,
            period_end=version.due.period_end,
            number=version.number,
            status=version.status,
            storage_name=version.file.name,
            pack_name=version.pack_name,
            original_name=version.original_name,
            content_type=version.content_type,
            sha256=version.sha256,
            size=version.size,
            funder=version.funder.name if version.funder else "",
            decided_at=version.decided_at,
            decided_as=version.decided_as,
            diffused_at=version.diffused_at,
            version_id=version.pk,
            message_storage_name=version.message_file.name or "",
            message_pack_name=_message_pack_name(version),
            message_sha256=version.message_sha256,
        )
        for version in versions
    ]
