"""A structure's members (seed 002): who may act on them, and their registration.

Registering someone already known **in the same structure** — same e-mail, same mobile
number, or same name and date of birth — creates nothing and leads to the existing
profile (the tender: « bloquer l'inscription d'une personne déjà inscrite, dans ce cas une
redirection vers le profil existant »). Someone known only to **another** structure is
registered as a new person: a structure never learns whether another one follows
someone; a coordinator merges such duplicates afterwards (`alertes.services_merge`).

    result = member_register(structure=centre, actor=user, data=MemberData(...))
    result.membership, result.created, result.matched_on   # "email", "phone", "name_birth"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.audit import log_action
from formations.consent import STRUCTURE_PAIRS, consent_changes_record, consent_give
from formations.models import ContactConsent, MemberGroup, Membership, Participant, Structure
from formations.permissions import can_manage, works_in_alertes
from formations.text import french_sort_key


class MemberError(Exception):
    """A refused act on members. Codes: "forbidden", "foreign_group", "not_a_member_kind",
    "ended", "active", "duplicate", "not_a_structure_pair"."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def may_follow_members(user, structure: Structure | int | None) -> bool:
    """Coordinators (the general administrators) act on every structure's members; a
    structure's administrator and staff on their own structure's only."""
    structure_id = structure.pk if isinstance(structure, Structure) else structure
    if can_manage(user):
        return True
    return works_in_alertes(user) and structure_id is not None and user.structure_id == structure_id


def ensure_may_follow(actor, structure: Structure) -> None:
    """For services: `PermissionDenied` unless `actor` may act on `structure`'s members;
    `None` is a management command (the demo, an import run by the operator)."""
    if actor is not None and not may_follow_members(actor, structure):
        raise PermissionDenied


# --------------------------------------------------------------------------- finding


MATCH_LABELS = {
    "email": gettext_lazy("même adresse e-mail"),
    "phone": gettext_lazy("même numéro de téléphone"),
    "name_birth": gettext_lazy("mêmes nom, prénom et date de naissance"),
}


def known_in_structure(
    *,
    structure: Structure,
    email: str = "",
    phone: str = "",
    last_name: str = "",
    first_name: str = "",
    date_of_birth: dt.date | None = None,
    exclude_participant: Participant | None = None,
) -> tuple[Membership, str] | None:
    """The membership of `structure` (ended ones included) whose person has this e-mail
    (any case), this E.164 number, or this name (accents and case aside) and date of
    birth, with what matched; None if nobody there. Never looks at other structures.
    `exclude_participant`: the person being edited (not a duplicate of themself)."""
    email = (email or "").strip()
    key = french_sort_key(last_name, first_name) if last_name and first_name else ""
    any_of = Q(pk__in=[])
    if email:
        any_of |= Q(participant__email__iexact=email)
    if phone:
        any_of |= Q(participant__phone=phone)
    if key and date_of_birth:
        any_of |= Q(participant__sort_key=key, participant__date_of_birth=date_of_birth)
    found = Membership.objects.filter(any_of, structure=structure)
    if exclude_participant is not None:
        found = found.exclude(participant=exclude_participant)
    candidates = list(
        found.select_related("participant").order_by(
            F("ended_at").asc(nulls_first=True), "pk"
        )  # an active membership first
    )
    tests = (
        ("email", lambda person: bool(email) and person.email.casefold() == email.casefold()),
        ("phone", lambda person: bool(phone) and person.phone == phone),
        (
            "name_birth",
            lambda person: (
                bool(key and date_of_birth)
                and person.sort_key == key
                and person.date_of_birth == date_of_birth
            ),
        ),
    )
    for name, matches in tests:
        for membership in candidates:
            if matches(membership.participant):
                return membership, name
    return None


# --------------------------------------------------------------------------- registering


