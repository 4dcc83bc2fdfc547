from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivrablesConfig(AppConfig):
    name = "livrables"
    verbose_name = _("Livrables et justificatifs")

    def ready(self):
        # The documents of a session on its page: sessions never imports livrables.
        from formations import panels as registry
        from livrables import panels
        from livrables.audit_risks import rectified_after_certificate
        from livrables.pack import sections  # noqa: F401 (registers the pack's sections)
        from sessions.selectors.audit_risks import EXTRA_DETECTORS

        panels.register(registry)
        # Rectifications after a certificate: only livrables knows the certificates.
        if rectified_after_certificate not in EXTRA_DETECTORS:
            EXTRA_DETECTORS.append(rectified_after_certificate)
