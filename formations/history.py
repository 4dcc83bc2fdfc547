"""The history of an object: the audit entries that concern it, shown on its page as pretix
shows an order's log (who did what, when, from where).

Reads only (selectors and their display). An entry concerns an object when it was written
on the object itself (`object_type` + `object_id`, see `formations.audit`) or on one of its
parts, which each app declares for the objects of the apps below it: `sessions` says which
half-days, attendances, seals, rectifications and scans make up a session, which
attendances are a participant's, which sessions a formation's (`register_source`, called
from its `AppConfig.ready()`: formations never imports sessions). A source returns `Q`s
on `AuditEntry`, scoped through the selectors for the user: an auditor sees on a
participant's page the attendances of the sessions they audit, not the others.

Each `Q` is a branch that an index serves: entries written on some objects of one type
(`on_object`, `on_objects`: the journal's (object_type, object_id) index) or entries naming
an object (`mentioning`: `AuditMention`'s index), narrowed by anything else. The branches
are read as one `UNION ALL`, sorted and cut by the database, so a history costs what the
object's own entries cost, not what the whole journal holds (`bench/history.py`); an `OR`
of the same conditions would read the whole journal. Branches must not overlap (an entry
in two would show twice): they differ by object type or by action.

Only coordinators and funder auditors see histories (`can_see_history`); trainers,
referents and participants do not. Every list is one query (plus one count), whatever the
number of entries or parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from formations.french import user_name
from formations.models import AuditEntry, AuditMention, Participant
from formations.permissions import can_manage, can_see_contact_details, is_funder_auditor
from formations.tabular import strip_accents

# Shown on the object's page; the rest on its history page, PER_PAGE at a time.
SHOWN = 10
PER_PAGE = 50

Source = Callable[[models.Model, object], Iterable[Q]]
SOURCES: dict[str, list[Source]] = {}


def register_source(model_label: str, source: Source) -> None:
    """`source(obj, user) -> [Q, ...]` adds the entries of an object's parts to the history
    of the objects of `model_label` ("formations.participant"): one `Q` per branch, each
    served by an index (see the module's docstring). Idempotent."""
    sources = SOURCES.setdefault(model_label, [])
    if source not in sources:
        sources.append(source)


def can_see_history(user) -> bool:
    """Coordinators and funder auditors (read-only: checking who did what is their job)."""
    return can_manage(user) or is_funder_auditor(user)


# --- Building the query ------------------------------------------------------------------


def on_object(obj: models.Model) -> Q:
    return Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))


def on_objects(model: type[models.Model], queryset: QuerySet) -> Q:
    """Entries written on any object of `queryset` (of `model`). An `IN` over the primary
    keys cast to text, so that the journal's (object_type, object_id) index serves it."""
    ids = queryset.order_by().annotate(audit_id=Cast("pk", CharField())).values("audit_id")
    return Q(object_type=model._meta.label_lower, object_id__in=ids)


def mentioning(obj: models.Model) -> Q:
    """Entries that name `obj` without being written on it (`log_action(mentions=...)`):
    the people of an enrolment written on the session, of an import written on nothing."""
    entries = AuditMention.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).values("entry_id")
    return Q(pk__in=entries)


# Entries about how to reach a person: left out for whoever may not see contact details
# (auditors), like the consents on the participant's page.
CONTACT_ACTIONS = (
    "consent_given",
    "consent_withdrawn",
    "space.link_requested",
    "space.contact_updated",
)


# Entries about a person's follow-up by structures (Alertes): coordinators only. A merged
# member's record carries the entries of every structure that follows them; an auditor
# checking a programme has no use for them, and a structure must not learn of the others.
MEMBER_ACTIONS = (
    "member_registered",
    "member_updated",
    "member_ended",
    "member_resumed",
    "members_merged",
    "members_imported",
)


