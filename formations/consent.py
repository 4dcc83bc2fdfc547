"""Consent to be contacted, per person, channel (e-mail, SMS) and purpose.

What needs consent and what does not (GDPR art. 6; L34-5 CPCE for SMS and e-mail
canvassing):

- **Service messages** (`Purpose.SERVICE`): what the person needs or asked for —
  convocations, signing links, one-time sign-in links, certificates. They are sent on
  that basis (`LegalBasis.SERVICE`) whatever the consents say, to an address we hold.
- **Evaluation follow-up and news / campaigns** (`CONSENT_PURPOSES`), and optional
  reminders of either: only with the person's consent for that channel and purpose
  (`LegalBasis.CONSENT`), and never after they withdrew it.

Records are append-only (`ContactConsent`): giving and withdrawing each add a row; the
current state is the latest row by effective date. Every write goes through
`consent_give` / `consent_withdraw`, which check the actor and journal the change.

What a sender (the outbox) calls, when it writes a message and again just before handing
it to a provider (a STOP may arrive in between):

    decision = may_contact(participant, Channel.SMS, Purpose.NEWS_CAMPAIGNS)
    decision.allowed        # bool
    decision.reason         # stable code, `Reason.*`: "service", "consent", "no_address",
                            # "invalid_phone", "not_mobile", "no_consent", "consent_withdrawn"
    decision.legal_basis    # `LegalBasis.SERVICE` / `.CONSENT` ("service" / "consent"),
                            # None when refused: what the outbox row records
    decision.label          # the reason in French, for a refused row

`may_contact_many(people, channel, purpose)` answers for a campaign in one query
({pk: decision}); `may_contact_address(channel, address, purpose)` for a row that knows
only its address; `legal_basis_for(purpose)` gives the basis a purpose is sent on.
Channel codes: "email", "sms"; purpose codes: "service", "evaluation_follow_up",
"news_campaigns" (`formations.models.Channel`, `Purpose`).

Structures' own purposes (seed 002, Alertes: `STRUCTURE_PURPOSES`) are agreed to with one
structure: the rows name it, and every function takes ``structure=`` for them
(`may_contact(person, Channel.SMS, Purpose.STRUCTURE_NEWS, structure=centre)`). News of
the structure needs consent; administrative reminders the person asked for
(`Purpose.ADMIN_REMINDERS`) are a service they requested: recorded like a consent (the
request, its wording, who noted it, how), sent on the service basis (reason
"requested"), stopped by a withdrawal. A STOP reply withdraws every SMS purpose, the
structures' ones included (`consent_withdraw_channel`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.audit import log_action
from formations.models import (
    CONSENT_PURPOSES,
    STRUCTURE_PURPOSES,
    Channel,
    ContactConsent,
    LegalBasis,
    Membership,
    Participant,
    Purpose,
    Structure,
    User,
)
from formations.permissions import ensure_manager
from formations.phones import is_e164, is_mobile


class ConsentError(Exception):
    """A consent that cannot be recorded. `code`: "not_a_consent_purpose",
    "future_date", "unknown_wording", "inactive_collector", "structure_required"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --- Wordings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    version: str
    text: str