@dataclass
class MemberData:
    """What a registration form or an import line gives. `phone`: E.164 already."""

    last_name: str
    first_name: str
    kind: str = Participant.Kind.RESIDENT
    email: str = ""
    phone: str = ""
    date_of_birth: dt.date | None = None
    address: str = ""
    postal_code: str = ""
    commune: str = ""
    groups: list[MemberGroup] = field(default_factory=list)
    note: str = ""
    # (channel, purpose) pairs of `STRUCTURE_PAIRS` the person agreed to or asked for.
    consents: list[tuple[str, str]] = field(default_factory=list)
    consent_method: str = ContactConsent.Method.PAPER
    # None: the current wording (the form showed it); an import names its own version,
    # and its note the file it came from.
    consent_wording_version: str | None = None
    consent_note: str = ""


@dataclass(frozen=True)
class Registration:
    membership: Membership
    created: bool
    matched_on: str = ""

    @property
    def matched_label(self) -> str:
        return str(MATCH_LABELS.get(self.matched_on, ""))


def _check_groups(structure: Structure, groups) -> None:
    if any(group.structure_id != structure.pk for group in groups):
        raise MemberError(
            _("Un des groupes choisis n'appartient pas à cette structure."), code="foreign_group"
        )


@transaction.atomic
def member_register(*, structure: Structure, actor, data: MemberData) -> Registration:
    """Registers a person as a member of `structure`, or finds them there already.

    Known in this structure (`known_in_structure`): nothing is written, the existing
    membership is returned with `created=False` and what matched. Otherwise a new
    `Participant` (of a member kind, `structure` as its registering structure), its
    `Membership` with the chosen groups, and the consents given (method
    `data.consent_method`, collected by the actor) are written; audit `member_registered`.
    Registrations in one structure are serialised (a lock on the structure's row), so two
    people pressing « Enregistrer » together cannot create the same person twice."""
    ensure_may_follow(actor, structure)
    if data.kind not in Participant.MEMBER_KINDS:
        raise MemberError(_("Choisissez le type d'adhérent·e."), code="not_a_member_kind")
    _check_groups(structure, data.groups)
    Structure.objects.select_for_update().filter(pk=structure.pk).first()
    known = known_in_structure(
        structure=structure,
        email=data.email,
        phone=data.phone,
        last_name=data.last_name,
        first_name=data.first_name,
        date_of_birth=data.date_of_birth,
    )
    if known is not None:
        membership, matched_on = known
        return Registration(membership=membership, created=False, matched_on=matched_on)
    person = Participant(
        kind=data.kind,
        last_name=data.last_name.strip(),
        first_name=data.first_name.strip(),
        email=data.email.strip(),
        phone=data.phone,
        date_of_birth=data.date_of_birth,
        address=data.address.strip(),
        postal_code=data.postal_code.strip(),
        commune=data.commune.strip(),
        structure=structure,
    )
    person.full_clean()
    person.save()
    membership = Membership.objects.create(
        structure=structure,
        participant=person,
        note=data.note,
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    membership.groups.set(data.groups)
    for channel, purpose in data.consents:
        consent_give(
            participant=person,
            channel=channel,
            purpose=purpose,
            structure=structure,
            method=data.consent_method,
            actor=actor,
            wording_version=data.consent_wording_version,
            note=data.consent_note,
        )
    log_action(
        actor=actor,
        action="member_registered",
        obj=person,
        summary=_("%(person)s inscrit·e comme adhérent·e de %(structure)s")
        % {"person": person, "structure": structure},
        data={
            "membership_id": membership.pk,
            "structure_id": structure.pk,
            "groups": [group.pk for group in data.groups],
        },
    )
    return Registration(membership=membership, created=True)


# --------------------------------------------------------------------------- ages


class AgeBand(NamedTuple):
    """An age band of the statistics: `low`..`high` years (inclusive; None: open)."""

    code: str
    label: str
    low: int | None
    high: int | None


# The bands of the members' statistics (seed 002: « voir l'âge de la personne inscrite […]
# afin de générer des statistiques »), in display order, « non renseigné » last.
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under_18", gettext_lazy("moins de 18 ans"), None, 17),
    AgeBand("18_25", gettext_lazy("18–25 ans"), 18, 25),
    AgeBand("26_44", gettext_lazy("26–44 ans"), 26, 44),
    AgeBand("45_64", gettext_lazy("45–64 ans"), 45, 64),
    AgeBand("65_plus", gettext_lazy("65 ans et plus"), 65, None),
    AgeBand("unknown", gettext_lazy("non renseigné"), None, None),
)
UNKNOWN_AGE_BAND = AGE_BANDS[-1]


