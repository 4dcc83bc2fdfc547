"""The participant's own space: signing in with a one-time link, the signed-in person, and
the writes a participant makes on their own record.

Why not django-sesame: it signs in `AUTH_USER_MODEL` accounts through `django.contrib.auth`,
and participants are not accounts (docs/decisions.md). A participant is never a `User`, so
no role can be given to them by accident; their sign-in lives in its own session key,
beside (never inside) the staff login:

- **Asking** (`space_link_request`): rate-limited per address and per IP (shared cache),
  then the same background task is enqueued whatever the address, so the page and its
  timing say nothing about whether the address is known. The address typed waits in a
  `SpaceLinkRequest` row, the task getting only its id: the task queue's rows, kept until
  pruned, never hold it. The task (`space_link_request_send`) reads and deletes that row
  in one transaction, looks the address up (`space_links_send`) and, for each person
  holding it, writes a `SpaceSignInLink` row and a message in the outbox (purpose
  ``space_link``: a service message). Rows no task took are pruned by `run_periodic`.
- **The link** carries a random nonce signed with Django's `TimestampSigner` (salted for
  this use): a forged or altered link is refused before any query, an old one by its
  timestamp. The row keeps the nonce's SHA-256 only.
- **Signing in** (`space_sign_in`, on a POST: mail scanners that open links do not use
  them up): the row is locked, checked (not used, not expired) and marked used by a
  conditional update in one transaction, so two clicks sign in once. The person's other
  pending links end with it.
- **The session** (`space_login`): the session is flushed (a staff login in the same
  browser ends; the session key changes, so a planted session id is worthless), then holds
  the participant's pk under `SESSION_KEY`. `current_participant` ignores it whenever a
  staff user is signed in, and staff pages keep asking for a staff login: a participant
  opens none of them (LoginRequiredMiddleware sends them to the staff login page).

Audit actions: ``space.link_requested`` (only for a known address), ``space.signed_in``,
``space.signed_out``, ``space.contact_updated``.
"""

import datetime as dt
import functools
import hashlib
import logging
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from formations.audit import log_action
from formations.client_ip import valid_ip
from formations.consent import (
    STRUCTURE_PAIRS,
    consent_changes_record,
    consent_withdraw,
    current_wording,
    recorded_wording,
)
from formations.contact_notice import contact_changed_notify
from formations.models import (
    Channel,
    ContactConsent,
    Membership,
    OutboxMessage,
    Participant,
    SpaceLinkRequest,
    SpaceSignInLink,
)
from formations.outbox import outbox_enqueue
from formations.phones import PhoneError, normalize_phone, region_for_structure
from formations.ratelimit import rate_limit_hit

logger = logging.getLogger(__name__)

SESSION_KEY = "_space_participant_id"
SALT = "formations.space.sign-in-link"
EMAIL_TEMPLATES = "formations/space/emails"
# At most this many people get a link for one address (a phone shared by a family).
MAX_PEOPLE_PER_ADDRESS = 5