# What a person agrees to, as shown on the forms. Changing a text means a new version:
# consents keep the version they were given under, so the exact words stay provable.
WORDINGS: dict[tuple[str, str], Wording] = {
    (Channel.EMAIL, Purpose.EVALUATION_FOLLOW_UP): Wording(
        "v1",
        gettext_lazy(
            "J'accepte de recevoir par e-mail les questionnaires d'évaluation à froid et le "
            "suivi après la formation. Je peux retirer cet accord à tout moment."
        ),
    ),
    (Channel.SMS, Purpose.EVALUATION_FOLLOW_UP): Wording(
        "v1",
        gettext_lazy(
            "J'accepte de recevoir par SMS les questionnaires d'évaluation à froid et le suivi "
            "après la formation. Je peux retirer cet accord à tout moment (réponse STOP)."
        ),
    ),
    (Channel.EMAIL, Purpose.NEWS_CAMPAIGNS): Wording(
        "v1",
        gettext_lazy(
            "J'accepte de recevoir par e-mail les actualités et les campagnes d'information "
            "du programme. Je peux retirer cet accord à tout moment."
        ),
    ),
    (Channel.SMS, Purpose.NEWS_CAMPAIGNS): Wording(
        "v1",
        gettext_lazy(
            "J'accepte de recevoir par SMS les actualités et les campagnes d'information du "
            "programme. Je peux retirer cet accord à tout moment (réponse STOP)."
        ),
    ),
    # Seed 002's box, one per channel: « J'accepte que le centre social m'envoie des SMS et
    # des newsletters pour m'informer de l'actualité de la structure ».
    (Channel.EMAIL, Purpose.STRUCTURE_NEWS): Wording(
        "v1",
        gettext_lazy(
            "J'accepte que le centre social m'envoie des newsletters par e-mail pour "
            "m'informer de l'actualité de la structure. Je peux retirer cet accord à tout "
            "moment (lien en bas de chaque e-mail)."
        ),
    ),
    (Channel.SMS, Purpose.STRUCTURE_NEWS): Wording(
        "v1",
        gettext_lazy(
            "J'accepte que le centre social m'envoie des SMS pour m'informer de l'actualité de "
            "la structure. Je peux retirer cet accord à tout moment (réponse STOP)."
        ),
    ),
    (Channel.EMAIL, Purpose.ADMIN_REMINDERS): Wording(
        "v1",
        gettext_lazy(
            "Je demande à recevoir par e-mail un rappel avant les dates de mes démarches "
            "administratives suivies par le centre social. Je peux l'arrêter à tout moment."
        ),
    ),
    # v2: reminder SMS go as transactional SMS, whose sender may not receive replies: a
    # STOP answer to a reminder cannot be promised (v1 did), asking the centre can.
    (Channel.SMS, Purpose.ADMIN_REMINDERS): Wording(
        "v2",
        gettext_lazy(
            "Je demande à recevoir par SMS un rappel avant les dates de mes démarches "
            "administratives suivies par le centre social. Je peux l'arrêter à tout moment "
            "en le demandant au centre social."
        ),
    ),
}
# Earlier texts, still the evidence of the consents recorded under them.
PREVIOUS_WORDINGS: dict[tuple[str, str], tuple[Wording, ...]] = {
    (Channel.SMS, Purpose.ADMIN_REMINDERS): (
        Wording(
            "v1",
            gettext_lazy(
                "Je demande à recevoir par SMS un rappel avant les dates de mes démarches "
                "administratives suivies par le centre social. Je peux l'arrêter à tout "
                "moment (réponse STOP)."
            ),
        ),
    ),
}
# The box participants had before consents were recorded per channel (migration 0006).
LEGACY_WORDING_VERSION = "v0 (case à cocher d'origine)"
# A consent read from a structure's file (`formations.members_import`): the person agreed
# on whatever paper the structure used, not to one of our texts; the row's note names the
# file's SHA-256.
IMPORT_WORDING_VERSION = "import (texte recueilli par la structure)"
# Versions that name no text of ours: shown by their label.
LABELLED_VERSIONS = (LEGACY_WORDING_VERSION, IMPORT_WORDING_VERSION)

PAIRS: tuple[tuple[str, str], ...] = tuple(
    (channel, purpose) for purpose in CONSENT_PURPOSES for channel in Channel.values
)
# The same for what a person agrees to with a structure (each row names the structure).
STRUCTURE_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (channel, purpose) for purpose in STRUCTURE_PURPOSES for channel in Channel.values
)


def current_wording(channel: str, purpose: str) -> Wording:
    return WORDINGS[(channel, purpose)]


def known_wordings(channel: str, purpose: str) -> dict[str, Wording]:
    """{version: wording} of every text shown for (channel, purpose), the current one
    included."""
    wordings = (*PREVIOUS_WORDINGS.get((channel, purpose), ()), WORDINGS[(channel, purpose)])
    return {wording.version: wording for wording in wordings}


def recorded_wording(row: ContactConsent) -> str:
    """What the person agreed to in `row`: the text of its version when it is one of ours
    (the current one or an earlier one), else its version's label (a legacy box, an
    import, a version no longer known). Never the current text when the row was given
    under another."""
    if (row.channel, row.purpose) in WORDINGS:
        wording = known_wordings(row.channel, row.purpose).get(row.wording_version)
        if wording is not None:
            return str(wording.text)
    return row.wording_version


# --- Decisions -----------------------------------------------------------------------------