def age_on(date_of_birth: dt.date | None, today: dt.date) -> int | None:
    """Full years on `today` (someone born on 29 February is a year older on 1 March of
    a common year); None without a date of birth."""
    if date_of_birth is None:
        return None
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_band_filter(band: AgeBand, today: dt.date, field: str = "date_of_birth") -> Q:
    """The people of `band` on `today`, as a filter on their date of birth `field`, for
    counting in SQL (the same bands as `age_band`)."""
    if band.code == UNKNOWN_AGE_BAND.code:
        return Q(**{f"{field}__isnull": True})
    condition = Q()
    if band.low is not None:  # at least `low` years old: born on or before that day
        condition &= Q(**{f"{field}__lte": _years_before(today, band.low)})
    if band.high is not None:  # not yet `high + 1`: born after that day
        condition &= Q(**{f"{field}__gt": _years_before(today, band.high + 1)})
    return condition


def age_band(age: int | None) -> AgeBand:
    """The band of `age` (`age_on`'s result); « non renseigné » for None."""
    if age is None:
        return UNKNOWN_AGE_BAND
    for band in AGE_BANDS[:-1]:
        if (band.low is None or age >= band.low) and (band.high is None or age <= band.high):
            return band
    return UNKNOWN_AGE_BAND


# --------------------------------------------------------------------------- updating


def _lock_and_check_duplicate(membership: Membership, data: MemberData) -> None:
    """Another member of the same structure with this e-mail, phone, or name and date of
    birth: refused, naming that member (of this structure: nothing of other ones)."""
    Structure.objects.select_for_update().filter(pk=membership.structure_id).first()
    known = known_in_structure(
        structure=membership.structure,
        email=data.email,
        phone=data.phone,
        last_name=data.last_name,
        first_name=data.first_name,
        date_of_birth=data.date_of_birth,
        exclude_participant=membership.participant,
    )
    if known is not None:
        other, matched_on = known
        raise MemberError(
            _("%(person)s est déjà inscrit·e dans cette structure (%(why)s).")
            % {"person": other.participant, "why": MATCH_LABELS[matched_on]},
            code="duplicate",
        )


@transaction.atomic
def member_update(*, membership: Membership, actor, data: MemberData) -> Membership:
    """Changes a member's identity, contact details and groups (`data.consents` and
    `data.consent_method` are ignored: consents go through `member_consents_record`).

    Refused (`MemberError` "duplicate") when the new e-mail, phone, or name and date of
    birth are those of another member of the same structure; other structures are never
    looked at. Audit `member_updated` with the fields changed."""
    ensure_may_follow(actor, membership.structure)
    if data.kind not in Participant.MEMBER_KINDS:
        raise MemberError(_("Choisissez le type d'adhérent·e."), code="not_a_member_kind")
    _check_groups(membership.structure, data.groups)
    _lock_and_check_duplicate(membership, data)
    person = membership.participant
    changed = []
    for name in (
        "kind",
        "last_name",
        "first_name",
        "email",
        "phone",
        "date_of_birth",
        "address",
        "postal_code",
        "commune",
    ):
        value = getattr(data, name)
        if isinstance(value, str):
            value = value.strip() if name != "phone" else value
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if changed:
        person.full_clean()
        person.save()
    before = set(membership.groups.values_list("pk", flat=True))
    after = {group.pk for group in data.groups}
    if before != after:
        membership.groups.set(data.groups)
        changed.append("groups")
    if membership.note != data.note:
        membership.note = data.note
        membership.save(update_fields=["note"])
        changed.append("note")
    if changed:
        log_action(
            actor=actor,
            action="member_updated",
            obj=person,
            summary=_("Fiche d'adhérent·e de %(person)s modifiée (%(structure)s)")
            % {"person": person, "structure": membership.structure},
            data={
                "membership_id": membership.pk,
                "structure_id": membership.structure_id,
                "changed": changed,
            },
        )
    return membership


