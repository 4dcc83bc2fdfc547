"""What the coordinator writes on a synthesis before it is issued: the free conclusion of
one questionnaire's results in a formation (or one of its sessions) over a period. The
synthesis itself (the PDF) is an issued document of `livrables`; this row only keeps the
text from one visit of the page to the next, and its last author."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from formations.models import Formation
from sessions.models import TrainingSession


class SynthesisDraft(models.Model):
    formation = models.ForeignKey(
        Formation,
        verbose_name=_("formation"),
        on_delete=models.CASCADE,
        related_name="synthesis_drafts",
    )
    questionnaire = models.ForeignKey(
        "evaluations.Questionnaire",
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="synthesis_drafts",
    )
    # Empty: every session of the formation.
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="synthesis_drafts",
    )
    # Campaigns opened within these dates (both included); empty: no bound.
    period_from = models.DateField(_("du"), null=True, blank=True)
    period_to = models.DateField(_("au"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True, max_length=10_000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("conclusion de synthèse")
        verbose_name_plural = _("conclusions de synthèse")
        ordering = ["formation", "questionnaire", "pk"]
        # One row per (formation, questionnaire, session, period): kept by the service,
        # which writes under a lock of the formation (the empty session and period bounds
        # are NULLs, which a unique constraint would not compare on every database).
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from__isnull=True)
                | Q(period_to__isnull=True)
                | Q(period_from__lte=F("period_to")),
                name="synthesis_draft_period_order",
            ),
        ]

    def __str__(self):
        return f"{self.questionnaire} — {self.formation}"