class Reason:
    """Stable codes for `may_contact`: outbox rows store them, tests assert them."""

    SERVICE = "service"
    CONSENT = "consent"
    REQUESTED = "requested"
    NO_ADDRESS = "no_address"
    INVALID_PHONE = "invalid_phone"
    NOT_MOBILE = "not_mobile"
    NO_CONSENT = "no_consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"

    LABELS = {
        SERVICE: gettext_lazy("message de service"),
        CONSENT: gettext_lazy("consentement donné"),
        REQUESTED: gettext_lazy("rappel demandé par la personne"),
        NO_ADDRESS: gettext_lazy("aucune adresse pour ce canal"),
        INVALID_PHONE: gettext_lazy("numéro de téléphone invalide"),
        NOT_MOBILE: gettext_lazy("ce numéro ne reçoit pas de SMS (ligne fixe)"),
        NO_CONSENT: gettext_lazy("pas de consentement pour ce canal"),
        CONSENT_WITHDRAWN: gettext_lazy("consentement retiré"),
    }


class ContactDecision(NamedTuple):
    """`allowed, reason = may_contact(...)`."""

    allowed: bool
    reason: str

    @property
    def label(self) -> str:
        return str(Reason.LABELS[self.reason])

    @property
    def legal_basis(self) -> str | None:
        """What the outbox row records when the message is sent; None when refused."""
        if not self.allowed:
            return None
        if self.reason in (Reason.SERVICE, Reason.REQUESTED):
            return LegalBasis.SERVICE
        return LegalBasis.CONSENT


# Sent on the service basis: needed by the person, or asked for by them.
SERVICE_BASIS_PURPOSES = (Purpose.SERVICE, Purpose.ADMIN_REMINDERS)


def legal_basis_for(purpose: str) -> str:
    return LegalBasis.SERVICE if purpose in SERVICE_BASIS_PURPOSES else LegalBasis.CONSENT


def _address_problem(person: Participant, channel: str) -> str | None:
    if channel == Channel.EMAIL:
        return None if person.email else Reason.NO_ADDRESS
    if not person.phone:
        return Reason.NO_ADDRESS
    if not is_e164(person.phone):
        return Reason.INVALID_PHONE
    if not is_mobile(person.phone):
        return Reason.NOT_MOBILE
    return None


def _decide(person: Participant, channel: str, purpose: str, latest: str | None):
    problem = _address_problem(person, channel)
    if problem:
        return ContactDecision(False, problem)
    if purpose == Purpose.SERVICE:
        return ContactDecision(True, Reason.SERVICE)
    if latest == ContactConsent.Action.GIVEN:
        if purpose == Purpose.ADMIN_REMINDERS:
            return ContactDecision(True, Reason.REQUESTED)
        return ContactDecision(True, Reason.CONSENT)
    if latest == ContactConsent.Action.WITHDRAWN:
        return ContactDecision(False, Reason.CONSENT_WITHDRAWN)
    return ContactDecision(False, Reason.NO_CONSENT)


def _check_channel_purpose(channel: str, purpose: str, structure=None) -> None:
    if channel not in Channel.values or purpose not in Purpose.values:
        raise ValueError(f"unknown channel or purpose: {channel!r}, {purpose!r}")
    if (purpose in STRUCTURE_PURPOSES) != (structure is not None):
        raise ValueError(f"purpose {purpose!r} and structure {structure!r} do not go together")


def _structure_filter(structure) -> dict:
    """The rows of one structure's purposes, or the programme's (no structure)."""
    if structure is None:
        return {"structure__isnull": True}
    return {"structure": structure}


def may_contact(
    person: Participant, channel: str, purpose: str, *, structure: Structure | None = None
) -> ContactDecision:
    """May `person` be sent a message on `channel` for `purpose`? One query at most.

    Service messages: yes, given an address for the channel (for SMS, a valid mobile
    number). Other purposes: only if the latest consent row for that channel and purpose
    (and `structure`, for `STRUCTURE_PURPOSES`) gives it. Reason codes: `Reason.*`."""
    _check_channel_purpose(channel, purpose, structure)
    latest = None
    if purpose != Purpose.SERVICE:
        latest = (
            ContactConsent.objects.filter(
                participant=person, channel=channel, purpose=purpose, **_structure_filter(structure)
            )
            .order_by("-at", "-pk")
            .values_list("action", flat=True)
            .first()
        )
    return _decide(person, channel, purpose, latest)