class SpaceError(Exception):
    """A refused act of the participant's space. Codes: ``invalid_link``, ``expired``,
    ``used`` (sign-in); ``email_taken`` (contact details)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


# --------------------------------------------------------------------------- settings


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "SUIVI_SPACE_LINK_SECONDS", 15 * 60)))


def link_minutes() -> int:
    return max(1, int(link_lifetime().total_seconds()) // 60)


def session_seconds() -> int:
    return int(getattr(settings, "SUIVI_SPACE_SESSION_SECONDS", 12 * 3600))


# --------------------------------------------------------------------------- asking


def parse_address(text: str) -> tuple[str, str] | None:
    """What a person typed on the sign-in page: an e-mail address (``("email", address)``)
    or a phone number (``("sms", E.164)``); None when it is neither."""
    text = (text or "").strip()
    if not text or len(text) > 254:
        return None
    if "@" in text:
        return Channel.EMAIL, text
    try:
        return Channel.SMS, normalize_phone(text)
    except PhoneError:
        return None


def space_link_request(*, address: str, ip: str | None) -> bool:
    """The sign-in page's form: counts the request against the limits per address
    (``SUIVI_SPACE_LINKS_PER_HOUR``) and per IP (``SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR``),
    then writes the address in a `SpaceLinkRequest` row and enqueues
    `formations.tasks.send_space_links` with the row's id — the same work whether the
    address is known or not; the lookup happens in the task. Returns False when a limit
    stopped it (the page shows the same answer either way)."""
    from formations.tasks import send_space_links

    # Both limits are counted on every request, so neither tells the other apart.
    per_ip = rate_limit_hit(
        "space_link_ip",
        ip or "unknown",
        limit=int(getattr(settings, "SUIVI_SPACE_LINK_REQUESTS_PER_IP_HOUR", 20)),
        window_seconds=3600,
    )
    parsed = parse_address(address)
    key = fold_address(parsed[1] if parsed else (address or "").strip())
    per_address = rate_limit_hit(
        "space_link",
        key,
        limit=int(getattr(settings, "SUIVI_SPACE_LINKS_PER_HOUR", 3)),
        window_seconds=3600,
    )
    if not (per_ip and per_address):
        logger.warning("space sign-in link requests over the hourly limit")
        return False
    with transaction.atomic():  # the row and, with the database queue, its task
        asked = SpaceLinkRequest.objects.create(address=key, ip_address=valid_ip(ip))
        send_space_links.enqueue(asked.pk)
    return True


@transaction.atomic
def space_link_request_send(*, request_id: int) -> list[OutboxMessage]:
    """The task's work: takes the `SpaceLinkRequest` row (locked, then deleted, in this
    transaction: a second run of the task finds nothing) and sends its links
    (`space_links_send`). A row already taken or pruned sends nothing."""
    asked = SpaceLinkRequest.objects.select_for_update().filter(pk=request_id).first()
    if asked is None:
        return []
    address, ip = asked.address, asked.ip_address
    if SpaceLinkRequest.objects.filter(pk=asked.pk).delete()[0] != 1:
        return []  # taken by another run meanwhile (SQLite has no row lock)
    return space_links_send(address=address, ip=ip)


def space_link_requests_prune(*, now=None) -> int:
    """Deletes the requests no task took (worker down) once a link sent for them would
    have expired: what people typed is not kept. `run_periodic` calls it."""
    now = now or timezone.now()
    deleted, _detail = SpaceLinkRequest.objects.filter(
        created_at__lt=now - link_lifetime()
    ).delete()
    return deleted


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def space_link_url(nonce: str) -> str:
    token = _signer().sign(nonce)
    return settings.SUIVI_BASE_URL.rstrip("/") + reverse("space:link", args=[token])


@transaction.atomic
def space_links_send(*, address: str, ip: str | None = None) -> list[OutboxMessage]:
    """Sends a sign-in link to each participant holding ``address`` (an e-mail address,
    case ignored, or a phone number): one `SpaceSignInLink` row, one outbox message (by
    e-mail, or by SMS to a number) and one audit entry ``space.link_requested`` each.
    An unknown address writes nothing. Returns the messages."""
    parsed = parse_address(address)
    if parsed is None:
        return []
    channel, value = parsed
    if channel == Channel.EMAIL:
        # The database's case-insensitive match is wider than Python's: PostgreSQL's
        # UPPER('ı') is 'I', so « gmaıl.com » would find « gmail.com ». Keep only the
        # addresses equal once folded, and send to the stored one, never to what was typed
        # (Django's password reset had this hole: CVE-2019-19844).
        people = [
            person
            for person in Participant.objects.filter(email__iexact=value).order_by("pk")
            if same_address(person.email, value)
        ]
    else:
        people = list(Participant.objects.filter(phone=value).order_by("pk"))
    messages = []
    for person in people[:MAX_PEOPLE_PER_ADDRESS]:
        recipient = person.email if channel == Channel.EMAIL else person.phone
        messages.append(_send_link(person, channel=channel, recipient=recipient, ip=ip))
    return messages


def same_address(stored: str, typed: str) -> bool:
    """E-mail addresses equal but for case, compared the Unicode way (NFKC, casefold)."""
    return fold_address(stored) == fold_address(typed)


def fold_address(address: str) -> str:
    return unicodedata.normalize("NFKC", address or "").casefold()


def _send_link(person: Participant, *, channel: str, recipient: str, ip) -> OutboxMessage:
    nonce = secrets.token_urlsafe(32)
    link = SpaceSignInLink.objects.create(
        participant=person,
        nonce_hash=_nonce_hash(nonce),
        channel=channel,
        expires_at=timezone.now() + link_lifetime(),
    )
    context = {
        "person": person,
        "url": space_link_url(nonce),
        "minutes": link_minutes(),
        "expires": timezone.localtime(link.expires_at),
    }
    with translation.override("fr"):
        if channel == Channel.EMAIL:
            subject = render_to_string(f"{EMAIL_TEMPLATES}/link_subject.txt", context)
            body = render_to_string(f"{EMAIL_TEMPLATES}/link.txt", context)
        else:
            subject = ""
            body = render_to_string(f"{EMAIL_TEMPLATES}/link_sms.txt", context).strip()
    message = outbox_enqueue(
        purpose="space_link",
        channel=channel,
        recipient=recipient,
        recipient_name=person.full_name,
        participant=person,
        subject=subject,
        body=body,
        about=person,
        expires_at=link.expires_at,
    )
    log_action(
        actor=None,
        action="space.link_requested",
        obj=person,
        summary=_("Lien de connexion à son espace demandé (%(channel)s)")
        % {"channel": Channel(channel).label},
        data={"channel": channel, "message": message.pk, "link": link.pk},
        ip=ip,
    )
    return message


# --------------------------------------------------------------------------- signing in


def _nonce_from(token: str) -> str:
    try:
        return _signer().unsign(token, max_age=link_lifetime())
    except signing.SignatureExpired as exc:
        raise _expired() from exc
    except signing.BadSignature as exc:
        raise SpaceError(
            _("Ce lien n'est pas valable : il a peut-être été mal copié."), code="invalid_link"
        ) from exc


def _expired() -> SpaceError:
    return SpaceError(
        _("Ce lien a expiré : il ne reste valable que %(minutes)s minutes.")
        % {"minutes": link_minutes()},
        code="expired",
    )


def _used() -> SpaceError:
    return SpaceError(_("Ce lien a déjà servi : il ne sert qu'une fois."), code="used")


def _check(link: SpaceSignInLink | None, now) -> SpaceSignInLink:
    if link is None:
        raise SpaceError(_("Ce lien n'est pas valable."), code="invalid_link")
    if link.used_at is not None:
        raise _used()
    if link.expires_at <= now:
        raise _expired()
    return link


def space_link_check(*, token: str) -> SpaceSignInLink:
    """The link a token names, if it may still sign in (read only: opening the link's
    page uses nothing up). Raises `SpaceError` (``invalid_link``, ``expired``, ``used``)."""
    nonce = _nonce_from(token)
    link = (
        SpaceSignInLink.objects.select_related("participant")
        .filter(nonce_hash=_nonce_hash(nonce))
        .first()
    )
    return _check(link, timezone.now())


@transaction.atomic
def space_sign_in(*, token: str) -> Participant:
    """Uses the link a token names: marks it used (once: the row is locked, then updated
    only if still unused, which also decides on SQLite where the lock is a no-op), ends
    the person's other pending links, writes ``space.signed_in``. Returns the participant.
    Raises `SpaceError` (``invalid_link``, ``expired``, ``used``)."""
    nonce = _nonce_from(token)
    now = timezone.now()
    link = _check(
        SpaceSignInLink.objects.select_for_update()
        .select_related("participant")
        .filter(nonce_hash=_nonce_hash(nonce))
        .first(),
        now,
    )
    taken = SpaceSignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if taken != 1:
        raise _used()
    SpaceSignInLink.objects.filter(participant=link.participant, used_at__isnull=True).update(
        used_at=now
    )
    person = link.participant
    log_action(
        actor=None,
        action="space.signed_in",
        obj=person,
        summary=_("Connexion à son espace par lien (%(channel)s)")
        % {"channel": Channel(link.channel).label},
        data={"link": link.pk, "channel": link.channel},
    )
    return person


def space_login(request, participant: Participant) -> None:
    """Opens the participant's session: any staff login in this browser ends and the
    session key changes (`logout` flushes the session)."""
    logout(request)
    request.session[SESSION_KEY] = participant.pk
    request.session.set_expiry(session_seconds())
    rotate_token(request)  # as Django's login() does: no CSRF token from before sign-in


def space_sign_out(request, participant: Participant) -> None:
    """Ends the participant's session (``space.signed_out``)."""
    log_action(
        actor=None,
        action="space.signed_out",
        obj=participant,
        summary=_("Déconnexion de son espace"),
    )
    request.session.flush()


