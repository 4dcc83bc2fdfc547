"""Writing a member's administrative steps (seed 002: « avoir un outil numérique avec les
dates administratives »): add, change, stop. The actor is checked here (the structure's
administrator and staff, coordinators, or `None` for a command).

Choosing a reminder channel is the member's request: « La personne demande un rappel par
SMS » records the `admin_reminders` request with that structure (a `ContactConsent` row
with the wording shown, sent on the service basis), unless a request on that channel
already stands. A request withdrawn later (STOP, the member's page) is not overridden: the
outbox refuses the reminder on that channel (`alertes.reminders`)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alertes.models import AdministrativeStep
from alertes.selectors_steps import CHANNEL_FIELDS, followers, standing_requests
from formations.audit import log_action
from formations.consent import consent_give
from formations.members import ensure_may_follow
from formations.models import ContactConsent, Membership, Purpose, Structure, User


class StepError(Exception):
    """A step that cannot be written. `code`: "membership_ended", "step_ended",
    "invalid_follower", "invalid"."""

    def __init__(self, message: str, *, code: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = errors or {}


def _is_given(row: ContactConsent | None) -> bool:
    return row is not None and row.action == ContactConsent.Action.GIVEN


def _record_requests(step: AdministrativeStep, *, actor, method: str, fields=None) -> list[str]:
    """The member asks for a reminder on each channel chosen (among `fields`, the ones
    the actor sent: a change of title does not renew a withdrawn request) where no request
    stands."""
    membership = step.membership
    asked = []
    standing = None
    for channel, field in CHANNEL_FIELDS:
        if not getattr(step, field) or (fields is not None and field not in fields):
            continue
        if standing is None:
            standing = standing_requests(membership)
        if _is_given(standing[channel]):
            continue
        consent_give(
            participant=membership.participant,
            channel=channel,
            purpose=Purpose.ADMIN_REMINDERS,
            structure=membership.structure,
            method=method,
            actor=actor,
        )
        asked.append(channel)
    return asked


def _check_follower(followed_by, structure: Structure) -> None:
    if followed_by is None or not followers(structure).filter(pk=followed_by.pk).exists():
        raise StepError(
            _("Choisissez un compte actif de la structure (ou un·e coordinateur·rice)."),
            code="invalid_follower",
            errors={"followed_by": [_("Ce compte ne peut pas suivre cette démarche.")]},
        )


def _clean(step: AdministrativeStep) -> None:
    if step.recurrence == AdministrativeStep.Recurrence.ONCE:
        step.until = None
    try:
        step.full_clean()
    except ValidationError as exc:
        raise StepError(
            _("La démarche n'est pas valide."), code="invalid", errors=exc.message_dict
        ) from exc


FIELDS = (
    "title",
    "category",
    "due_on",
    "recurrence",
    "until",
    "followed_by",
    "remind_days_before",
    "remind_by_sms",
    "remind_by_email",
    "note",
)


@transaction.atomic
def step_add(
    *,
    membership: Membership,
    actor,
    title: str,
    due_on: dt.date,
    followed_by: User | None = None,
    category: str = AdministrativeStep.Category.OTHER,
    recurrence: str = AdministrativeStep.Recurrence.ONCE,
    until: dt.date | None = None,
    remind_days_before: int = 3,
    remind_by_sms: bool = False,
    remind_by_email: bool = False,
    note: str = "",
    request_method: str = ContactConsent.Method.ORAL,
) -> AdministrativeStep:
    """A new step for an active member; `followed_by` defaults to the actor. Raises
    `PermissionDenied` (another structure) and `StepError`."""
    ensure_may_follow(actor, membership.structure)
    if not membership.is_active:
        raise StepError(_("Cette personne n'est plus suivie."), code="membership_ended")
    if followed_by is None and getattr(actor, "is_authenticated", False):
        followed_by = actor
    _check_follower(followed_by, membership.structure)
    step = AdministrativeStep(
        membership=membership,
        title=title.strip(),
        category=category,
        due_on=due_on,
        recurrence=recurrence,
        until=until,
        followed_by=followed_by,
        remind_days_before=remind_days_before,
        remind_by_sms=remind_by_sms,
        remind_by_email=remind_by_email,
        note=note.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _clean(step)
    step.save()
    asked = _record_requests(step, actor=actor, method=request_method)
    log_action(
        actor=actor,
        action="step_added",
        obj=step,
        summary=_("Démarche « %(title)s » ajoutée pour %(person)s.")
        % {"title": step.title, "person": membership.participant},
        data={"due_on": step.due_on.isoformat(), "recurrence": step.recurrence, "asked": asked},
        mentions=[membership.participant],
    )
    return step


@transaction.atomic
def step_update(
    *, step: AdministrativeStep, actor, request_method: str = ContactConsent.Method.ORAL, **changes
) -> AdministrativeStep:
    """Changes some of `FIELDS` of a step that is not stopped. A channel chosen where no
    request stands records the member's request, as in `step_add`."""
    step = (
        AdministrativeStep.objects.select_for_update()
        .select_related("membership__structure", "membership__participant")
        .get(pk=step.pk)
    )
    ensure_may_follow(actor, step.membership.structure)
    if step.ended_at is not None:
        raise StepError(_("Cette démarche est arrêtée."), code="step_ended")
    if not step.membership.is_active:
        raise StepError(_("Cette personne n'est plus suivie."), code="membership_ended")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    if "followed_by" in changes:
        _check_follower(changes["followed_by"], step.membership.structure)
    before = {name: str(getattr(step, name)) for name in changes}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(step, name, value)
    _clean(step)
    step.save()
    asked = _record_requests(step, actor=actor, method=request_method, fields=changes)
    changed = sorted(name for name in changes if before[name] != str(getattr(step, name)))
    log_action(
        actor=actor,
        action="step_updated",
        obj=step,
        summary=_("Démarche « %(title)s » modifiée.") % {"title": step.title},
        data={"changed": changed, "asked": asked},
        mentions=[step.membership.participant],
    )
    return step


@transaction.atomic
def step_end(
    *, step: AdministrativeStep, actor, at: dt.datetime | None = None
) -> AdministrativeStep:
    """Stops a step: kept with its reminders, it reminds nothing more. Stopping a
    stopped step does nothing."""
    step = (
        AdministrativeStep.objects.select_for_update()
        .select_related("membership__structure", "membership__participant")
        .get(pk=step.pk)
    )
    ensure_may_follow(actor, step.membership.structure)
    if step.ended_at is not None:
        return step
    step.ended_at = at or timezone.now()
    step.save(update_fields=["ended_at"])
    log_action(
        actor=actor,
        action="step_ended",
        obj=step,
        summary=_("Démarche « %(title)s » arrêtée.") % {"title": step.title},
        mentions=[step.membership.participant],
    )
    return step
