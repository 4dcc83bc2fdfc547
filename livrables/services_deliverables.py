"""Writes of expected deliverables (livrables attendus): their definition and due dates,
the versions uploaded for each due item, the funder's decision and the diffusion. Each
write checks its actor, runs in a transaction, `full_clean()`s and is journaled on the
formation (`log_action`), whatever page, command or demo calls it.

Who: coordinators define deliverables, upload versions and mark a validated version
« diffusé ». The funder's decision (« validé » or « à reprendre ») is recorded either by
an auditor of one of the funders of the formation's programme — the one write an auditor
may make (DESIGN.md) — or by a coordinator who attaches the funder's message (a PDF, an
e-mail .eml / .msg or an image, checked by content) or pastes its text.

Due dates (`due_schedule`): periods follow the calendar (bimesters January–February,
March–April…; half-years January–June and July–December; calendar years), cut by the
execution period; a partial first or last period shorter than half a full one is merged
into its neighbour (nobody writes a narrative of ten days). Each period is due on its
last day plus the deliverable's lead time. « Once at the end »: one item, due at the end
of execution plus the lead time. Given dates are due dates as typed.

Codes of `LivrablesError`: `not_allowed`, `invalid`, `no_execution_period`, `no_dates`,
`has_versions`, `duplicate_title`, `file_missing`, `file_empty`, `file_too_large`, `file_type`,
`message_required`, `message_type`, `funder_not_allowed`, `not_latest`,
`not_submitted`, `comment_required`, `not_validated`, `already_validated`,
`already_diffused`, `outside_execution` (a given date out of the execution period),
`date_future`, `date_too_early` (a decision dated before the upload, a diffusion before
the validation), `gone` (the row was deleted meanwhile, by a regeneration for instance)."""

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.models import Formation, Funder
from formations.permissions import can_manage, is_funder_auditor
from formations.storage import documents_storage
from livrables.exceptions import LivrablesError, clean_or_refuse
from livrables.models_deliverables import (
    FUNDER_MESSAGES_FOLDER,
    VERSION_EXTENSIONS,
    VERSIONS_FOLDER,
    DeliverableDue,
    DeliverableStatus,
    DeliverableVersion,
    ExpectedDeliverable,
)
from livrables.notify_deliverables import notify_rework
from livrables.permissions import ensure_coordinator
from livrables.uploads import (
    UploadTooLarge,
    document_content_type,
    message_content_type,
    upload_bytes,
)

Rhythm = ExpectedDeliverable.Rhythm
Status = DeliverableStatus

MONTHS_PER_PERIOD = {Rhythm.BIMONTHLY: 2, Rhythm.HALF_YEARLY: 6, Rhythm.YEARLY: 12}


