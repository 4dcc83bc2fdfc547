"""Writes of expenses (frais engagés) and missions: coordinators only, whatever page or
script calls; each write is journaled. A receipt is accepted by its content (the first
bytes of a PDF, a JPEG or a PNG), never by its name or the browser's word.

Codes of `LivrablesError`: `not_allowed`, `invalid` (a field refused by `full_clean`,
the message names it), `receipt_missing`, `receipt_empty`, `receipt_too_large`,
`receipt_type` (not a PDF, JPEG or PNG by its content), `outside_execution` (an
expense's date or a mission's dates outside the formation's execution period)."""

import datetime as dt
import hashlib
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from formations.audit import log_action
from formations.models import Formation
from formations.storage import documents_storage
from livrables.exceptions import LivrablesError, clean_or_refuse
from livrables.models_expenses import (
    RECEIPT_EXTENSIONS,
    RECEIPTS_FOLDER,
    Expense,
    ExpenseNumbering,
    Mission,
)
from livrables.pdf.service_fait import euros
from livrables.permissions import ensure_coordinator
from livrables.uploads import UploadTooLarge, signature_type, upload_bytes

# A scanned invoice or a phone photo fits well under this.
MAX_RECEIPT_BYTES = 10 * 1024 * 1024
EXPENSE_FIELDS = (
    "date",
    "category",
    "description",
    "session",
    "mission",
    "amount_ht",
    "vat",
    "amount_ttc",
    "paid_by",
)


def _ensure_coordinator(actor) -> None:
    ensure_coordinator(actor, _("Seul·e un·e coordinateur·rice peut saisir les frais engagés."))


def receipt_content(upload) -> tuple[bytes, str]:
    """The bytes of an uploaded receipt and its content type, found from its first bytes.

    Raises LivrablesError `receipt_missing`, `receipt_empty`, `receipt_too_large` or
    `receipt_type`: a file named `.pdf` that holds HTML (or anything else) is refused,
    because a controller must be able to open what the pack calls a receipt."""
    if upload is None:
        raise LivrablesError(
            _("Joignez le justificatif (PDF, JPEG ou PNG)."), code="receipt_missing"
        )
    try:
        content = upload_bytes(upload, limit=MAX_RECEIPT_BYTES)
    except UploadTooLarge:
        raise LivrablesError(
            _("Le justificatif dépasse 10 Mo : réduisez-le (scan en 150 dpi, photo compressée)."),
            code="receipt_too_large",
        ) from None
    if not content:
        raise LivrablesError(_("Le fichier du justificatif est vide."), code="receipt_empty")
    content_type = signature_type(content)
    if content_type:
        return content, content_type
    name = getattr(upload, "name", "") or ""
    raise LivrablesError(
        _(
            "Le fichier « %(name)s » n'est ni un PDF, ni une image JPEG ou PNG d'après son "
            "contenu (quelle que soit son extension) : déposez le justificatif dans l'un de "
            "ces formats."
        )
        % {"name": name.rsplit("/", 1)[-1]},
        code="receipt_type",
    )


def _attach_receipt(expense: Expense, upload) -> None:
    content, content_type = receipt_content(upload)
    expense.receipt_sha256 = hashlib.sha256(content).hexdigest()
    expense.receipt_original_name = (getattr(upload, "name", "") or "")[-255:]
    expense.receipt_content_type = content_type
    # A name of our choosing: the uploaded name is kept apart, never used as a path.
    name = f"{uuid.uuid4().hex}.{RECEIPT_EXTENSIONS[content_type]}"
    expense.receipt = ContentFile(content, name=name)


def _save_with_receipt(expense: Expense, stored_before: str) -> None:
    """Saves the row; the receipt's file is written by the save. If anything fails after,
    the new file is removed so that nothing half-written stays (the transaction undoes
    the row)."""
    try:
        expense.save()
    except BaseException:
        stored = expense.receipt.name or ""
        if stored and stored != stored_before and stored.startswith(f"{RECEIPTS_FOLDER}/"):
            documents_storage().delete(stored)
        raise


def _journal_data(expense: Expense) -> dict:
    return {
        "number": expense.number,
        "date": expense.date.isoformat(),
        "category": expense.category,
        "description": expense.description,
        "session": expense.session_id,
        "mission": expense.mission_id,
        "amount_ht": str(expense.amount_ht),
        "vat": str(expense.vat),
        "amount_ttc": str(expense.amount_ttc),
        "paid_by": expense.paid_by,
        "receipt_sha256": expense.receipt_sha256,
    }


