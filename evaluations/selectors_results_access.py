"""Who sees which evaluation results, on the session and formation pages.

- Coordinators: everything, who has not answered included, the comments hidden from the
  funder's synthesis marked as such, and the names of a nominative questionnaire.
- Trainers: their own sessions (on a formation's page, the answers about their sessions
  only): aggregates and comments, never who has not answered, never who wrote what —
  except for a nominative questionnaire (quiz, positioning), whose answers carry names.
  A comment hidden by the coordination is not shown to them.
- Funder auditors: the formations of their funders' programmes, aggregates and comments
  without any name; hidden comments are left out, as in the funder's synthesis.
- Structure referents and everyone else: nothing (the pages answer 404).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from evaluations.models import Campaign, Questionnaire
from formations.models import Formation
from formations.permissions import can_manage, is_funder_auditor, is_trainer
from formations.selectors import formations_visible_to
from sessions.models import TrainingSession
from sessions.selectors.visibility import sessions_visible_to


@dataclass(frozen=True)
class ResultsScope:
    """The campaigns whose results a user sees on one page, and what of them."""

    campaigns: QuerySet[Campaign]
    # Restrict the answers to these sessions (None: every answer of the campaigns).
    sessions: QuerySet[TrainingSession] | None
    show_non_respondents: bool
    show_hidden_comments: bool  # marked « masqué dans la synthèse du financeur »
    show_names: bool  # the named answers of a nominative questionnaire
    # Withhold what is broken down into groups of fewer than MASK_THRESHOLD responses
    # (coordinators see them, marked).
    mask_small: bool = True

    def for_questionnaire(self, questionnaire_pk: int) -> QuerySet[Campaign]:
        return self.campaigns.filter(version__questionnaire_id=questionnaire_pk)

    def questionnaires(self) -> list[Questionnaire]:
        """The questionnaires that have campaigns here, in title order."""
        return list(
            Questionnaire.objects.filter(
                Exists(self.campaigns.filter(version__questionnaire_id=OuterRef("pk")))
            ).order_by("title", "pk")
        )


def _may_see_results(user) -> bool:
    return can_manage(user) or is_trainer(user) or is_funder_auditor(user)


def _scope(user, campaigns, sessions) -> ResultsScope:
    manager = can_manage(user)
    return ResultsScope(
        campaigns=campaigns.filter(cancelled_at__isnull=True),
        sessions=sessions,
        show_non_respondents=manager,
        show_hidden_comments=manager,
        show_names=manager or is_trainer(user),
        mask_small=not manager,
    )


def session_results_scope(*, user, session_pk: int) -> tuple[TrainingSession, ResultsScope] | None:
    """The session (if the user may see its results) and its campaigns: those of the
    session, and the formation-wide ones, restricted to the answers about this session."""
    if not _may_see_results(user):
        return None
    session = (
        sessions_visible_to(user=user).select_related("formation").filter(pk=session_pk).first()
    )
    if session is None:
        return None
    return session, session_scope(user=user, session=session)


def session_scope(*, user, session: TrainingSession) -> ResultsScope | None:
    """As `session_results_scope`, for a session already read through
    `sessions_visible_to(user=user)` (the session page's panel): no query."""
    if not _may_see_results(user):
        return None
    campaigns = Campaign.objects.filter(
        Q(session=session) | Q(session__isnull=True, formation_id=session.formation_id)
    )
    return _scope(user, campaigns, TrainingSession.objects.filter(pk=session.pk))


def formation_results_scope(*, user, formation_pk: int) -> tuple[Formation, ResultsScope] | None:
    """The formation (if the user may see its results) and its campaigns; a trainer's are
    those of their sessions and the formation-wide ones, restricted to their sessions."""
    if not _may_see_results(user):
        return None
    formation = formations_visible_to(user=user).filter(pk=formation_pk).first()
    if formation is None:
        return None
    return formation, formation_scope(user=user, formation=formation)


def formation_scope(*, user, formation: Formation) -> ResultsScope | None:
    """As `formation_results_scope`, for a formation already read through
    `formations_visible_to(user=user)` (the formation page's panel): no query."""
    if not _may_see_results(user):
        return None
    campaigns = Campaign.objects.filter(formation=formation)
    sessions = None
    if not can_manage(user) and is_trainer(user):
        sessions = sessions_visible_to(user=user).filter(formation=formation)
        campaigns = campaigns.filter(Q(session__isnull=True) | Q(session__in=sessions))
    return _scope(user, campaigns, sessions)