def may_contact_many(
    people: Iterable[Participant],
    channel: str,
    purpose: str,
    *,
    structure: Structure | None = None,
) -> dict[int, ContactDecision]:
    """`may_contact` for many people (a campaign) in one query: {participant pk: decision}."""
    _check_channel_purpose(channel, purpose, structure)
    people = list(people)
    latest: dict[int, str] = {}
    if purpose != Purpose.SERVICE and people:
        rows = (
            ContactConsent.objects.filter(
                participant__in=[p.pk for p in people],
                channel=channel,
                purpose=purpose,
                **_structure_filter(structure),
            )
            .order_by("participant_id", "at", "pk")
            .values_list("participant_id", "action")
        )
        for participant_id, action in rows:
            latest[participant_id] = action  # ordered by date: the last one wins
    return {p.pk: _decide(p, channel, purpose, latest.get(p.pk)) for p in people}


def may_contact_address(channel: str, address: str, purpose: str) -> ContactDecision:
    """`may_contact` for a message that knows its address (an e-mail address, an E.164
    number) but not its person: what an outbox row holds when it is delivered.

    Service messages: allowed given a usable address (for SMS, a valid mobile), whoever
    holds it (a sign-in link goes to an account, not to a participant). Other purposes:
    the participants holding the address decide — allowed if one of them allows it (a
    shared phone: a STOP from it withdrew them all), else the first one's reason, and
    `no_consent` when nobody holds it. A few queries at most."""
    _check_channel_purpose(channel, purpose)
    if purpose in STRUCTURE_PURPOSES:
        # A structure's message always names its person (the outbox row's participant).
        return ContactDecision(False, Reason.NO_CONSENT)
    address = (address or "").strip()
    if channel == Channel.EMAIL:
        holders = Participant.objects.filter(email__iexact=address) if address else None
    else:
        holders = Participant.objects.filter(phone=address) if address else None
    if purpose == Purpose.SERVICE or holders is None:
        probe = (
            Participant(email=address) if channel == Channel.EMAIL else Participant(phone=address)
        )
        return _decide(probe, channel, purpose, None)
    decisions = list(may_contact_many(holders.order_by("pk"), channel, purpose).values())
    if not decisions:
        return ContactDecision(False, Reason.NO_CONSENT)
    return next((d for d in decisions if d.allowed), decisions[0])


# --- Selectors -----------------------------------------------------------------------------


def current_consents(participant: Participant) -> dict[tuple[str, str], ContactConsent | None]:
    """The latest row for each (channel, purpose) pair, None where nothing was recorded."""
    state: dict[tuple[str, str], ContactConsent | None] = dict.fromkeys(PAIRS)
    for row in (
        ContactConsent.objects.filter(participant=participant, structure__isnull=True)
        .select_related("collected_by")
        .order_by("at", "pk")
    ):
        state[(row.channel, row.purpose)] = row
    return state


def structure_consents(
    participant: Participant, structure: Structure
) -> dict[tuple[str, str], ContactConsent | None]:
    """What the person agreed to with `structure`: the latest row for each (channel,
    purpose) of `STRUCTURE_PAIRS`, None where nothing was recorded. One query."""
    state: dict[tuple[str, str], ContactConsent | None] = dict.fromkeys(STRUCTURE_PAIRS)
    for row in (
        ContactConsent.objects.filter(participant=participant, structure=structure)
        .select_related("collected_by")
        .order_by("at", "pk")
    ):
        state[(row.channel, row.purpose)] = row
    return state


@dataclass(frozen=True)
class ConsentRow:
    """One line of a participant's page: a channel and purpose, and its latest record."""

    channel: str
    purpose: str
    latest: ContactConsent | None

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def purpose_label(self) -> str:
        return str(Purpose(self.purpose).label)

    @property
    def given(self) -> bool:
        return self.latest is not None and self.latest.action == ContactConsent.Action.GIVEN


def consent_rows(participant: Participant) -> list[ConsentRow]:
    """Each (channel, purpose) with its current state, for the participant's page."""
    return [
        ConsentRow(channel, purpose, latest)
        for (channel, purpose), latest in current_consents(participant).items()
    ]