def _locked_numbering(formation_id: int) -> ExpenseNumbering:
    """The formation's expense counter, locked (created when missing: the formation row
    is locked first, so two writers never create it at once), raised to the highest n°
    among its expenses: those numbered before the counter existed count too."""
    Formation.objects.select_for_update().filter(pk=formation_id).first()
    numbering, _created = ExpenseNumbering.objects.select_for_update().get_or_create(
        formation_id=formation_id
    )
    highest = (
        Expense.objects.filter(formation_id=formation_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    numbering.last_number = max(numbering.last_number, highest or 0)
    return numbering


def _next_number(formation: Formation) -> int:
    """The next expense n° of the formation, counted by `ExpenseNumbering` so that a
    number printed in a funder's file is never given twice, deletions included. The
    counter's row is locked: two expenses typed at once do not take the same n°."""
    numbering = _locked_numbering(formation.pk)
    numbering.last_number += 1
    numbering.save(update_fields=["last_number"])
    return numbering.last_number


def _period_text(start, end) -> str:
    if start and end:
        return _("du %(start)s au %(end)s") % {
            "start": f"{start:%d/%m/%Y}",
            "end": f"{end:%d/%m/%Y}",
        }
    if start:
        return _("à partir du %(start)s") % {"start": f"{start:%d/%m/%Y}"}
    return _("jusqu'au %(end)s") % {"end": f"{end:%d/%m/%Y}"}


def _ensure_within_execution(formation: Formation, first, last) -> None:
    """An expense's date, or a mission's dates, within the formation's execution period
    (when it has one): the contract pays nothing spent outside it, and a date outside is
    most often a typing error (2012 for 2021)."""
    start, end = formation.start_date, formation.end_date
    if first is None or last is None or (start is None and end is None):
        return
    if (start is None or first >= start) and (end is None or last <= end):
        return
    if first == last:
        message = _(
            "La date du %(first)s sort de la période d'exécution du marché (%(period)s) : "
            "vérifiez-la, le marché ne couvre rien en dehors."
        )
    else:
        message = _(
            "Les dates du %(first)s au %(last)s sortent de la période d'exécution du marché "
            "(%(period)s) : vérifiez-les, le marché ne couvre rien en dehors."
        )
    raise LivrablesError(
        message
        % {
            "first": f"{first:%d/%m/%Y}",
            "last": f"{last:%d/%m/%Y}",
            "period": _period_text(start, end),
        },
        code="outside_execution",
    )


@transaction.atomic
def mission_create(
    *, actor, formation: Formation, name: str, start_date, end_date, place=""
) -> Mission:
    """A named mission of the formation (journal `livrables.mission_created`).
    Raises LivrablesError `not_allowed` or `invalid`."""
    _ensure_coordinator(actor)
    mission = Mission(
        formation=formation, name=name, start_date=start_date, end_date=end_date, place=place
    )
    clean_or_refuse(mission)
    _ensure_within_execution(formation, mission.start_date, mission.end_date)
    mission.save()
    log_action(
        actor=actor,
        action="livrables.mission_created",
        obj=formation,
        summary=_("Mission « %(name)s » ajoutée") % {"name": mission.name},
        data={"mission": mission.pk, "name": mission.name},
    )
    return mission


def _mission_values(mission: Mission) -> dict:
    return {
        "name": mission.name,
        "start_date": mission.start_date.isoformat() if mission.start_date else None,
        "end_date": mission.end_date.isoformat() if mission.end_date else None,
        "place": mission.place,
    }


@transaction.atomic
def mission_update(
    *, actor, mission: Mission, name: str, start_date, end_date, place=""
) -> Mission:
    """Corrects a mission's name, dates or place (journal `livrables.mission_updated`,
    with the values before and after). Its expenses follow it. Raises LivrablesError
    `not_allowed`, `invalid`, `outside_execution` or `mission_expenses_outside` (an
    expense of the mission would be dated too far from its new dates)."""
    _ensure_coordinator(actor)
    mission = (
        Mission.objects.select_for_update(of=("self",))  # not the formation joined to it
        .select_related("formation")
        .get(pk=mission.pk)
    )
    before = _mission_values(mission)
    mission.name, mission.start_date, mission.end_date, mission.place = (
        name,
        start_date,
        end_date,
        place or "",
    )
    clean_or_refuse(mission)
    _ensure_within_execution(mission.formation, mission.start_date, mission.end_date)
    _ensure_expenses_follow(mission)
    mission.save()
    after = _mission_values(mission)
    log_action(
        actor=actor,
        action="livrables.mission_updated",
        obj=mission.formation,
        summary=_("Mission « %(name)s » modifiée") % {"name": mission.name},
        data={
            "mission": mission.pk,
            "changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        },
    )
    return mission


def _ensure_expenses_follow(mission: Mission) -> None:
    """A mission's new dates keep its expenses near it (`_within_mission`): else the
    expenses left out are named, to be re-dated or attached elsewhere first."""
    left_out = [
        expense
        for expense in mission.expenses.order_by("number")
        if not _within_mission(expense.date, mission.start_date, mission.end_date)
    ]
    if left_out:
        raise LivrablesError(
            _(
                "Avec ces dates, des dépenses de la mission en seraient trop loin : "
                "%(expenses)s. Corrigez ou rattachez ailleurs ces dépenses d'abord."
            )
            % {
                "expenses": ", ".join(
                    _("n° %(number)s du %(date)s (%(description)s)")
                    % {
                        "number": e.number,
                        "date": f"{e.date:%d/%m/%Y}",
                        "description": e.description,
                    }
                    for e in left_out
                )
            },
            code="mission_expenses_outside",
        )


@transaction.atomic
def mission_delete(*, actor, mission: Mission) -> None:
    """Deletes a mission created by mistake, only while no expense refers to it (code
    `mission_in_use`: the expenses would lose what they were spent for). Journal
    `livrables.mission_deleted` with its values."""
    _ensure_coordinator(actor)
    mission = (
        Mission.objects.select_for_update(of=("self",))  # not the formation joined to it
        .select_related("formation")
        .get(pk=mission.pk)
    )
    count = mission.expenses.count()
    if count:
        raise LivrablesError(
            ngettext(
                "%(count)s dépense est rattachée à la mission « %(name)s » : rattachez-la "
                "ailleurs avant de supprimer la mission.",
                "%(count)s dépenses sont rattachées à la mission « %(name)s » : rattachez-les "
                "ailleurs avant de supprimer la mission.",
                count,
            )
            % {"count": count, "name": mission.name},
            code="mission_in_use",
        )
    data = {"mission": mission.pk, **_mission_values(mission)}
    formation = mission.formation
    mission.delete()
    log_action(
        actor=actor,
        action="livrables.mission_deleted",
        obj=formation,
        summary=_("Mission « %(name)s » supprimée") % {"name": data["name"]},
        data=data,
    )


def _check_scope(expense: Expense) -> None:
    if expense.session_id and expense.session.formation_id != expense.formation_id:
        raise LivrablesError(_("Cette session n'est pas de cette formation."), code="invalid")
    if not expense.mission_id:
        return
    # Read again, locked: `mission_delete` locks the mission before it counts its
    # expenses, so a mission deleted meanwhile is told here, not met as a foreign-key
    # error when the expense is saved (or, constraints being deferred, at commit).
    mission = Mission.objects.select_for_update().filter(pk=expense.mission_id).first()
    if mission is None:
        raise LivrablesError(
            _(
                "Cette mission vient d'être supprimée : rattachez la dépense à une autre "
                "mission ou à aucune."
            ),
            code="mission_deleted",
        )
    if mission.formation_id != expense.formation_id:
        raise LivrablesError(_("Cette mission n'est pas de cette formation."), code="invalid")
    if expense.date and not _within_mission(expense.date, mission.start_date, mission.end_date):
        first, last = _mission_window(mission.start_date, mission.end_date)
        raise LivrablesError(
            _(
                "La dépense est datée du %(date)s, loin de la mission « %(name)s » "
                "(%(period)s) : une dépense de la mission se date du %(first)s au %(last)s "
                "(un billet réservé avant, une note réglée au retour). Vérifiez la date ou "
                "la mission."
            )
            % {
                "date": f"{expense.date:%d/%m/%Y}",
                "name": mission.name,
                "period": _period_text(mission.start_date, mission.end_date),
                "first": f"{first:%d/%m/%Y}",
                "last": f"{last:%d/%m/%Y}",
            },
            code="outside_mission",
        )


# An expense of a mission is dated near it, not necessarily within it: a ticket or a
# hotel is booked weeks before, a bill is settled after the return. Beyond these
# margins the date (or the mission chosen) is a typing error.
MISSION_BOOKED_BEFORE = dt.timedelta(days=30)
MISSION_SETTLED_AFTER = dt.timedelta(days=15)


def _mission_window(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    return start - MISSION_BOOKED_BEFORE, end + MISSION_SETTLED_AFTER


def _within_mission(date: dt.date, start: dt.date, end: dt.date) -> bool:
    first, last = _mission_window(start, end)
    return first <= date <= last


@transaction.atomic
def expense_create(*, actor, formation: Formation, receipt, **fields) -> Expense:
    """Records an expense of `formation` with its receipt (`fields`: those of
    `EXPENSE_FIELDS`), numbered after the formation's last one; journal
    `livrables.expense_created`. Raises LivrablesError `not_allowed`, `invalid`
    (HT + TVA ≠ TTC among others), `outside_execution`, `outside_mission` (dated too far
    from its mission's dates) or a `receipt_…` code; nothing is kept on a refusal."""
    _ensure_coordinator(actor)
    expense = Expense(
        formation=formation,
        number=0,  # given below, once everything else is accepted
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{name: fields.get(name) for name in EXPENSE_FIELDS},
    )
    _check_scope(expense)
    _ensure_within_execution(formation, expense.date, expense.date)
    expense.number = _next_number(formation)
    _attach_receipt(expense, receipt)
    clean_or_refuse(expense)
    _save_with_receipt(expense, "")
    log_action(
        actor=actor,
        action="livrables.expense_created",
        obj=formation,
        summary=_("Dépense n° %(number)s ajoutée : %(description)s, %(amount)s TTC")
        % {
            "number": expense.number,
            "description": expense.description,
            "amount": euros(expense.amount_ttc),
        },
        data=_journal_data(expense),
    )
    return expense


@transaction.atomic
def expense_update(*, actor, expense: Expense, receipt=None, **fields) -> Expense:
    """Changes an expense (`fields` among `EXPENSE_FIELDS`); a new `receipt` replaces the
    kept one, whose file is removed once the change is committed. Journal
    `livrables.expense_updated` with the values before and after. Same codes as
    `expense_create`."""
    _ensure_coordinator(actor)
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    before = _journal_data(expense)
    old_name = expense.receipt.name
    for name in EXPENSE_FIELDS:
        if name in fields:
            setattr(expense, name, fields[name])
    _check_scope(expense)
    _ensure_within_execution(expense.formation, expense.date, expense.date)
    if receipt is not None:
        _attach_receipt(expense, receipt)
    clean_or_refuse(expense)
    _save_with_receipt(expense, old_name)
    if expense.receipt.name != old_name:
        transaction.on_commit(lambda: documents_storage().delete(old_name))
    after = _journal_data(expense)
    log_action(
        actor=actor,
        action="livrables.expense_updated",
        obj=expense.formation,
        summary=_("Dépense n° %(number)s modifiée") % {"number": expense.number},
        data={
            "number": expense.number,
            "changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        },
    )
    return expense


@transaction.atomic
def expense_delete(*, actor, expense: Expense) -> None:
    """Deletes an expense typed by mistake; the journal (`livrables.expense_deleted`)
    keeps its values and its receipt's digest, the file goes once committed."""
    _ensure_coordinator(actor)
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    # The counter keeps the deleted n°: once the row is gone, nothing else remembers it
    # was given (a formation whose expenses predate the counter has no counter yet).
    numbering = _locked_numbering(expense.formation_id)
    numbering.save(update_fields=["last_number"])
    data = _journal_data(expense)
    name = expense.receipt.name
    formation = expense.formation
    expense.delete()
    transaction.on_commit(lambda: documents_storage().delete(name))
    log_action(
        actor=actor,
        action="livrables.expense_deleted",
        obj=formation,
        summary=_("Dépense n° %(number)s supprimée : %(description)s")
        % {"number": data["number"], "description": data["description"]},
        data=data,
    )
