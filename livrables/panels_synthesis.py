"""« Synthèses d'évaluation » on the formation page: the syntheses issued (newest first,
with their state), and for coordinators the way to the synthesis page (questionnaire,
conclusion, issue) and the sending to the funder; for the auditors of the formation's
funders, the issued syntheses and the funder's copy of the raw answers. Trainers and
referents: nothing (they read the results pages)."""

from django.urls import reverse

from evaluations.selectors_synthesis import may_read_raw_answers, synthesis_questionnaires
from formations.permissions import can_manage
from livrables.data import verification_url
from livrables.models import IssuedDocument
from livrables.selectors import document_states

SHOWN = 10


def formation_syntheses_panel(request, formation):
    user = request.user
    if not may_read_raw_answers(user, formation):
        return None
    questionnaires = list(synthesis_questionnaires(formation=formation))
    documents = list(
        IssuedDocument.objects.filter(
            formation=formation, kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS
        )
        .select_related("questionnaire", "session")
        .order_by("-issued_at", "-pk")[:SHOWN]
    )
    if not questionnaires and not documents:
        return None
    states = document_states(documents)
    for document in documents:
        document.state = states[document.pk]
        document.verification_url = verification_url(document.number)
    exports = [
        (
            questionnaire,
            reverse("evaluations:answers_export", args=[formation.pk, "csv"])
            + f"?questionnaire={questionnaire.pk}",
            reverse("evaluations:answers_export", args=[formation.pk, "xlsx"])
            + f"?questionnaire={questionnaire.pk}",
        )
        for questionnaire in questionnaires
    ]
    return (
        "livrables/panels/syntheses.html",
        {
            "syntheses": documents,
            "synthesis_questionnaires": questionnaires,
            "synthesis_exports": exports,
            "synthesis_can_write": can_manage(user),
            "synthesis_url": reverse("livrables:synthesis", args=[formation.pk]),
        },
    )
