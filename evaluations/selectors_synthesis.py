"""What a synthesis covers and who may read or act on it: the campaigns of one
questionnaire in a formation (or one of its sessions) over a period, the conclusion kept
for them, and the comments a coordinator may hide. The synthesis PDF is built from these
by `livrables.data_synthesis`; the results themselves by `evaluations.selectors_results`."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from evaluations.models import Answer, Campaign, Question, Questionnaire
from evaluations.models_synthesis import SynthesisDraft
from formations.permissions import can_manage, is_funder_auditor
from formations.selectors import formations_visible_to


@dataclass(frozen=True)
class SynthesisScope:
    """One questionnaire's campaigns in a formation, or in one of its sessions (with the
    formation-wide campaigns' answers about that session), opened between two dates (both
    included, in the server's time zone; None: no bound)."""

    formation: object
    questionnaire: Questionnaire
    session: object = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def period(self) -> tuple[dt.date | None, dt.date | None]:
        return (self.date_from, self.date_to)


def synthesis_campaigns(*, scope: SynthesisScope) -> QuerySet[Campaign]:
    """The campaigns a synthesis covers: those of the questionnaire (any version) in the
    formation, not cancelled, launched or not, opened within the period; with a session,
    that session's and the formation-wide ones (whose answers `results_for` then restricts
    to the session)."""
    campaigns = Campaign.objects.filter(
        formation_id=scope.formation.pk,
        version__questionnaire_id=scope.questionnaire.pk,
        cancelled_at__isnull=True,
    )
    if scope.session is not None:
        campaigns = campaigns.filter(Q(session_id=scope.session.pk) | Q(session__isnull=True))
    if scope.date_from is not None:
        campaigns = campaigns.filter(opens_at__date__gte=scope.date_from)
    if scope.date_to is not None:
        campaigns = campaigns.filter(opens_at__date__lte=scope.date_to)
    return campaigns


def synthesis_questionnaires(*, formation) -> QuerySet[Questionnaire]:
    """The questionnaires the formation has campaigns of (not cancelled): the ones a
    synthesis can be made of."""
    return (
        Questionnaire.objects.filter(
            versions__campaigns__formation_id=formation.pk,
            versions__campaigns__cancelled_at__isnull=True,
        )
        .distinct()
        .order_by("title", "pk")
    )


def synthesis_draft(*, scope: SynthesisScope) -> SynthesisDraft | None:
    """The conclusion kept for exactly this scope, if any."""
    return SynthesisDraft.objects.filter(
        formation_id=scope.formation.pk,
        questionnaire_id=scope.questionnaire.pk,
        session_id=scope.session.pk if scope.session is not None else None,
        period_from=scope.date_from,
        period_to=scope.date_to,
    ).first()


def may_read_raw_answers(user, formation) -> bool:
    """The raw answers of a formation's evaluations (CSV / XLSX): coordinators, and the
    auditors of the formation's funders (without names nor contact details). Trainers and
    referents see the results pages, not the rows."""
    if can_manage(user):
        return True
    return (
        is_funder_auditor(user)
        and formations_visible_to(user=user).filter(pk=formation.pk).exists()
    )


def comments_in_reach(*, user) -> QuerySet[Answer]:
    """Free-text answers of the formations the user can see (the comment pages look them
    up here: a comment out of reach is « not found »). Who may hide one is the service's
    question (coordinators only)."""
    return Answer.objects.filter(
        question__kind=Question.Kind.TEXT,
        response__campaign__formation__in=formations_visible_to(user=user).values("pk"),
    ).exclude(text="")