def consent_history(
    participant: Participant, *, structure: Structure | None = None, programme_only: bool = False
) -> QuerySet[ContactConsent]:
    """Every consent row of a person, latest first; with `structure`, only the rows of
    what the person agreed to with that structure (what its team may see); with
    `programme_only`, only what they agreed to with the programmes (no structure's rows:
    whoever is not a coordinator must not learn which structures follow the person)."""
    rows = ContactConsent.objects.filter(participant=participant)
    if structure is not None:
        rows = rows.filter(structure=structure)
    elif programme_only:
        rows = rows.filter(structure__isnull=True)
    return rows.select_related("collected_by", "structure").order_by("-at", "-pk")


def annotation_name(channel: str, purpose: str) -> str:
    return f"consent_{channel}_{purpose}"


def annotate_current_consents(queryset: QuerySet[Participant]) -> QuerySet[Participant]:
    """Adds `consent_<channel>_<purpose>` ("given", "withdrawn" or None) to each
    participant: one correlated subquery per pair, so a list costs no extra query."""
    annotations = {}
    for channel, purpose in PAIRS:
        latest = (
            ContactConsent.objects.filter(
                participant=OuterRef("pk"), channel=channel, purpose=purpose
            )
            .order_by("-at", "-pk")
            .values("action")[:1]
        )
        annotations[annotation_name(channel, purpose)] = Subquery(latest)
    return queryset.annotate(**annotations)


def annotate_structure_consents(
    queryset: QuerySet[Participant], structure: Structure, *, prefix: str = ""
) -> QuerySet[Participant]:
    """`annotate_current_consents` for what people agreed to with `structure`: adds
    `consent_<channel>_<purpose>` for each of `STRUCTURE_PAIRS`. On a queryset of another
    model (memberships), `prefix` leads to the person: ``prefix="participant__"``."""
    annotations = {}
    for channel, purpose in STRUCTURE_PAIRS:
        latest = (
            ContactConsent.objects.filter(
                participant=OuterRef(f"{prefix}pk"),
                channel=channel,
                purpose=purpose,
                structure=structure,
            )
            .order_by("-at", "-pk")
            .values("action")[:1]
        )
        annotations[annotation_name(channel, purpose)] = Subquery(latest)
    return queryset.annotate(**annotations)


def given_purposes(participant: Participant, channel: str) -> list[str]:
    """Purposes given on a channel, from `annotate_current_consents`' annotations."""
    return [
        purpose
        for purpose in CONSENT_PURPOSES
        if getattr(participant, annotation_name(channel, purpose), None)
        == ContactConsent.Action.GIVEN
    ]


# Who may be named as having collected a consent: active coordinators, trainers (a paper
# form filled in during a session), structure referents and a structure's Alertes team.
COLLECTOR_ROLES = (
    User.Role.COORDINATOR,
    User.Role.TRAINER,
    User.Role.STRUCTURE_REFERENT,
    User.Role.STRUCTURE_ADMIN,
    User.Role.STRUCTURE_STAFF,
)


def consent_collectors() -> QuerySet[User]:
    """The accounts a coordinator may name as having collected a consent."""
    return User.objects.filter(is_active=True, role__in=COLLECTOR_ROLES).order_by(
        "last_name", "first_name", "username"
    )


# --- Services ------------------------------------------------------------------------------


