"""What the coordinator sends the funder and what comes back: each claim of service fait
(« demande de paiement » over a period, with its amount) and each payment received. The
formation page sums them: claimed, paid, still due (`livrables.service_fait`).

Amounts are stored both HT and TTC, as the claim was sent: a later change of the
formation's VAT rate never rewrites what was claimed.

Both are money records: a claim or a payment recorded by mistake is **cancelled**, never
deleted (the row stays, with who cancelled it, when and why); a cancelled one counts in
no total and in no overlap check (`ACTIVE`)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# The claims and payments that count: those not cancelled.
ACTIVE = Q(cancelled_at__isnull=True)


class Cancellable(models.Model):
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("annulé par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancellation_reason = models.TextField(_("motif de l'annulation"), blank=True)
    # Set by every correction and by the cancellation: an état de service fait issued
    # before it printed the old figures (`livrables.selectors._outdated`).
    updated_at = models.DateTimeField(_("corrigé le"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class ServiceFaitClaim(Cancellable):
    formation = models.ForeignKey(
        "formations.Formation",
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="service_fait_claims",
    )
    period_start = models.DateField(_("période du"))
    period_end = models.DateField(_("période au"))
    amount_ht = models.DecimalField(_("montant HT (€)"), max_digits=12, decimal_places=2)
    amount_ttc = models.DecimalField(_("montant TTC (€)"), max_digits=12, decimal_places=2)
    sent_on = models.DateField(_("envoyée le"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistrée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("demande de paiement (service fait)")
        verbose_name_plural = _("demandes de paiement (service fait)")
        ordering = ["period_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="claim_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(amount_ht__gte=0) & Q(amount_ttc__gte=F("amount_ht")),
                name="claim_amounts_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.formation_id} {self.period_start}–{self.period_end}"


class Payment(Cancellable):
    formation = models.ForeignKey(
        "formations.Formation",
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    claim = models.ForeignKey(
        ServiceFaitClaim,
        verbose_name=_("demande réglée"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    received_on = models.DateField(_("reçu le"))
    amount = models.DecimalField(_("montant reçu (€)"), max_digits=12, decimal_places=2)
    funder = models.ForeignKey(
        "formations.Funder",
        verbose_name=_("financeur"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistré par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)

    class Meta:
        verbose_name = _("paiement reçu")
        verbose_name_plural = _("paiements reçus")
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.formation_id} {self.received_on} {self.amount}"
