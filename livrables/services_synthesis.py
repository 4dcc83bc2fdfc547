"""Issuing an evaluation synthesis and sending it to the funder.

The synthesis is the funder's copy of one questionnaire's results in a formation (or one
of its sessions) over a period (`livrables.data_synthesis`: no name, no contact details,
hidden comments left out). It is issued as every document is (`livrables.services._issue`:
rendered once, kept, registered, superseding the standing synthesis of the same
formation, session, questionnaire and period), and sent from the application through the
outbox: an e-mail with the PDF attached (the kept bytes, a few hundred kilobytes at most,
base64 in the outbox row) to the funder's active auditor accounts or to an address typed.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evaluations.selectors_synthesis import SynthesisScope
from formations import outbox
from formations.audit import log_action
from formations.models import User
from livrables.data import verification_url
from livrables.data_synthesis import build_synthesis_data
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.pdf.synthesis import render_synthesis
from livrables.permissions import ensure_coordinator
from livrables.selectors import document_state, issued_file
from livrables.services import Subject, _issue

KIND = IssuedDocument.Kind.EVALUATION_SYNTHESIS
PURPOSE = "evaluation_synthesis"


def register_purpose() -> None:
    """The outbox purpose of a synthesis sent to the funder (a service message to an
    account or an address the coordinator typed), added once from `ready()`."""
    outbox.PURPOSES.setdefault(
        PURPOSE, outbox.MessagePurpose(gettext_lazy("Synthèse d'évaluation"))
    )


def synthesis_title(data) -> str:
    """The register's public title: questionnaire, contract, formation (and session): an
    organisation's action, never a person."""
    title = _("%(kind)s — %(questionnaire)s — %(contract)s — %(formation)s") % {
        "kind": KIND.label,
        "questionnaire": data.questionnaire_title,
        "contract": data.contract_reference,
        "formation": data.formation_title,
    }
    if data.session_code:
        title += " — " + _("session %(code)s") % {"code": data.session_code}
    return title


def issue_synthesis(*, scope: SynthesisScope, actor, now=None) -> IssuedDocument:
    """Issues the synthesis of `scope` (kind `evaluation_synthesis`; subject: the formation,
    the session when one, the questionnaire; period in covers_from / covers_to). A standing
    synthesis of the same subject and period is superseded.

    Raises LivrablesError `not_allowed` (coordinators only), `period_reversed`,
    `provider_missing`, `no_responses`. Audit action `livrables.synthesis_issued`, on the
    session or the formation (data: number, sha256, bytes, questionnaire, responses,
    supersedes)."""
    ensure_coordinator(actor, _("Seule la coordination émet les synthèses d'évaluation."))
    now = now or timezone.now()
    data = build_synthesis_data(scope=scope, now=now)
    return _issue(
        data=data,
        render=render_synthesis,
        filename_prefix="synthese-evaluation",
        kind=KIND,
        action="livrables.synthesis_issued",
        label=str(KIND.label),
        subject=Subject(
            session=scope.session,
            formation=scope.formation,
            questionnaire=scope.questionnaire,
            period=scope.period,
        ),
        title=synthesis_title(data),
        actor=actor,
        now=now,
        log_data={
            "questionnaire": scope.questionnaire.pk,
            "responses": data.responses,
            "invited": data.invited,
        },
        public={"covers_from": scope.date_from, "covers_to": scope.date_to},
    )


def funder_recipients(*, formation) -> list[User]:
    """The active auditor accounts of the formation's funders that have an e-mail."""
    return list(
        User.objects.filter(
            role=User.Role.FUNDER_AUDITOR,
            is_active=True,
            funders__programmes=formation.programme_id,
        )
        .exclude(email="")
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def synthesis_mail(document: IssuedDocument) -> tuple[str, str]:
    """The subject and body (French) of the e-mail carrying a synthesis."""
    formation = document.formation
    subject = _("Synthèse d'évaluation — %(contract)s — %(formation)s") % {
        "contract": formation.contract_reference,
        "formation": formation.title,
    }
    url = settings.SUIVI_BASE_URL.rstrip("/") + reverse(
        "livrables:document_download", args=[document.number]
    )
    lines = [
        _("Bonjour,"),
        "",
        _(
            "Vous trouverez ci-joint la synthèse d'évaluation « %(title)s » (document "
            "n° %(number)s)."
        )
        % {
            "title": document.questionnaire.title if document.questionnaire else "",
            "number": document.number,
        },
        "",
        _("Son authenticité se vérifie à cette adresse :"),
        verification_url(document.number),
        "",
        _("Avec un compte d'auditeur·rice, elle se télécharge aussi ici :"),
        url,
    ]
    return subject, "\n".join(lines)


@transaction.atomic
def send_synthesis(
    *, document: IssuedDocument, actor, to_auditors: bool = True, address: str = ""
) -> list:
    """Writes to the outbox, in the caller's transaction, one e-mail per recipient (the
    funder's active auditors, and/or `address`), the kept PDF attached. Only a standing
    synthesis is sent (a superseded or revoked one is refused).

    Raises LivrablesError `not_allowed`, `not_current`, `no_recipient`, `file_missing` /
    `file_altered` (the kept file). Audit action `livrables.synthesis_sent`, on the
    formation (data: number, recipients)."""
    ensure_coordinator(actor, _("Seule la coordination envoie les synthèses au financeur."))
    if document.kind != KIND:
        raise LivrablesError(_("Ce document n'est pas une synthèse."), code="not_allowed")
    if not document_state(document=document).is_current:
        raise LivrablesError(
            _("Cette synthèse a été remplacée ou révoquée : envoyez la synthèse en vigueur."),
            code="not_current",
        )
    recipients: list[tuple[str, str]] = []
    if to_auditors:
        recipients += [
            (user.email, user.get_full_name() or user.username)
            for user in funder_recipients(formation=document.formation)
        ]
    address = (address or "").strip()
    if address and address.lower() not in {email.lower() for email, _name in recipients}:
        recipients.append((address, ""))
    if not recipients:
        raise LivrablesError(
            _(
                "Aucun destinataire : le financeur n'a pas de compte d'auditeur·rice actif "
                "avec une adresse e-mail. Indiquez une adresse."
            ),
            code="no_recipient",
        )
    pdf = issued_file(document=document)
    subject, body = synthesis_mail(document)
    messages = [
        outbox.outbox_enqueue(
            purpose=PURPOSE,
            recipient=email,
            recipient_name=name,
            subject=subject,
            body=body,
            attachments=[(pdf.filename, pdf.content, pdf.content_type)],
            about=document.formation,
            requested_by=actor,
        )
        for email, name in recipients
    ]
    log_action(
        actor=actor,
        action="livrables.synthesis_sent",
        obj=document.formation,
        summary=ngettext(
            "Synthèse n° %(number)s envoyée au financeur (%(count)s destinataire)",
            "Synthèse n° %(number)s envoyée au financeur (%(count)s destinataires)",
            len(messages),
        )
        % {"number": document.number, "count": len(messages)},
        data={"number": document.number, "recipients": [email for email, _name in recipients]},
    )
    return messages