def _effective_date(at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if at is None:
        return now
    if at > now + dt.timedelta(minutes=5):
        raise ConsentError(
            _("La date d'un consentement ne peut pas être dans le futur."), code="future_date"
        )
    return at


def _collector(collected_by, actor):
    if collected_by is None:
        return actor if getattr(actor, "is_authenticated", False) else None
    if not collected_by.is_active or collected_by.role not in COLLECTOR_ROLES:
        raise ConsentError(
            _("« %(name)s » ne peut pas être indiqué·e comme ayant recueilli l'accord.")
            % {"name": collected_by.get_full_name() or collected_by.get_username()},
            code="inactive_collector",
        )
    return collected_by


def _ensure_may_record(
    actor, participant: Participant, method: str, structure=None, *, withdrawal: bool = False
) -> None:
    """Coordinators and `None` (a command, a webhook) record anyone's consent; a
    participant records only their own, from their space (`PermissionDenied` otherwise).
    Such a row has no collector (a participant is no account) and its method is
    ``web_link``; the journal entry has no author and says so by its method. A
    structure's administrator or staff records what the person agrees to with their own
    structure, for a person their structure follows (an active membership; a
    `withdrawal` also once the follow-up ended)."""
    if isinstance(actor, Participant):
        if actor.pk != participant.pk or method != ContactConsent.Method.WEB_LINK:
            raise PermissionDenied
        return
    if getattr(actor, "works_in_alertes", False):
        # A withdrawal also after the follow-up ended: the person may still ask it
        # (never a grant: nothing is sent to them any more).
        memberships = Membership.objects.filter(participant=participant, structure=structure)
        if not withdrawal:
            memberships = memberships.filter(ended_at__isnull=True)
        if structure is None or structure.pk != actor.structure_id or not memberships.exists():
            raise PermissionDenied
        return
    ensure_manager(actor)


def _check_structure(purpose: str, structure) -> None:
    if purpose in STRUCTURE_PURPOSES and structure is None:
        raise ConsentError(
            _("Cet accord est donné à une structure : indiquez laquelle."),
            code="structure_required",
        )
    if purpose not in STRUCTURE_PURPOSES and structure is not None:
        raise ConsentError(
            _("Cet accord concerne le programme, pas une structure."),
            code="structure_required",
        )


def consent_changes_record(*, participant: Participant, changes, **how) -> list[ContactConsent]:
    """Each `(channel, purpose, given)` of `changes` as a consent given or withdrawn, with
    the same `how` (method, actor, date, collector, note); the rows written. The callers
    hold the transaction and have checked their actor."""
    rows = []
    for channel, purpose, given in changes:
        if given:
            rows.append(
                consent_give(participant=participant, channel=channel, purpose=purpose, **how)
            )
        else:
            rows.extend(
                consent_withdraw(
                    participant=participant, channel=channel, purposes=[purpose], **how
                )
            )
    return rows


@transaction.atomic
def consent_give(
    *,
    participant: Participant,
    channel: str,
    purpose: str,
    method: str,
    actor,
    wording_version: str | None = None,
    at: dt.datetime | None = None,
    note: str = "",
    collected_by=None,
    structure: Structure | None = None,
) -> ContactConsent:
    """Record that `participant` agreed to be contacted on `channel` for `purpose`
    (with `structure`, for one of `STRUCTURE_PURPOSES`).

    Writes one `ContactConsent` row (action given, the current wording's version unless
    another known one is named) and one audit entry `consent_given`. `at` is when the
    person agreed (a paper form signed earlier), never in the future. `collected_by`: the
    account of whoever collected it (a trainer who took the paper form), by default the
    actor. Coordinators, `actor=None` (a command), or the participant themself from their
    space (method ``web_link``, see `_ensure_may_record`). Raises
    `ConsentError` ("not_a_consent_purpose", "future_date", "unknown_wording",
    "inactive_collector", "structure_required")."""
    _ensure_may_record(actor, participant, method, structure)
    collector = _collector(collected_by, actor)
    if purpose not in (*CONSENT_PURPOSES, *STRUCTURE_PURPOSES) or channel not in Channel.values:
        raise ConsentError(
            _("Les messages de service ne demandent pas de consentement."),
            code="not_a_consent_purpose",
        )
    _check_structure(purpose, structure)
    known = {*known_wordings(channel, purpose), *LABELLED_VERSIONS}
    version = wording_version or current_wording(channel, purpose).version
    if version not in known:
        raise ConsentError(
            _("Version de texte inconnue : « %(version)s ».") % {"version": version},
            code="unknown_wording",
        )
    row = _write_row(
        participant=participant,
        channel=channel,
        purpose=purpose,
        action=ContactConsent.Action.GIVEN,
        wording_version=version,
        at=_effective_date(at),
        collector=collector,
        method=method,
        note=note,
        actor=actor,
        structure=structure,
    )
    return row


@transaction.atomic
def consent_withdraw(
    *,
    participant: Participant,
    channel: str,
    method: str,
    actor,
    purposes: Iterable[str] = CONSENT_PURPOSES,
    at: dt.datetime | None = None,
    note: str = "",
    collected_by=None,
    structure: Structure | None = None,
) -> list[ContactConsent]:
    """Record that `participant` withdrew (or refused) consent on `channel` for each of
    `purposes` (the programme's by default; with `structure`, `purposes` are that
    structure's: `STRUCTURE_PURPOSES` unless told).

    Writes one row (action withdrawn) per purpose whose latest row is not already a
    withdrawal — a refusal never preceded by consent is recorded too, so a paper form
    dated before it cannot revive it — and one audit entry `consent_withdrawn` per row.
    Returns the rows written. `collected_by` as for `consent_give`. Coordinators, or
    `actor=None` (a command, a STOP reply received on the webhook), or the participant
    themself from their space (method ``web_link``). Raises `ConsentError`
    ("not_a_consent_purpose", "future_date", "inactive_collector", "structure_required")."""
    _ensure_may_record(actor, participant, method, structure, withdrawal=True)
    if structure is not None and purposes is CONSENT_PURPOSES:
        purposes = STRUCTURE_PURPOSES
    collector = _collector(collected_by, actor)
    when = _effective_date(at)
    # Why a lock: two STOP receipts for one number arrive together (retries); the second
    # must see the first one's row and write nothing.
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    written = []
    for purpose in purposes:
        if purpose not in (*CONSENT_PURPOSES, *STRUCTURE_PURPOSES):
            raise ConsentError(
                _("Les messages de service ne demandent pas de consentement."),
                code="not_a_consent_purpose",
            )
        _check_structure(purpose, structure)
        latest = (
            ContactConsent.objects.filter(
                participant=participant,
                channel=channel,
                purpose=purpose,
                **_structure_filter(structure),
            )
            .order_by("-at", "-pk")
            .values_list("action", flat=True)
            .first()
        )
        if latest == ContactConsent.Action.WITHDRAWN:
            continue
        row = _write_row(
            participant=participant,
            channel=channel,
            purpose=purpose,
            action=ContactConsent.Action.WITHDRAWN,
            wording_version="",
            at=when,
            collector=collector,
            method=method,
            note=note,
            actor=actor,
            structure=structure,
        )
        written.append(row)
    return written


@transaction.atomic
def consent_withdraw_channel(
    *, participant: Participant, channel: str, method: str, actor, **how
) -> list[ContactConsent]:
    """Everything the person agreed to on `channel` withdrawn: the programme's purposes,
    and each structure's (news, requested reminders) — what a STOP reply means. Same
    `how` and checks as `consent_withdraw`; the rows written."""
    written = consent_withdraw(
        participant=participant, channel=channel, method=method, actor=actor, **how
    )
    structure_ids = (
        ContactConsent.objects.filter(
            participant=participant, channel=channel, structure__isnull=False
        )
        .values_list("structure_id", flat=True)
        .distinct()
    )
    for structure in Structure.objects.filter(pk__in=list(structure_ids)).order_by("pk"):
        written += consent_withdraw(
            participant=participant,
            channel=channel,
            method=method,
            actor=actor,
            structure=structure,
            **how,
        )
    return written


# Journal wording per action: a consent given, a consent withdrawn.
SUMMARIES = {
    ContactConsent.Action.GIVEN: gettext_lazy(
        "%(person)s : accord %(channel)s pour « %(purpose)s » (%(method)s)"
    ),
    ContactConsent.Action.WITHDRAWN: gettext_lazy(
        "%(person)s : accord %(channel)s retiré pour « %(purpose)s » (%(method)s)"
    ),
}


def _write_row(
    *,
    participant,
    channel,
    purpose,
    action,
    wording_version,
    at,
    collector,
    method,
    note,
    actor,
    structure=None,
) -> ContactConsent:
    """One consent row and its journal entry (`consent_given`, `consent_withdrawn`)."""
    row = ContactConsent(
        participant=participant,
        structure=structure,
        channel=channel,
        purpose=purpose,
        action=action,
        wording_version=wording_version,
        at=at,
        collected_by=collector,
        method=method,
        note=note[:255],
    )
    row.full_clean()
    row.save()
    data = {
        "consent_id": row.pk,
        "channel": channel,
        "purpose": purpose,
        "method": method,
        "at": row.at.isoformat(),
        "collected_by": collector.pk if collector else None,
        "note": row.note,
    }
    if structure is not None:
        data["structure_id"] = structure.pk
    if wording_version:
        data["wording_version"] = wording_version
    log_action(
        actor=actor,
        action=f"consent_{action}",
        obj=participant,
        summary=SUMMARIES[action]
        % {
            "person": participant,
            "channel": row.get_channel_display(),
            "purpose": row.get_purpose_display(),
            "method": row.get_method_display(),
        },
        data=data,
    )
    return row
