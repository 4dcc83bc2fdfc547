"""Writes of the formations app made from the coordinators' forms.

Every create or edit goes through `record_save`, so the audit journal says who set up or
changed a programme, a formation (its contract rules), a structure, a participant or a
funder, and which fields moved.
"""

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.forms import ModelForm
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.consent import consent_changes_record
from formations.contact_notice import contact_changed_notify
from formations.locks import locked_fields
from formations.models import Participant
from formations.permissions import ensure_manager


class RecordConflict(Exception):
    """The database refused the row (e.g. a duplicate written by someone else meanwhile)."""

    code = "conflict"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def record_save(*, form: ModelForm, actor) -> Model:
    """Save a validated ModelForm (instance and many-to-many) and log it.

    Writes the row, its m2m links, and one audit entry ``<model>_created`` or
    ``<model>_updated`` with the changed field names. Raises `RecordConflict` when the
    database rejects the row after the form validated (a concurrent duplicate), or when
    the form changes a field that evidence depends on (`formations.locks`): nothing is
    written then. Coordinators only (`PermissionDenied` for anyone else).
    """
    ensure_manager(actor)
    creating = form.instance._state.adding
    frozen = set(form.changed_data) & set(locked_fields(form.instance))
    if frozen:
        raise RecordConflict(
            _(
                "Ces champs ne peuvent plus changer : des demi-journées de ses sessions sont "
                "émargées ou scellées et leurs feuilles les montrent (%(fields)s)."
            )
            % {"fields": ", ".join(str(form.fields[name].label) for name in sorted(frozen))}
        )
    try:
        with transaction.atomic():
            obj = form.save()
    except IntegrityError as exc:
        raise RecordConflict(
            _(
                "Enregistrement impossible : un enregistrement identique vient d'être créé. "
                "Vérifiez les valeurs uniques (référence, nom, e-mail) puis réessayez."
            )
        ) from exc
    model_name = obj._meta.model_name
    # Form-only fields (a participant's consent boxes) are journaled by their own service.
    model_fields = {field.name for field in obj._meta.get_fields()}
    log_action(
        actor=actor,
        action=f"{model_name}_{'created' if creating else 'updated'}",
        obj=obj,
        summary=str(obj),
        data={"fields": sorted(name for name in form.changed_data if name in model_fields)},
    )
    return obj


@transaction.atomic
def participant_save(*, form, actor) -> Model:
    """Save a validated `ParticipantForm`: the record (`record_save`), then each consent
    box the user changed (`participant_consents_record`), all or nothing; a changed
    e-mail address or mobile number sends a notice to the old one
    (`formations.contact_notice`).
    Raises what those raise (`RecordConflict`, `ConsentError`, `PermissionDenied`)."""
    before = None
    if not form.instance._state.adding and {"email", "phone"} & set(form.changed_data):
        # The form has already written the new values on its instance: read the old ones.
        before = Participant.objects.filter(pk=form.instance.pk).values("email", "phone").first()
    participant = record_save(form=form, actor=actor)
    participant_consents_record(participant=participant, actor=actor, **form.consent_collection())
    if before:
        contact_changed_notify(
            participant=participant,
            old_email=before["email"],
            old_phone=before["phone"],
            by_participant=False,
            actor=actor,
        )
    return participant


@transaction.atomic
def participant_consents_record(
    *,
    participant,
    changes: list[tuple[str, str, bool]],
    method: str,
    actor,
    at=None,
    collected_by=None,
    note: str = "",
) -> list:
    """Record each change `(channel, purpose, given)` as a consent given or withdrawn
    (`consent_give`, `consent_withdraw`: one row and one audit entry each), collected by
    `collected_by` (default: the actor) by `method` on `at` (default: now), all or
    nothing. Returns the rows written. Raises `ConsentError`, `PermissionDenied`."""
    ensure_manager(actor)
    how = {"method": method, "actor": actor, "at": at, "collected_by": collected_by, "note": note}
    return consent_changes_record(participant=participant, changes=changes, **how)


# Signature-and-stamp images: what the first bytes say, never the file's name or the
# browser's content type.
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_SIGNATURE_IMAGE_BYTES = 2 * 1024 * 1024


def image_type(head: bytes) -> str | None:
    """`image/png` or `image/jpeg` from a file's first bytes, else None."""
    for magic, content_type in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return content_type
    return None


class ProviderError(Exception):
    """Refusals of `provider_identity_save`. Codes: `not_an_image` (the signature file is
    not a PNG or a JPEG by its first bytes), `too_large`."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def check_signature_image(upload) -> None:
    """Raises ProviderError unless `upload` is a PNG or JPEG (by its bytes) of at most
    2 MB: it is printed on every certificate."""
    if upload.size > MAX_SIGNATURE_IMAGE_BYTES:
        raise ProviderError(
            _("L'image de signature dépasse 2 Mo : choisissez une image plus légère."),
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if image_type(head) is None:
        raise ProviderError(
            _("L'image de signature doit être un fichier PNG ou JPEG."), code="not_an_image"
        )


@transaction.atomic
def provider_identity_save(*, form: ModelForm, actor) -> Model:
    """Save the validated `ProviderIdentityForm` (the one `ProviderIdentity` row) and
    journal it (`provider_identity_updated`, or `_created` the first time, with the changed
    field names). Coordinators only (`PermissionDenied`); a signature file that is not a PNG
    or JPEG by its first bytes raises ProviderError `not_an_image` (nothing written)."""
    ensure_manager(actor)
    upload = form.cleaned_data.get("signature_image")
    if "signature_image" in form.changed_data and upload and hasattr(upload, "content_type"):
        check_signature_image(upload)
    creating = form.instance._state.adding
    # A SIRET typed with spaces is the same SIRET once cleaned: not a change.
    changed = [
        name
        for name in form.changed_data
        if creating or form.initial.get(name) != form.cleaned_data.get(name)
    ]
    obj = form.save()
    log_action(
        actor=actor,
        action=f"provider_identity_{'created' if creating else 'updated'}",
        obj=obj,
        summary=str(obj),
        data={"fields": sorted(changed)},
    )
    return obj