def current_participant(request) -> Participant | None:
    """The participant signed in to their space, or None. A staff user signed in in the
    same browser is never a participant: their login wins, and the key is dropped."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    if request.user.is_authenticated:
        request.session.pop(SESSION_KEY, None)
        return None
    person = Participant.objects.select_related("structure").filter(pk=pk).first()
    if person is None:
        request.session.pop(SESSION_KEY, None)
    return person


def participant_required(view):
    """For the pages of the space: public for `LoginRequiredMiddleware` (a participant has
    no staff login), but only for a signed-in participant, set on ``request.participant``;
    others go to the space's sign-in page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        participant = current_participant(request)
        if participant is None:
            return redirect("space:sign_in")
        request.participant = participant
        return view(request, *args, **kwargs)

    # Personal data: never kept by a shared device's browser or a proxy.
    return login_not_required(never_cache(wrapped))


# --------------------------------------------------------------------------- own record


def _ensure_self(actor, participant: Participant) -> None:
    if not (isinstance(actor, Participant) and actor.pk == participant.pk):
        raise PermissionDenied


NO_CONTACT_MESSAGE = gettext_lazy(
    "Gardez au moins une adresse e-mail ou un numéro de mobile : c'est par là que vous "
    "recevez le lien pour ouvrir votre espace et vos convocations."
)
EMAIL_TAKEN_MESSAGE = gettext_lazy(
    "Cette adresse ne peut pas être enregistrée ici. Indiquez-en une autre, ou demandez à la "
    "coordination de la formation."
)