def max_upload_bytes() -> int:
    return int(getattr(settings, "SUIVI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


# --- Due dates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None
    end: dt.date | None
    due_date: dt.date


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _calendar_blocks(start: dt.date, end: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """The calendar blocks of `months` months (aligned on January) that meet [start, end],
    each cut to it."""
    first = dt.date(start.year, (start.month - 1) // months * months + 1, 1)
    blocks = []
    block_start = first
    while block_start <= end:
        next_start = _add_months(block_start, months)
        blocks.append((max(block_start, start), min(next_start - dt.timedelta(days=1), end)))
        block_start = next_start
    return blocks


def _full_days(block_start: dt.date, months: int) -> int:
    first = dt.date(block_start.year, (block_start.month - 1) // months * months + 1, 1)
    return (_add_months(first, months) - first).days


def due_schedule(
    *,
    rhythm: str,
    start: dt.date | None,
    end: dt.date | None,
    lead_days: int = 0,
    given_dates=(),
) -> list[Period]:
    """The due items of a rhythm over the execution period [start, end] (see the module's
    docstring for the rule at the period's ends). Raises LivrablesError
    `no_execution_period` (a rhythm without both execution dates) or `no_dates` (given
    dates without any)."""
    lead = dt.timedelta(days=lead_days or 0)
    if rhythm == Rhythm.GIVEN_DATES:
        dates = sorted(set(given_dates))
        if not dates:
            raise LivrablesError(_("Indiquez au moins une date d'échéance."), code="no_dates")
        return [Period(start=None, end=None, due_date=day) for day in dates]
    if start is None or end is None:
        raise LivrablesError(
            _(
                "La formation n'a pas de période d'exécution complète (début et fin) : "
                "renseignez-la, ou donnez les dates d'échéance une à une."
            ),
            code="no_execution_period",
        )
    if rhythm == Rhythm.AT_END:
        return [Period(start=start, end=end, due_date=end + lead)]
    months = MONTHS_PER_PERIOD[rhythm]
    blocks = _calendar_blocks(start, end, months)
    if len(blocks) > 1:
        # A partial first or last block shorter than half a full one joins its neighbour.
        first_start, first_end = blocks[0]
        if (first_end - first_start).days + 1 < _full_days(first_start, months) / 2:
            blocks[1] = (first_start, blocks[1][1])
            blocks.pop(0)
    if len(blocks) > 1:
        last_start, last_end = blocks[-1]
        if (last_end - last_start).days + 1 < _full_days(last_start, months) / 2:
            blocks[-2] = (blocks[-2][0], last_end)
            blocks.pop()
    return [Period(start=a, end=b, due_date=b + lead) for a, b in blocks]


def deliverable_schedule(deliverable: ExpectedDeliverable) -> list[Period]:
    formation = deliverable.formation
    return due_schedule(
        rhythm=deliverable.rhythm,
        start=formation.start_date,
        end=formation.end_date,
        lead_days=deliverable.lead_days,
        given_dates=deliverable.given_date_values,
    )


@dataclass(frozen=True)
class ScheduleChanges:
    """What regenerating the due items would do: due dates added, removed (items without
    any version), adjusted (`(before, after)` due dates: an item kept for its period, due
    on another date since the lead time changed, or an item without versions due the same
    day whose period changed), and items kept although out of the new schedule (they have
    versions; among them, one that stands for a new period about the same, which is then
    not added again)."""

    added: list[dt.date]
    removed: list[dt.date]
    kept_out_of_schedule: list[dt.date]
    adjusted: list[tuple[dt.date, dt.date]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.adjusted)


@dataclass(frozen=True)
class _Plan:
    changes: ScheduleChanges
    add: list[Period]
    remove: list[DeliverableDue]
    adjust: list[tuple[DeliverableDue, Period]]


def _span(start: dt.date, end: dt.date) -> int:
    return (end - start).days + 1


def _about_the_same(period: Period, due: DeliverableDue) -> bool:
    """Whether a kept item's period and a new one overlap on at least half of each (the
    execution's end moved by a few days): the item stands for the new period."""
    if None in (period.start, period.end, due.period_start, due.period_end):
        return False
    overlap = _span(max(period.start, due.period_start), min(period.end, due.period_end))
    return overlap * 2 >= _span(period.start, period.end) and overlap * 2 >= _span(
        due.period_start, due.period_end
    )


def _plan_schedule(periods: list[Period], dues, has_versions) -> _Plan:
    """Matches the existing items to the new periods by period (given dates, which have
    none, by due date): a matched item stays, its due date moved if the lead time changed,
    so that a validated item is never doubled by a pending one for the same period. No
    query: `has_versions(due)` says whether an item has versions."""

    def key(start, end, due_date):
        return (start, end) if start is not None else due_date

    existing, extra = {}, []
    for due in dues:
        due_key = key(due.period_start, due.period_end, due.due_date)
        if due_key in existing:
            # Two items for one period (made before items were matched by period): the
            # second one is out of schedule.
            extra.append(due)
        else:
            existing[due_key] = due
    matched, unmatched_periods = [], []
    for period in periods:
        due = existing.pop(key(period.start, period.end, period.due_date), None)
        if due is None:
            unmatched_periods.append(period)
        else:
            matched.append((due, period))
    unmatched = [*existing.values(), *extra]
    kept = [d for d in unmatched if has_versions(d)]
    remove = [d for d in unmatched if not has_versions(d)]
    # Dates taken once the items to remove are gone (one item per date).
    taken = {d.due_date for d in kept}
    adjust = [
        (due, period)
        for due, period in matched
        if due.due_date != period.due_date and period.due_date not in taken
    ]
    add, standing = [], set()
    for period in unmatched_periods:
        stand_in = next(
            (d for d in kept if d.pk not in standing and _about_the_same(period, d)), None
        )
        same_day = next((d for d in remove if d.due_date == period.due_date), None)
        if stand_in is not None:
            standing.add(stand_in.pk)
        elif same_day is not None:
            # An item without versions due that day takes the new period.
            remove.remove(same_day)
            adjust.append((same_day, period))
        elif period.due_date not in taken:
            add.append(period)
            taken.add(period.due_date)
    return _Plan(
        changes=ScheduleChanges(
            added=sorted(p.due_date for p in add),
            removed=sorted(d.due_date for d in remove),
            kept_out_of_schedule=sorted(d.due_date for d in kept),
            adjusted=sorted((due.due_date, period.due_date) for due, period in adjust),
        ),
        add=add,
        remove=remove,
        adjust=adjust,
    )


def _deliverable_plan(deliverable: ExpectedDeliverable) -> _Plan:
    periods = deliverable_schedule(deliverable)
    dues = list(deliverable.dues.order_by("due_date").annotate(n=Count("versions")))
    return _plan_schedule(periods, dues, lambda due: due.n > 0)


def schedule_changes(deliverable: ExpectedDeliverable) -> ScheduleChanges:
    """Two queries; raises like `due_schedule`."""
    return _deliverable_plan(deliverable).changes


def prefetched_schedule_changes(deliverable: ExpectedDeliverable) -> ScheduleChanges:
    """Like `schedule_changes`, from the due items and versions already prefetched (no
    query)."""
    periods = deliverable_schedule(deliverable)
    dues = sorted(deliverable.dues.all(), key=lambda due: due.due_date)
    return _plan_schedule(periods, dues, lambda due: bool(due.versions.all())).changes


def changes_summary(changes: ScheduleChanges) -> str:
    """« 2 échéances ajoutées, 1 échéance retirée » (French, for messages and the
    journal)."""
    added, removed, adjusted = (
        len(changes.added),
        len(changes.removed),
        len(changes.adjusted),
    )
    parts = []
    if added:
        parts.append(
            ngettext("%(count)s échéance ajoutée", "%(count)s échéances ajoutées", added)
            % {"count": added}
        )
    if removed:
        parts.append(
            ngettext("%(count)s échéance retirée", "%(count)s échéances retirées", removed)
            % {"count": removed}
        )
    if adjusted:
        parts.append(
            ngettext("%(count)s échéance ajustée", "%(count)s échéances ajustées", adjusted)
            % {"count": adjusted}
        )
    return ", ".join(parts) or _("aucune échéance changée")


def _apply_schedule(deliverable: ExpectedDeliverable) -> ScheduleChanges:
    plan = _deliverable_plan(deliverable)
    if plan.remove:
        DeliverableDue.objects.filter(
            pk__in=[due.pk for due in plan.remove], versions__isnull=True
        ).delete()
    # A changed lead time moves every matched item by the same number of days: moving the
    # latest first (the earliest first when moving back) never puts two items on one date
    # on the way (one item per date is a constraint).
    later = any(period.due_date > due.due_date for due, period in plan.adjust)
    for due, period in sorted(plan.adjust, key=lambda pair: pair[0].due_date, reverse=later):
        due.due_date = period.due_date
        due.period_start, due.period_end = period.start, period.end
        clean_or_refuse(due)
        due.save(update_fields=["due_date", "period_start", "period_end"])
    for period in plan.add:
        due = DeliverableDue(
            deliverable=deliverable,
            due_date=period.due_date,
            period_start=period.start,
            period_end=period.end,
        )
        clean_or_refuse(due)
        due.save()
    return plan.changes


# --- Locks ---------------------------------------------------------------------------------
# Writes lock in one order, the deliverable, then the due item, then the version, and
# each lock takes its own row only (`of=("self",)`: a `select_related` join would lock the
# formation and its programme too, on PostgreSQL). A row deleted meanwhile (an item
# removed by a regeneration while a version is uploaded to it) is a refusal `gone`, not a
# server error. SQLite ignores `select_for_update`: its writes are serialised anyway.


def _gone() -> LivrablesError:
    return LivrablesError(
        _(
            "Ce livrable, cette échéance ou cette version n'existe plus (supprimé ou "
            "recalculé entre-temps) : rechargez la page."
        ),
        code="gone",
    )


def _lock(queryset, pk):
    try:
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    except ObjectDoesNotExist:
        raise _gone() from None


def _lock_deliverable(pk: int, *related) -> ExpectedDeliverable:
    queryset = ExpectedDeliverable.objects.all()
    return _lock(queryset.select_related(*related) if related else queryset, pk)


def _lock_due(due_pk: int, deliverable_pk: int | None = None):
    """Locks the due item's deliverable, then the due item; returns the due item with its
    (locked) deliverable."""
    if deliverable_pk is None:
        deliverable_pk = (
            DeliverableDue.objects.filter(pk=due_pk)
            .values_list("deliverable_id", flat=True)
            .first()
        )
        if deliverable_pk is None:
            raise _gone()
    deliverable = _lock_deliverable(deliverable_pk, "formation__programme")
    due = _lock(DeliverableDue.objects.filter(deliverable=deliverable), due_pk)
    due.deliverable = deliverable
    return due


def _lock_version(version_pk: int) -> DeliverableVersion:
    """Locks the deliverable, the due item, then the version; returns the version with its
    (locked) due item and deliverable, formation and programme."""
    ids = (
        DeliverableVersion.objects.filter(pk=version_pk)
        .values_list("due_id", "due__deliverable_id")
        .first()
    )
    if ids is None:
        raise _gone()
    due = _lock_due(ids[0], ids[1])
    version = _lock(DeliverableVersion.objects.filter(due=due), version_pk)
    version.due = due
    return version


# --- Checks ------------------------------------------------------------------------------


def _ensure_coordinator(actor) -> None:
    ensure_coordinator(
        actor, _("Seul·e un·e coordinateur·rice peut faire cela sur les livrables attendus.")
    )


def _read_upload(upload, *, what: str) -> bytes:
    if upload is None:
        raise LivrablesError(
            _("Joignez le fichier %(what)s.") % {"what": what}, code="file_missing"
        )
    limit = max_upload_bytes()
    try:
        content = upload_bytes(upload, limit=limit)
    except UploadTooLarge:
        raise LivrablesError(
            _("Le fichier %(what)s dépasse %(mb)s Mo.")
            % {"what": what, "mb": limit // (1024 * 1024)},
            code="file_too_large",
        ) from None
    if not content:
        raise LivrablesError(_("Le fichier %(what)s est vide.") % {"what": what}, code="file_empty")
    return content


def _file_name(upload) -> str:
    return ((getattr(upload, "name", "") or "").rsplit("/", 1)[-1])[-255:]


def _cleanup_on_failure(stored: str, folder: str) -> None:
    if stored and stored.startswith(f"{folder}/"):
        documents_storage().delete(stored)


def _journal(actor, action: str, due_or_deliverable, summary: str, **data) -> None:
    deliverable = getattr(due_or_deliverable, "deliverable", due_or_deliverable)
    log_action(
        actor=actor,
        action=action,
        obj=deliverable.formation,
        summary=summary,
        data={"deliverable": deliverable.pk, "title": deliverable.title, **data},
    )


def due_label(due: DeliverableDue) -> str:
    return _("« %(title)s », échéance du %(date)s") % {
        "title": due.deliverable.title,
        "date": f"{due.due_date:%d/%m/%Y}",
    }


def _dated(day: dt.date | None, *, now: dt.datetime, not_before: dt.datetime, what: str):
    """The moment recorded for an event the coordinator dates from a message (the funder's
    decision, the diffusion): `now` when undated or dated today; else noon of that day (the
    hour is unknown), never before `not_before`. Raises LivrablesError `date_future` or
    `date_too_early` (the decision before the upload, the diffusion before the validation:
    the file's history would run backwards)."""
    today = timezone.localdate(now)
    if day is None or day == today:
        return now
    earliest = timezone.localdate(not_before)
    if day > today:
        raise LivrablesError(
            _("La date %(what)s (%(day)s) est dans le futur.")
            % {"what": what, "day": f"{day:%d/%m/%Y}"},
            code="date_future",
        )
    if day < earliest:
        raise LivrablesError(
            _("La date %(what)s (%(day)s) précède le %(earliest)s.")
            % {"what": what, "day": f"{day:%d/%m/%Y}", "earliest": f"{earliest:%d/%m/%Y}"},
            code="date_too_early",
        )
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return max(noon, not_before)


# --- Definition ------------------------------------------------------------------------------


def _ensure_unique_title(deliverable: ExpectedDeliverable) -> None:
    """One title per formation (a constraint): said in the user's words (`duplicate_title`)."""
    others = ExpectedDeliverable.objects.filter(
        formation_id=deliverable.formation_id, title=deliverable.title
    ).exclude(pk=deliverable.pk)
    if others.exists():
        raise LivrablesError(
            _("Cette formation a déjà un livrable attendu intitulé « %(title)s ».")
            % {"title": deliverable.title},
            code="duplicate_title",
        )


def _given(rhythm: str, given_dates, formation: Formation) -> list[str]:
    """The given dates as stored (ISO, sorted), for the « à des dates données » rhythm only;
    the execution period bounds them (`outside_execution`: a deliverable is not due
    outside the contract, and a date outside is most often a typing error)."""
    if rhythm != Rhythm.GIVEN_DATES:
        return []
    days = sorted(set(given_dates or ()))
    start, end = formation.start_date, formation.end_date
    outside = [d for d in days if (start and d < start) or (end and d > end)]
    if outside:
        if start and end:
            period = _("du %(start)s au %(end)s") % {
                "start": f"{start:%d/%m/%Y}",
                "end": f"{end:%d/%m/%Y}",
            }
        elif start:
            period = _("à partir du %(start)s") % {"start": f"{start:%d/%m/%Y}"}
        else:
            period = _("jusqu'au %(end)s") % {"end": f"{end:%d/%m/%Y}"}
        raise LivrablesError(
            ngettext(
                "La date du %(dates)s sort de la période d'exécution du marché (%(period)s) : "
                "vérifiez-la.",
                "Les dates du %(dates)s sortent de la période d'exécution du marché "
                "(%(period)s) : vérifiez-les.",
                len(outside),
            )
            % {"dates": ", ".join(f"{d:%d/%m/%Y}" for d in outside), "period": period},
            code="outside_execution",
        )
    return [day.isoformat() for day in days]


@transaction.atomic
def deliverable_create(
    *,
    actor,
    formation: Formation,
    title: str,
    rhythm: str,
    description: str = "",
    lead_days: int | None = 0,
    given_dates=(),
) -> ExpectedDeliverable:
    """Defines an expected deliverable and generates its due items (journal
    `livrables.deliverable_created`). Raises LivrablesError `not_allowed`, `invalid`,
    `no_execution_period` or `no_dates`; nothing is kept on a refusal."""
    _ensure_coordinator(actor)
    deliverable = ExpectedDeliverable(
        formation=formation,
        title=title.strip(),
        description=description,
        rhythm=rhythm,
        lead_days=lead_days or 0,
        given_dates=_given(rhythm, given_dates, formation),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _ensure_unique_title(deliverable)
    clean_or_refuse(deliverable)
    deliverable.save()
    changes = _apply_schedule(deliverable)
    _journal(
        actor,
        "livrables.deliverable_created",
        deliverable,
        ngettext(
            "Livrable attendu « %(title)s » défini (%(rhythm)s, %(count)s échéance)",
            "Livrable attendu « %(title)s » défini (%(rhythm)s, %(count)s échéances)",
            len(changes.added),
        )
        % {
            "title": deliverable.title,
            "rhythm": deliverable.get_rhythm_display().lower(),
            "count": len(changes.added),
        },
        rhythm=rhythm,
        lead_days=deliverable.lead_days,
        due_dates=[day.isoformat() for day in changes.added],
    )
    return deliverable


@transaction.atomic
def deliverable_update(
    *,
    actor,
    deliverable: ExpectedDeliverable,
    title: str,
    rhythm: str,
    description: str = "",
    lead_days: int | None = 0,
    given_dates=(),
) -> ScheduleChanges:
    """Changes a deliverable and regenerates its due items: those with versions are kept
    whatever the new rhythm; those without are removed when out of the new schedule.
    Journal `livrables.deliverable_updated`. Same codes as `deliverable_create`."""
    _ensure_coordinator(actor)
    deliverable = _lock_deliverable(deliverable.pk)
    before = {
        "title": deliverable.title,
        "rhythm": deliverable.rhythm,
        "lead_days": deliverable.lead_days,
        "given_dates": deliverable.given_dates,
    }
    deliverable.title = title.strip()
    deliverable.description = description
    deliverable.rhythm = rhythm
    deliverable.lead_days = lead_days or 0
    deliverable.given_dates = _given(rhythm, given_dates, deliverable.formation)
    _ensure_unique_title(deliverable)
    clean_or_refuse(deliverable)
    deliverable.save()
    changes = _apply_schedule(deliverable)
    after = {
        "title": deliverable.title,
        "rhythm": deliverable.rhythm,
        "lead_days": deliverable.lead_days,
        "given_dates": deliverable.given_dates,
    }
    _journal(
        actor,
        "livrables.deliverable_updated",
        deliverable,
        _("Livrable attendu « %(title)s » modifié") % {"title": deliverable.title},
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        added=[day.isoformat() for day in changes.added],
        removed=[day.isoformat() for day in changes.removed],
        adjusted=[[a.isoformat(), b.isoformat()] for a, b in changes.adjusted],
    )
    return changes


@transaction.atomic
def deliverable_regenerate(*, actor, deliverable: ExpectedDeliverable) -> ScheduleChanges:
    """Regenerates the due items from the formation's execution period as it stands (after
    a change of its dates): items with versions are never lost. Journal
    `livrables.deliverable_regenerated` (nothing when nothing changes)."""
    _ensure_coordinator(actor)
    deliverable = _lock_deliverable(deliverable.pk, "formation")
    changes = _apply_schedule(deliverable)
    if not changes.empty:
        _journal(
            actor,
            "livrables.deliverable_regenerated",
            deliverable,
            _("Échéances de « %(title)s » recalculées : %(changes)s")
            % {"title": deliverable.title, "changes": changes_summary(changes)},
            added=[day.isoformat() for day in changes.added],
            removed=[day.isoformat() for day in changes.removed],
            adjusted=[[a.isoformat(), b.isoformat()] for a, b in changes.adjusted],
        )
    return changes


@transaction.atomic
def deliverable_delete(*, actor, deliverable: ExpectedDeliverable) -> None:
    """Deletes a deliverable defined by mistake, only while none of its items has a
    version (`has_versions`): uploaded evidence is never deleted. Journal
    `livrables.deliverable_deleted`."""
    _ensure_coordinator(actor)
    deliverable = _lock_deliverable(deliverable.pk)
    if DeliverableVersion.objects.filter(due__deliverable=deliverable).exists():
        raise LivrablesError(
            _("Des versions ont été déposées pour ce livrable : il ne peut plus être supprimé."),
            code="has_versions",
        )
    formation, title = deliverable.formation, deliverable.title
    deliverable.delete()
    log_action(
        actor=actor,
        action="livrables.deliverable_deleted",
        obj=formation,
        summary=_("Livrable attendu « %(title)s » supprimé") % {"title": title},
        data={"title": title},
    )


# --- Versions ----------------------------------------------------------------------------


@transaction.atomic
def version_submit(*, actor, due: DeliverableDue, upload, now=None) -> DeliverableVersion:
    """Uploads a version of a due item, which is submitted to the funder at once: the item
    (« à produire », « en retard », « à reprendre » or already « soumis » with an earlier
    version) becomes « soumis ». A PDF, DOCX, ODT, PPTX or ODP by its content; kept in the
    private documents storage with its SHA-256. Journal
    `livrables.deliverable_version_submitted`. Raises LivrablesError `not_allowed`,
    `already_validated` (a validated or diffused item takes no new version), or a
    `file_…` code; nothing is kept on a refusal."""
    _ensure_coordinator(actor)
    due = _lock_due(due.pk, due.deliverable_id)
    refusal = no_new_version_reason(due)
    if refusal is not None:
        raise LivrablesError(refusal, code=f"already_{due.status}")
    content = _read_upload(upload, what=_("du livrable"))
    content_type = document_content_type(content)
    if content_type is None:
        raise LivrablesError(
            _(
                "Le fichier « %(name)s » n'est ni un PDF, ni un document DOCX, ODT, PPTX ou "
                "ODP d'après son contenu (quelle que soit son extension) : déposez le "
                "livrable dans l'un de ces formats."
            )
            % {"name": _file_name(upload)},
            code="file_type",
        )
    last = due.versions.aggregate(n=Max("number"))["n"] or 0
    version = DeliverableVersion(
        due=due,
        number=last + 1,
        status=Status.SUBMITTED,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        original_name=_file_name(upload),
        content_type=content_type,
        uploaded_at=now or timezone.now(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version.file = ContentFile(
        content, name=f"{uuid.uuid4().hex}.{VERSION_EXTENSIONS[content_type]}"
    )
    clean_or_refuse(version)
    try:
        version.save()
        due.status = Status.SUBMITTED
        due.save(update_fields=["status"])
        _journal(
            actor,
            "livrables.deliverable_version_submitted",
            due,
            _("Version %(number)s déposée et soumise : %(due)s")
            % {"number": version.number, "due": due_label(due)},
            due=due.pk,
            due_date=due.due_date.isoformat(),
            version=version.number,
            sha256=version.sha256,
            size=version.size,
            file=version.original_name,
        )
    except BaseException:
        _cleanup_on_failure(version.file.name or "", VERSIONS_FOLDER)
        raise
    return version


def no_new_version_reason(due: DeliverableDue) -> str | None:
    """Why a due item takes no new version (validated or diffused already), or None."""
    if due.status == Status.VALIDATED:
        return _("Cette échéance est déjà validée : elle ne prend plus de nouvelle version.")
    if due.status == Status.DIFFUSED:
        return _("Cette échéance est déjà diffusée : elle ne prend plus de nouvelle version.")
    return None


def auditor_funders(user, formation: Formation):
    """The funders of the formation's programme that `user` audits (none for others)."""
    if not is_funder_auditor(user):
        return Funder.objects.none()
    return formation.programme.funders.filter(auditors=user).order_by("name")


@transaction.atomic
def version_decide(
    *,
    actor,
    version: DeliverableVersion,
    validated: bool,
    funder: Funder,
    comment: str = "",
    message_text: str = "",
    message_file=None,
    decided_on: dt.date | None = None,
    now=None,
) -> DeliverableVersion:
    """Records the funder's decision on the latest, submitted version of a due item:
    « validé », or « à reprendre » with a comment saying what (`comment_required`).

    By an auditor of `funder`, itself a funder of the formation's programme (the one write
    an auditor may make), or by a coordinator who attaches the funder's message: a file
    (PDF, .eml, .msg, JPEG, PNG, checked by content: `message_type`) or its pasted text
    (`message_required` when neither). Journal `livrables.deliverable_validated` or
    `livrables.deliverable_to_rework`; « à reprendre » is e-mailed to the coordinators
    with the comment (`notify_deliverables.notify_rework`). A coordinator dates the
    decision from the message (`decided_on`: not in the future, not before the upload:
    `date_future`, `date_too_early`); an auditor's own decision is dated now. Raises
    LivrablesError `not_allowed`, `funder_not_allowed`, `not_latest`, `not_submitted` and
    the `file_…` codes."""
    version = _lock_version(version.pk)
    due = version.due
    formation = version.due.deliverable.formation
    auditor = actor is not None and is_funder_auditor(actor)
    if not (actor is None or auditor or can_manage(actor)):
        raise LivrablesError(
            _(
                "La décision ne peut être enregistrée que par l'auditeur·rice du financeur "
                "ou par la coordination."
            ),
            code="not_allowed",
        )
    allowed_funders = (
        auditor_funders(actor, formation) if auditor else formation.programme.funders.all()
    )
    if funder is None or not allowed_funders.filter(pk=funder.pk).exists():
        raise LivrablesError(
            _(
                "Ce financeur ne finance pas cette formation, ou vous n'en êtes pas "
                "l'auditeur·rice."
            ),
            code="funder_not_allowed",
        )
    if due.versions.aggregate(n=Max("number"))["n"] != version.number:
        raise LivrablesError(
            _("Une version plus récente a été déposée : la décision porte sur la dernière."),
            code="not_latest",
        )
    if version.status != Status.SUBMITTED or due.status != Status.SUBMITTED:
        raise LivrablesError(
            _("Cette version n'attend pas de décision (état : %(state)s).")
            % {"state": version.get_status_display().lower()},
            code="not_submitted",
        )
    comment = (comment or "").strip()
    if not validated and not comment:
        raise LivrablesError(
            _("Dites ce qui est à reprendre : le commentaire est obligatoire."),
            code="comment_required",
        )
    message_text = (message_text or "").strip()
    if not auditor:
        if message_file is None and not message_text:
            raise LivrablesError(
                _(
                    "Joignez le message du financeur (PDF, e-mail .eml ou .msg, image) ou "
                    "collez son texte : la décision est la sienne."
                ),
                code="message_required",
            )
        if message_file is not None:
            content = _read_upload(message_file, what=_("du message du financeur"))
            content_type = message_content_type(content)
            if content_type is None:
                raise LivrablesError(
                    _(
                        "Le fichier « %(name)s » n'est ni un PDF, ni un e-mail (.eml, .msg), "
                        "ni une image JPEG ou PNG d'après son contenu."
                    )
                    % {"name": _file_name(message_file)},
                    code="message_type",
                )
            version.message_sha256 = hashlib.sha256(content).hexdigest()
            version.message_original_name = _file_name(message_file)
            version.message_content_type = content_type
            version.message_file = ContentFile(
                content, name=f"{uuid.uuid4().hex}.{VERSION_EXTENSIONS[content_type]}"
            )
    version.status = Status.VALIDATED if validated else Status.TO_REWORK
    version.comment = comment
    version.message_text = "" if auditor else message_text
    version.funder = funder
    version.decided_at = _dated(
        None if auditor else decided_on,
        now=now or timezone.now(),
        not_before=version.uploaded_at,
        what=_("de la décision"),
    )
    version.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    decided_as = DeliverableVersion.DecidedAs
    version.decided_as = decided_as.AUDITOR if auditor else decided_as.COORDINATOR
    clean_or_refuse(version)
    try:
        version.save()
        due.status = version.status
        due.save(update_fields=["status"])
        _journal(
            actor,
            "livrables.deliverable_validated" if validated else "livrables.deliverable_to_rework",
            due,
            _("Version %(number)s, décision de %(funder)s du %(date)s : %(due)s")
            % {
                "number": version.number,
                "funder": funder.name,
                "date": f"{timezone.localdate(version.decided_at):%d/%m/%Y}",
                "due": due_label(version.due),
            },
            due=due.pk,
            version=version.number,
            funder=funder.name,
            decided_as=version.decided_as,
            decided_at=version.decided_at.isoformat(),
            comment=comment,
            message_sha256=version.message_sha256,
            message_text=bool(version.message_text),
        )
        if not validated:
            notify_rework(version, actor=actor)
    except BaseException:
        _cleanup_on_failure(version.message_file.name or "", FUNDER_MESSAGES_FOLDER)
        raise
    return version


@transaction.atomic
def version_diffuse(
    *, actor, version: DeliverableVersion, diffused_on: dt.date | None = None, now=None
) -> DeliverableVersion:
    """Marks a validated version « diffusé » (circulated) on `diffused_on` (today when
    None; not in the future, not before the validation: `date_future`, `date_too_early`):
    only a validated version may be (`not_validated`). Coordinators only. Journal
    `livrables.deliverable_diffused`."""
    _ensure_coordinator(actor)
    version = _lock_version(version.pk)
    if version.status != Status.VALIDATED:
        raise LivrablesError(
            _("Seule une version validée par le financeur peut être diffusée (état : %(state)s).")
            % {"state": version.get_status_display().lower()},
            code="not_validated",
        )
    due = version.due
    version.status = Status.DIFFUSED
    version.diffused_at = _dated(
        diffused_on,
        now=now or timezone.now(),
        not_before=version.decided_at or version.uploaded_at,
        what=_("de diffusion"),
    )
    version.diffused_by = actor if getattr(actor, "is_authenticated", False) else None
    clean_or_refuse(version)
    version.save()
    due.status = Status.DIFFUSED
    due.save(update_fields=["status"])
    _journal(
        actor,
        "livrables.deliverable_diffused",
        version.due,
        _("Version %(number)s, le %(date)s : %(due)s")
        % {
            "number": version.number,
            "date": f"{timezone.localdate(version.diffused_at):%d/%m/%Y}",
            "due": due_label(version.due),
        },
        due=due.pk,
        version=version.number,
        diffused_at=version.diffused_at.isoformat(),
    )
    return version