def history_entries(*, obj: models.Model, user) -> QuerySet[AuditEntry]:
    """The audit entries that concern `obj`, newest first, with their authors; none for a
    user who may not see histories. `obj` must come from a scoped selector (the page's).
    One `UNION ALL` of indexed branches: slice it and count it, do not filter it."""
    if not can_see_history(user):
        return AuditEntry.objects.none()
    branches = [on_object(obj)]
    for source in SOURCES.get(obj._meta.label_lower, []):
        branches.extend(source(obj, user))
    parts = []
    for branch in branches:
        part = AuditEntry.objects.filter(branch)
        if not can_see_contact_details(user):
            part = part.exclude(action__in=CONTACT_ACTIONS)
        if not can_manage(user):
            part = part.exclude(action__in=MEMBER_ACTIONS)
        parts.append(part.select_related("actor").order_by())
    return parts[0].union(*parts[1:], all=True).order_by("-at", "-pk")


# --- The formations app's own sources --------------------------------------------------------


def _participant_imported(participant: Participant, user) -> list[Q]:
    # The import that created the person: written on no object, it names them.
    return [Q(action="participants_imported") & mentioning(participant)]


register_source("formations.participant", _participant_imported)


# --- Display ----------------------------------------------------------------------------------

ACTION_LABELS = {
    # formations
    "funder_created": gettext_lazy("Financeur créé"),
    "funder_updated": gettext_lazy("Financeur modifié"),
    "programme_created": gettext_lazy("Programme créé"),
    "programme_updated": gettext_lazy("Programme modifié"),
    "formation_created": gettext_lazy("Formation créée"),
    "formation_updated": gettext_lazy("Formation modifiée"),
    "structure_created": gettext_lazy("Structure créée"),
    "structure_updated": gettext_lazy("Structure modifiée"),
    "participant_created": gettext_lazy("Fiche créée"),
    "participant_updated": gettext_lazy("Fiche modifiée"),
    "participants_imported": gettext_lazy("Import de participant·es"),
    "calendar.token_regenerated": gettext_lazy("Nouveau lien d'agenda"),
    "consent_given": gettext_lazy("Accord de contact enregistré"),
    "consent_withdrawn": gettext_lazy("Accord de contact retiré"),
    "space.link_requested": gettext_lazy("Lien de connexion demandé"),
    "space.signed_in": gettext_lazy("Connexion à son espace"),
    "space.signed_out": gettext_lazy("Déconnexion de son espace"),
    "space.contact_updated": gettext_lazy("Coordonnées corrigées par la personne"),
    # sessions
    "session.create": gettext_lazy("Session créée"),
    "session.update": gettext_lazy("Session modifiée"),
    "session.shared_devices_allowed": gettext_lazy("Téléphones partagés"),
    "audit_risk.acknowledge": gettext_lazy("Risque d'audit expliqué"),
    "enrolment.create": gettext_lazy("Inscription"),
    "enrolment.delete": gettext_lazy("Désinscription"),
    "enrolment.convocations_sent": gettext_lazy("Convocations envoyées"),
    "slot.remote_links_sent": gettext_lazy("Liens à distance envoyés"),
    "slot.countersign": gettext_lazy("Contre-signature"),
    "slot.close": gettext_lazy("Clôture et scellement"),
    "attendance.sign": gettext_lazy("Émargement"),
    "attendance.mark": gettext_lazy("Statut relevé"),
    "attendance.key_in": gettext_lazy("Saisie depuis la feuille papier"),
    "attendance.rectify": gettext_lazy("Rectification"),
    "paper_scan.upload": gettext_lazy("Scan de feuille papier déposé"),
    "paper_sheet.key_in": gettext_lazy("Feuille papier saisie"),
    "tablet.locked": gettext_lazy("Mode tablette verrouillé"),
    "tablet.unlock_paused": gettext_lazy("Mode tablette : pause imposée"),
    "tablet.unlocked": gettext_lazy("Mode tablette quitté"),
    # livrables
    "livrables.sheet_issued": gettext_lazy("Feuille d'émargement émise"),
    "livrables.sheet_extract_issued": gettext_lazy("Extrait de feuille émis"),
    "livrables.sheet_previewed": gettext_lazy("Aperçu provisoire de la feuille"),
    "livrables.sheet_extract_previewed": gettext_lazy("Aperçu provisoire d'un extrait"),
    "livrables.blank_sheet_printed": gettext_lazy("Feuille vierge imprimée"),
    "livrables.document_revoked": gettext_lazy("Document révoqué"),
    "livrables.certificate_issued": gettext_lazy("Certificat de réalisation émis"),
    "livrables.attestation_issued": gettext_lazy("Attestation d'assiduité émise"),
    "livrables.structure_certificate_issued": gettext_lazy(
        "Certificat d'assiduité de la structure émis"
    ),
    "livrables.certificates_bulk_started": gettext_lazy("Émission groupée des certificats lancée"),
    "livrables.audit_pack_started": gettext_lazy("Constitution du dossier de justificatifs lancée"),
    "livrables.audit_pack_built": gettext_lazy("Dossier de justificatifs constitué"),
    "livrables.mission_created": gettext_lazy("Mission ajoutée"),
    "livrables.mission_updated": gettext_lazy("Mission modifiée"),
    "livrables.mission_deleted": gettext_lazy("Mission supprimée"),
    "livrables.expense_created": gettext_lazy("Dépense (frais engagés) ajoutée"),
    "livrables.expense_updated": gettext_lazy("Dépense (frais engagés) modifiée"),
    "livrables.expense_deleted": gettext_lazy("Dépense (frais engagés) supprimée"),
    "livrables.service_fait_issued": gettext_lazy("État de service fait émis"),
    "livrables.service_fait_claimed": gettext_lazy("Demande de paiement enregistrée"),
    "livrables.service_fait_claim_updated": gettext_lazy("Demande de paiement corrigée"),
    "livrables.service_fait_claim_cancelled": gettext_lazy("Demande de paiement annulée"),
    "livrables.payment_recorded": gettext_lazy("Paiement reçu enregistré"),
    "livrables.payment_updated": gettext_lazy("Paiement reçu corrigé"),
    "livrables.payment_cancelled": gettext_lazy("Paiement reçu annulé"),
    "livrables.deliverable_created": gettext_lazy("Livrable attendu défini"),
    "livrables.deliverable_updated": gettext_lazy("Livrable attendu modifié"),
    "livrables.deliverable_deleted": gettext_lazy("Livrable attendu supprimé"),
    "livrables.deliverable_regenerated": gettext_lazy("Échéances de livrable recalculées"),
    "livrables.deliverable_version_submitted": gettext_lazy("Version de livrable soumise"),
    "livrables.deliverable_validated": gettext_lazy("Livrable validé par le financeur"),
    "livrables.deliverable_to_rework": gettext_lazy("Livrable à reprendre selon le financeur"),
    "livrables.deliverable_diffused": gettext_lazy("Livrable diffusé"),
    "livrables.deliverable_reminder_sent": gettext_lazy("Rappel d'échéance de livrable"),
    # Evaluation syntheses
    "livrables.synthesis_issued": gettext_lazy("Synthèse d'évaluation émise"),
    # Projects of the structures (fiches, follow-up, intersession work, journal)
    "projects.fiche_edit": gettext_lazy("Fiche projet modifiée"),
    "projects.theme_add": gettext_lazy("Thématique ajoutée"),
    "projects.theme_rename": gettext_lazy("Thématique renommée"),
    "projects.theme_move": gettext_lazy("Thématique déplacée"),
    "projects.theme_delete": gettext_lazy("Thématique supprimée"),
    "projects.follow_up.added": gettext_lazy("Entrée du suivi ajoutée"),
    "projects.follow_up.changed": gettext_lazy("Entrée du suivi modifiée"),
    "projects.follow_up.deleted": gettext_lazy("Entrée du suivi supprimée"),
    "projects.follow_up.answered": gettext_lazy("Réponse apportée à une question du suivi"),
    "projects.follow_up.reminder_sent": gettext_lazy("Relance envoyée aux structures"),
    "projects.task_created": gettext_lazy("Travail d'intersession demandé"),
    "projects.task_updated": gettext_lazy("Travail d'intersession modifié"),
    "projects.task_deleted": gettext_lazy("Travail d'intersession supprimé"),
    "projects.task_done": gettext_lazy("Travail d'intersession fait"),
    "projects.task_reopened": gettext_lazy("Travail d'intersession rouvert"),
    "projects.task_reminder_sent": gettext_lazy("Rappel de travail d'intersession envoyé"),
    "projects.journal_written": gettext_lazy("Entrée du journal de bord écrite"),
    "projects.journal_shared": gettext_lazy("Entrée du journal de bord partagée"),
    "projects.journal_unshared": gettext_lazy("Entrée du journal de bord retirée du partage"),
    "livrables.fiche_issued": gettext_lazy("Fiche projet émise"),
    "livrables.structure_fiche_issued": gettext_lazy("Fiche individuelle de la structure émise"),
    "livrables.booklet_issued": gettext_lazy("Livret des projets émis"),
    "livrables.fiches_bulk_started": gettext_lazy(
        "Émission des fiches de toutes les structures lancée"
    ),
    "livrables.synthesis_sent": gettext_lazy("Synthèse d'évaluation envoyée au financeur"),
    "evaluations.comment_hidden": gettext_lazy("Commentaire masqué dans la copie du financeur"),
    "evaluations.comment_shown": gettext_lazy("Commentaire rétabli dans la copie du financeur"),
    "evaluations.synthesis_conclusion_saved": gettext_lazy(
        "Conclusion de synthèse d'évaluation enregistrée"
    ),
}