@transaction.atomic
def space_contact_update(*, participant: Participant, actor, email: str, phone: str) -> list[str]:
    """The participant corrects their own e-mail and phone (``phone`` as typed: validated
    and stored in E.164, the region from their structure). Only the person themself
    (``actor`` is that participant; `PermissionDenied` otherwise). Writes the record and
    one audit entry ``space.contact_updated`` naming the changed fields, and a notice to
    the old address or number (`formations.contact_notice`); returns the fields.
    Raises `SpaceError` ``email_taken``, ``no_contact`` (both left empty: no way in any
    more), `PhoneError` for a number that is not one."""
    _ensure_self(actor, participant)
    person = Participant.objects.select_for_update().get(pk=participant.pk)
    email = (email or "").strip()
    if not email and not (phone or "").strip():
        raise SpaceError(NO_CONTACT_MESSAGE, code="no_contact")
    phone = normalize_phone(phone or "", region=region_for_structure(person.structure))
    if email and Participant.objects.filter(email__iexact=email).exclude(pk=person.pk).exists():
        raise SpaceError(EMAIL_TAKEN_MESSAGE, code="email_taken")
    changed = [
        name
        for name, value in (("email", email), ("phone", phone))
        if getattr(person, name) != value
    ]
    if not changed:
        return []
    old_email, old_phone = person.email, person.phone
    person.email, person.phone = email, phone
    # Only what the person changes is checked: an old imperfection elsewhere in their
    # record must not stop them from correcting their contact details.
    others = [f.name for f in Participant._meta.fields if f.name not in ("email", "phone")]
    try:
        person.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
        with transaction.atomic():
            person.save(update_fields=[*changed, "updated_at"])
    except ValidationError as error:
        raise SpaceError(" ".join(error.messages), code="invalid") from None
    except IntegrityError:  # the same address saved at the same moment by someone else
        raise SpaceError(EMAIL_TAKEN_MESSAGE, code="email_taken") from None
    participant.email, participant.phone = email, phone
    log_action(
        actor=None,
        action="space.contact_updated",
        obj=person,
        summary=_("Coordonnées corrigées par la personne dans son espace"),
        data={"fields": changed, "by_participant": person.pk},
    )
    contact_changed_notify(
        participant=person, old_email=old_email, old_phone=old_phone, by_participant=True
    )
    return changed