@transaction.atomic
def member_end(*, membership: Membership, actor, at: dt.datetime | None = None) -> Membership:
    """Ends the structure's follow-up of a member (they left): the membership is kept for
    the statistics and the messages already sent, and the member receives nothing more
    and leaves the lists. Audit `member_ended`. `MemberError` "ended" if already ended."""
    ensure_may_follow(actor, membership.structure)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        raise MemberError(_("Le suivi de cette personne est déjà terminé."), code="ended")
    membership.ended_at = at or timezone.now()
    membership.save(update_fields=["ended_at"])
    log_action(
        actor=actor,
        action="member_ended",
        obj=membership.participant,
        summary=_("Fin du suivi de %(person)s par %(structure)s")
        % {"person": membership.participant, "structure": membership.structure},
        data={"membership_id": membership.pk, "structure_id": membership.structure_id},
    )
    return membership


@transaction.atomic
def member_resume(*, membership: Membership, actor) -> Membership:
    """Follows again a member whose follow-up ended (a family back at the centre): the
    same membership, its groups and history, back in the lists; what they agreed to
    before stands as recorded (withdrawals included). Audit `member_resumed`.
    `MemberError` "active" if the follow-up had not ended."""
    ensure_may_follow(actor, membership.structure)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is None:
        raise MemberError(_("Cette personne est déjà suivie par la structure."), code="active")
    ended_at = membership.ended_at
    membership.ended_at = None
    membership.save(update_fields=["ended_at"])
    log_action(
        actor=actor,
        action="member_resumed",
        obj=membership.participant,
        summary=_("Reprise du suivi de %(person)s par %(structure)s")
        % {"person": membership.participant, "structure": membership.structure},
        data={
            "membership_id": membership.pk,
            "structure_id": membership.structure_id,
            "ended_at": ended_at.isoformat(),
        },
    )
    return membership


@transaction.atomic
def member_consents_record(
    *,
    membership: Membership,
    actor,
    changes: list[tuple[str, str, bool]],
    method: str,
    at: dt.datetime | None = None,
    collected_by=None,
    note: str = "",
) -> list[ContactConsent]:
    """What a member agreed to (or withdrew) with their structure, from their profile:
    each ``(channel, purpose, given)`` of `changes` (pairs of `STRUCTURE_PAIRS` only)
    through `consent_give` / `consent_withdraw` with the structure, all or nothing. The
    consent functions check the actor and journal each row. Grants only while the
    structure follows the person (`MemberError` "ended"); withdrawals also after.
    Returns the rows written."""
    ensure_may_follow(actor, membership.structure)
    if membership.ended_at is not None and any(given for _c, _p, given in changes):
        raise MemberError(
            _("Le suivi de cette personne est terminé : seul un retrait peut être noté."),
            code="ended",
        )
    if any((channel, purpose) not in STRUCTURE_PAIRS for channel, purpose, _given in changes):
        raise MemberError(
            _("Cet accord ne concerne pas la structure."), code="not_a_structure_pair"
        )
    return consent_changes_record(
        participant=membership.participant,
        changes=changes,
        method=method,
        actor=actor,
        at=at,
        collected_by=collected_by,
        note=note,
        structure=membership.structure,
    )
