"""What livrables gives Alertes: the PDF of the notice d'utilisation (alertes never
imports livrables; it calls the renderer registered here)."""


def register() -> None:
    from alertes.notice import register_pdf_renderer
    from livrables.pdf.alertes_notice import render_notice

    register_pdf_renderer(render_notice)