@transaction.atomic
def space_consents_record(
    *, participant: Participant, actor, changes: list[tuple[str, str, bool]]
) -> list:
    """The participant gives or withdraws their own consents from their space: each
    change ``(channel, purpose, given)`` through `consent_give` / `consent_withdraw`,
    method « lien personnel envoyé à la personne » (``web_link``), no collector, all or
    nothing. Only the person themself (`PermissionDenied`). Returns the rows written."""
    _ensure_self(actor, participant)
    how = {
        "method": ContactConsent.Method.WEB_LINK,
        "actor": actor,
        "note": _("depuis son espace personnel"),
    }
    return consent_changes_record(participant=participant, changes=changes, **how)


def space_structure_consents(participant: Participant) -> list[dict]:
    """What the person agreed to with each structure that follows them (seed 002, Alertes),
    for their space: ``[{"structure", "rows": [{"channel", "purpose", "wording", "given",
    "latest"}]}]`` in the structures' order. Only their own memberships' structures.
    Two queries whatever the number of structures: the memberships, then every structure
    row of the person (latest per structure and pair kept). `wording`: the text the person
    agreed to where a consent stands given (`recorded_wording`), else today's."""
    memberships = list(
        Membership.objects.filter(participant=participant)
        .select_related("structure")
        .order_by("structure__sort_key", "structure_id")
    )
    latest_rows: dict[tuple[int, str, str], ContactConsent] = {}
    for row in ContactConsent.objects.filter(
        participant=participant,
        structure_id__in=[membership.structure_id for membership in memberships],
    ).order_by("at", "pk"):
        latest_rows[(row.structure_id, row.channel, row.purpose)] = row
    result = []
    for membership in memberships:
        rows = []
        for channel, purpose in STRUCTURE_PAIRS:
            latest = latest_rows.get((membership.structure_id, channel, purpose))
            given = latest is not None and latest.action == ContactConsent.Action.GIVEN
            rows.append(
                {
                    "channel": channel,
                    "purpose": purpose,
                    "wording": (
                        recorded_wording(latest)
                        if given
                        else str(current_wording(channel, purpose).text)
                    ),
                    "given": given,
                    "latest": latest,
                }
            )
        result.append({"structure": membership.structure, "rows": rows})
    return result


@transaction.atomic
def space_structure_consent_withdraw(
    *, participant: Participant, actor, structure_id: int, channel: str, purpose: str
) -> list:
    """The participant withdraws, from their space, what they agreed to with a structure
    that follows them (news or requested reminders, on one channel): method « lien
    personnel » (``web_link``), no collector. Only the person themself, for a structure
    they are a member of (`PermissionDenied` otherwise). Returns the rows written (none
    when already withdrawn)."""
    _ensure_self(actor, participant)
    if (channel, purpose) not in STRUCTURE_PAIRS:
        raise PermissionDenied
    membership = (
        Membership.objects.filter(participant=participant, structure_id=structure_id)
        .select_related("structure")
        .first()
    )
    if membership is None:
        raise PermissionDenied
    return consent_withdraw(
        participant=participant,
        channel=channel,
        purposes=[purpose],
        structure=membership.structure,
        method=ContactConsent.Method.WEB_LINK,
        actor=actor,
        note=_("depuis son espace personnel"),
    )
