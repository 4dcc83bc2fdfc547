"""Acknowledging an audit risk: a coordinator's written explanation of what a controller
would question (`sessions.selectors.audit_risks`), carried by the audit pack."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.audit import log_action
from formations.models import Formation
from formations.permissions import can_manage
from sessions.exceptions import SessionsError
from sessions.models import AuditRiskAcknowledgement
from sessions.selectors.audit_risks import audit_risks

MIN_EXPLANATION_CHARS = 10


@transaction.atomic
def audit_risk_acknowledge(
    *, actor, formation: Formation, risk_key: str, explanation: str
) -> AuditRiskAcknowledgement:
    """Records (or replaces) the explanation of one of the formation's current audit risks.

    Coordinators only (``SessionsError`` code ``not_coordinator``; the page answers 403
    before). Codes: ``explanation_required`` (blank or shorter than
    ``MIN_EXPLANATION_CHARS`` characters: « RAS » explains nothing), ``unknown_risk`` (not
    a current risk of this formation). Audit-logged as ``audit_risk.acknowledge`` on the
    formation, with the key and the text."""
    if actor is None or not can_manage(actor):
        raise SessionsError(
            _("Seul·e un·e coordinateur·rice peut expliquer un risque d'audit."),
            code="not_coordinator",
        )
    explanation = (explanation or "").strip()
    if len(explanation) < MIN_EXPLANATION_CHARS:
        raise SessionsError(
            _("Écrivez une explication (au moins %(n)s caractères) : le dossier la porte.")
            % {"n": MIN_EXPLANATION_CHARS},
            code="explanation_required",
        )
    formation = Formation.objects.select_for_update().get(pk=formation.pk)
    risk = next((r for r in audit_risks(formation=formation) if r.key == risk_key), None)
    if risk is None:
        raise SessionsError(
            _("Ce risque n'existe plus pour cette formation : actualisez la page."),
            code="unknown_risk",
        )
    acknowledgement = AuditRiskAcknowledgement.objects.filter(
        formation=formation, risk_key=risk_key
    ).first() or AuditRiskAcknowledgement(formation=formation, risk_key=risk_key)
    previous = acknowledgement.explanation
    acknowledgement.explanation = explanation
    acknowledgement.acknowledged_by = actor
    acknowledgement.acknowledged_at = timezone.now()
    acknowledgement.full_clean()
    acknowledgement.save()
    log_action(
        actor=actor,
        action="audit_risk.acknowledge",
        obj=formation,
        # The risk's own sentence: the key is for the machine (kept in the data).
        summary=_("Risque d'audit expliqué : %(risk)s") % {"risk": risk.sentence},
        data={"risk_key": risk_key, "explanation": explanation, "previous": previous},
    )
    return acknowledgement
