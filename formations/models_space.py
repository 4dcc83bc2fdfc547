"""One-time sign-in links of the participant's own space (`formations.space`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SpaceSignInLink(models.Model):
    """One sign-in link sent to a participant. The link carries a random nonce signed with
    the secret key; the row keeps only the nonce's SHA-256 (a copy of the database opens
    nobody's space), when it expires, and when it was used: `used_at` is set once, in
    the transaction that signs in, so the link works once."""

    participant = models.ForeignKey(
        "formations.Participant",
        verbose_name=_("participant·e"),
        on_delete=models.CASCADE,
        related_name="space_links",
    )
    nonce_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("canal"), max_length=10)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien de connexion à l'espace")
        verbose_name_plural = _("liens de connexion à l'espace")
        indexes = [models.Index(fields=["participant", "used_at"])]

    def __str__(self):
        return f"{self.participant_id} — {self.created_at:%Y-%m-%d %H:%M}"


class SpaceLinkRequest(models.Model):
    """What someone typed on the space's sign-in page, between the request and the task
    that looks it up (`formations.tasks.send_space_links`). The task gets only this row's
    id, reads the row and deletes it in one transaction: the task queue's rows, kept until
    they are pruned, never hold the address, which may be anyone's. A row no task has taken
    (worker down) is deleted by `run_periodic` once a link would have expired
    (`formations.space.space_link_requests_prune`)."""

    address = models.TextField(_("adresse tapée"))
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("demande de lien de connexion en attente")
        verbose_name_plural = _("demandes de lien de connexion en attente")

    def __str__(self):
        return f"{self.pk} — {self.created_at:%Y-%m-%d %H:%M}"