_CODE = re.compile(r"^[a-z_.]+$")


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    if label is not None:
        return str(label)
    # An action without a label yet (another app's): its code, readable enough.
    return action.replace("_", " ").replace(".", " : ") if _CODE.match(action) else action


def _first_word(text: str) -> str:
    words = strip_accents(str(text)).casefold().split()
    return words[0] if words else ""


def _label_if_needed(label: str, summary: str) -> str:
    """The action's label, or "" when the summary already starts with its word (« Session
    LABO-1 modifiée » needs no « Session modifiée : » before it)."""
    return "" if summary and _first_word(summary) == _first_word(label) else label


@dataclass(frozen=True)
class HistoryLine:
    at: object  # aware datetime
    who: str
    what: str  # the action's label; "" when the summary says it
    summary: str
    ip: str
    signed_in: bool


def history_lines(entries) -> list[HistoryLine]:
    """Entries as lines to show. An entry without an author was written by someone signing
    without an account (a QR code, a personal link: the address tells), by the person in
    their own space (`data["by_participant"]`) or by the server (a command, a background
    task: no address)."""
    lines = []
    for entry in entries:
        ip = entry.ip_address or str((entry.data or {}).get("ip") or "")
        if entry.actor is not None:
            who = user_name(entry.actor)
        elif (entry.data or {}).get("by_participant"):
            # An act of the person in their own space (contact details, journal sharing).
            who = _("La personne, dans son espace")
        elif ip:
            who = _("Sans compte (lien ou QR code)")
        else:
            who = _("Le serveur (commande ou tâche automatique)")
        lines.append(
            HistoryLine(
                at=entry.at,
                who=who,
                what=_label_if_needed(action_label(entry.action), entry.summary),
                summary=entry.summary,
                ip=ip,
                signed_in=entry.actor is not None,
            )
        )
    return lines


@dataclass(frozen=True)
class HistorySummary:
    lines: list[HistoryLine]
    total: int
    full_url: str

    @property
    def more(self) -> bool:
        return self.total > len(self.lines)


def history_summary(*, obj: models.Model, user, full_url: str) -> HistorySummary | None:
    """The latest `SHOWN` entries of `obj` and how many there are (two queries), or None
    for a user who may not see histories."""
    if not can_see_history(user):
        return None
    entries = history_entries(obj=obj, user=user)
    latest = list(entries[: SHOWN + 1])
    total = len(latest) if len(latest) <= SHOWN else entries.count()
    return HistorySummary(history_lines(latest[:SHOWN]), total, full_url)
