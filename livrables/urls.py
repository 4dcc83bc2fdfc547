from django.urls import path

from livrables import (
    views,
    views_bulk,
    views_deliverables,
    views_expenses,
    views_fiches,
    views_pack,
    views_service_fait,
    views_synthesis,
)

app_name = "livrables"

urlpatterns = [
    path("sessions/<int:pk>/feuille-emargement.pdf", views.session_sheet, name="session_sheet"),
    path(
        "sessions/<int:pk>/feuille-emargement/emettre/",
        views.session_sheet_issue,
        name="session_sheet_issue",
    ),
    path(
        "sessions/<int:pk>/extrait-emargement.pdf",
        views.session_sheet_extract,
        name="session_sheet_extract",
    ),
    path(
        "sessions/<int:pk>/extrait-emargement/emettre/",
        views.session_sheet_extract_issue,
        name="session_sheet_extract_issue",
    ),
    path(
        "sessions/<int:pk>/feuille-vierge.pdf",
        views.session_blank_sheet,
        name="session_blank_sheet",
    ),
    path(
        "participants/<int:pk>/formations/<int:formation_pk>/<slug:kind>/emettre/",
        views.certificate_issue,
        name="certificate_issue",
    ),
    path(
        "structures/<int:pk>/formations/<int:formation_pk>/certificat-d-assiduite/emettre/",
        views.structure_certificate_issue,
        name="structure_certificate_issue",
    ),
    # Bulk issuing of certificates, and the ZIP of the standing ones.
    path(
        "formations/<int:pk>/certificats/emettre/",
        views_bulk.formation_certificates_bulk,
        name="formation_certificates_bulk",
    ),
    path(
        "formations/<int:pk>/certificats.zip",
        views_bulk.formation_certificates_zip,
        name="formation_certificates_zip",
    ),
    path(
        "sessions/<int:pk>/certificats/emettre/",
        views_bulk.session_certificates_bulk,
        name="session_certificates_bulk",
    ),
    path(
        "sessions/<int:pk>/certificats.zip",
        views_bulk.session_certificates_zip,
        name="session_certificates_zip",
    ),
    # Expenses (frais engagés) of a formation, and their follow-up file.
    path("formations/<int:pk>/frais/", views_expenses.expense_list, name="expense_list"),
    path("formations/<int:pk>/frais/ajouter/", views_expenses.expense_add, name="expense_add"),
    path(
        "formations/<int:pk>/frais/<int:number>/modifier/",
        views_expenses.expense_edit,
        name="expense_edit",
    ),
    path(
        "formations/<int:pk>/frais/<int:number>/supprimer/",
        views_expenses.expense_remove,
        name="expense_remove",
    ),
    path(
        "formations/<int:pk>/frais/<int:number>/justificatif/",
        views_expenses.expense_receipt,
        name="expense_receipt",
    ),
    path(
        "formations/<int:pk>/frais/suivi-des-depenses.xlsx",
        views_expenses.expense_export,
        name="expense_export",
    ),
    path(
        "formations/<int:pk>/missions/ajouter/",
        views_expenses.mission_add,
        name="mission_add",
    ),
    path(
        "formations/<int:pk>/missions/<int:mission_pk>/modifier/",
        views_expenses.mission_edit,
        name="mission_edit",
    ),
    path(
        "formations/<int:pk>/missions/<int:mission_pk>/supprimer/",
        views_expenses.mission_remove,
        name="mission_remove",
    ),
    # Expected deliverables (livrables attendus) of a formation.
    path(
        "formations/<int:pk>/livrables-attendus/",
        views_deliverables.deliverable_list,
        name="deliverable_list",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/ajouter/",
        views_deliverables.deliverable_add,
        name="deliverable_add",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/<int:deliverable_pk>/modifier/",
        views_deliverables.deliverable_edit,
        name="deliverable_edit",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/<int:deliverable_pk>/recalculer/",
        views_deliverables.deliverable_regenerate_view,
        name="deliverable_regenerate",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/<int:deliverable_pk>/supprimer/",
        views_deliverables.deliverable_remove,
        name="deliverable_remove",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/echeances/<int:due_pk>/deposer/",
        views_deliverables.version_add,
        name="deliverable_version_add",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/versions/<int:version_pk>/fichier/",
        views_deliverables.version_file,
        name="deliverable_version_file",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/versions/<int:version_pk>/decision/",
        views_deliverables.version_decide_view,
        name="deliverable_version_decide",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/versions/<int:version_pk>/message-du-financeur/",
        views_deliverables.version_message,
        name="deliverable_version_message",
    ),
    path(
        "formations/<int:pk>/livrables-attendus/versions/<int:version_pk>/diffuser/",
        views_deliverables.version_diffuse_view,
        name="deliverable_version_diffuse",
    ),
    # Service fait of a formation: the statement as XLSX, issued as PDF; claims, payments.
    path(
        "formations/<int:pk>/service-fait.xlsx",
        views_service_fait.service_fait_xlsx,
        name="service_fait_xlsx",
    ),
    path(
        "formations/<int:pk>/service-fait/emettre/",
        views_service_fait.service_fait_issue,
        name="service_fait_issue",
    ),
    path(
        "formations/<int:pk>/service-fait/demandes/",
        views_service_fait.service_fait_claim,
        name="service_fait_claim",
    ),
    path(
        "formations/<int:pk>/service-fait/paiements/",
        views_service_fait.service_fait_payment,
        name="service_fait_payment",
    ),
    path(
        "formations/<int:pk>/service-fait/demandes/<int:claim_pk>/corriger/",
        views_service_fait.service_fait_claim_edit,
        name="service_fait_claim_edit",
    ),
    path(
        "formations/<int:pk>/service-fait/demandes/<int:claim_pk>/annuler/",
        views_service_fait.service_fait_claim_cancel,
        name="service_fait_claim_cancel",
    ),
    path(
        "formations/<int:pk>/service-fait/paiements/<int:payment_pk>/corriger/",
        views_service_fait.service_fait_payment_edit,
        name="service_fait_payment_edit",
    ),
    path(
        "formations/<int:pk>/service-fait/paiements/<int:payment_pk>/annuler/",
        views_service_fait.service_fait_payment_cancel,
        name="service_fait_payment_cancel",
    ),
    # The audit pack (dossier de justificatifs) of a formation: built in the background,
    # then downloaded as registered.
    path(
        "formations/<int:pk>/dossier-justificatifs/constituer/",
        views_pack.audit_pack_build,
        name="audit_pack_build",
    ),
    path(
        "formations/<int:pk>/dossier-justificatifs.zip",
        views_pack.audit_pack_download,
        name="audit_pack_download",
    ),
    path("documents/<str:number>.pdf", views.document_download, name="document_download"),
    # The participant's own space (signed in by a one-time link, not a staff login).
    path("mon-espace/documents/<str:number>.pdf", views.space_document, name="space_document"),
    path("documents/<str:number>/revoquer/", views.document_revoke, name="document_revoke"),
    # Public: the address printed (and QR-coded) on every issued document is
    # `livrables.data.verification_url()`, which points here unless SUIVI_VERIFICATION_URL
    # names another public address (a proxy in front of this route).
    path("verifier/", views.verify_lookup, name="verify_lookup"),
    path("verifier/<str:number>/", views.verify_document, name="verify_document"),
    # Evaluation syntheses (coordinators).
    path(
        "formations/<int:pk>/synthese-evaluation/",
        views_synthesis.synthesis_page,
        name="synthesis",
    ),
    path(
        "documents/<str:number>/envoyer-au-financeur/",
        views_synthesis.synthesis_send,
        name="synthesis_send",
    ),
    # The fiches of a programme's structures (issue 11), the livret, the ZIP of the fiches.
    path(
        "programmes/<int:programme>/fiches/<int:structure>/<slug:kind>/emettre/",
        views_fiches.fiche_issue,
        name="fiche_issue",
    ),
    path(
        "programmes/<int:programme>/livret/emettre/",
        views_fiches.booklet_issue,
        name="booklet_issue",
    ),
    path(
        "programmes/<int:programme>/fiches/emettre/",
        views_fiches.fiches_bulk,
        name="fiches_bulk",
    ),
    path("programmes/<int:programme>/fiches.zip", views_fiches.fiches_zip, name="fiches_zip"),
]
