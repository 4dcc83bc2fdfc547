"""The projects of the structures of a programme and their follow-up (seed 003: « fiche
projet », « feuille de route », « fiche de suivi de l'activité par CCAS »; seed 000:
« journal de bord professionnel »).

The contract between the pages:

* A **fiche projet** (`ProjectFiche`) exists once per (programme, structure) of the
  programme's partner structures. It is created on its first edit (`services.fiche_for`);
  before that, the page shows an empty fiche. It holds the data sheet (« fiche de
  données »), the two themes (chosen from the programme's `Theme` list), the lessons
  learned, and, in child rows, the two projects (`Project`, experimented and proposed), the
  team (`TeamMember`) and the road map (`RoadmapAxis` → `RoadmapAction`, ordered by
  `position`: position 1 is the first priority).
* **Every edit** of any of those, through `services.fiche_edit`, ends with one
  `FicheRevision`: its number, its author, the part edited, the fields that changed
  (label, before, after) and the full state after the edit (`snapshot`), so an earlier
  state can be shown as it was. `ProjectFiche.revision` is the number of the last one
  (0: never edited); a form posts the number it was drawn from and an edit made on an
  older state is refused instead of overwriting a colleague's.
* **The team rule**: agents of the structure (`TeamMember.Kind.AGENT`) count toward the
  contract's « 1 to 3 per CCAS » (`rules.team_limits`); elected members and partners do
  not. The project referent is one of the agents, a person of the team, not an account.
* The **follow-up log** of a structure is its `FollowUpEntry` rows (written by people), the
  participation read from the sealed émargements (`selectors_participation`) and the
  outbox messages queued about its entries or its intersession tasks in that programme
  (`OutboxMessage.about_type` / `about_id`), merged at read time.
* An **intersession task** (`IntersessionTask`) is one structure's: a task set for several
  structures at once is one row each, sharing a `batch`. The referent marks it done and may
  attach a document (private storage). `reminded_at` records the one reminder sent before
  the due date.
* A **journal entry** (`JournalEntry`) belongs to one participant and one programme whose
  `logbook_enabled` is set; only its author reads it, and the programme's trainers read
  it once the author shares it (`shared_at`). Coordinators do not.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.storage import documents_storage

TASK_DOCUMENTS_FOLDER = "intersession"


class Theme(models.Model):
    """One theme of a programme's list (« accès aux droits », « inclusion numérique »…)."""

    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="project_themes",
    )
    label = models.CharField(_("thématique"), max_length=150)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("thématique")
        verbose_name_plural = _("thématiques")
        ordering = ["programme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                "programme", Lower("label"), name="projects_theme_label_unique_ci"
            ),
        ]

    def __str__(self):
        return self.label


class ProjectFiche(models.Model):
    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="project_fiches",
    )
    structure = models.ForeignKey(
        "formations.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="project_fiches",
    )
    # Fiche de données.
    territory = models.CharField(_("territoire"), max_length=200, blank=True)
    staff_size = models.PositiveIntegerField(
        _("taille de l'équipe de la structure"),
        null=True,
        blank=True,
        help_text=_("Nombre d'agents de la structure."),
    )
    public_served = models.TextField(_("public accueilli"), blank=True)
    partners = models.TextField(_("partenaires"), blank=True)
    priority_theme = models.ForeignKey(
        Theme,
        verbose_name=_("thématique prioritaire"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    secondary_theme = models.ForeignKey(
        Theme,
        verbose_name=_("thématique secondaire"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lessons_learned = models.TextField(_("enseignements"), blank=True)
    revision = models.PositiveIntegerField(_("version"), default=0)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("fiche projet")
        verbose_name_plural = _("fiches projet")
        ordering = ["programme", "structure__sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "structure"], name="projects_fiche_unique"
            ),
            models.CheckConstraint(
                condition=Q(priority_theme__isnull=True)
                | Q(secondary_theme__isnull=True)
                | ~Q(priority_theme=F("secondary_theme")),
                name="projects_fiche_themes_differ",
                violation_error_message=_(
                    "La thématique secondaire doit différer de la thématique prioritaire."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.structure} — {self.programme}"


class ProjectStage(models.TextChoices):
    IDEA = "idea", _("Idée")
    PROTOTYPE = "prototype", _("Prototype")
    EXPERIMENTED = "experimented", _("Expérimenté")
    DEPLOYED = "deployed", _("Déployé")


class Project(models.Model):
    class Kind(models.TextChoices):
        EXPERIMENTED = "experimented", _("Projet expérimenté")
        PROPOSED = "proposed", _("Projet proposé")

    fiche = models.ForeignKey(
        ProjectFiche, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="projects"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=255, blank=True)
    problem = models.TextField(_("problème traité"), blank=True)
    public = models.TextField(_("public"), blank=True)
    partners = models.TextField(_("partenaires"), blank=True)
    means = models.TextField(_("moyens"), blank=True)
    stage = models.CharField(
        _("stade"), max_length=20, choices=ProjectStage.choices, default=ProjectStage.IDEA
    )

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["fiche", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["fiche", "kind"], name="projects_project_unique"),
        ]

    def __str__(self):
        return self.title or self.get_kind_display()


class TeamMember(models.Model):
    class Kind(models.TextChoices):
        AGENT = "agent", _("Agent de la structure")
        ELECTED = "elected", _("Élu·e")
        PARTNER = "partner", _("Partenaire")

    fiche = models.ForeignKey(
        ProjectFiche, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="team"
    )
    kind = models.CharField(_("qualité"), max_length=10, choices=Kind.choices)
    # An agent is usually one of the structure's participants; a name typed by hand serves
    # for anyone else (an elected member, a partner, an agent not yet registered).
    participant = models.ForeignKey(
        "formations.Participant",
        verbose_name=_("participant·e"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_teams",
    )
    full_name = models.CharField(_("nom et prénom"), max_length=250)
    role = models.CharField(
        _("fonction ou organisme"),
        max_length=250,
        blank=True,
        help_text=_("Ex. : directrice du CCAS, adjoint aux affaires sociales, association X."),
    )
    is_referent = models.BooleanField(_("référent·e du projet"), default=False)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("membre de l'équipe projet")
        verbose_name_plural = _("équipe projet")
        ordering = ["fiche", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiche"],
                condition=Q(is_referent=True),
                name="projects_team_one_referent",
                violation_error_message=_("L'équipe projet a déjà un·e référent·e."),
            ),
            models.UniqueConstraint(
                fields=["fiche", "participant"],
                condition=Q(participant__isnull=False),
                name="projects_team_person_once",
                violation_error_message=_("Cette personne fait déjà partie de l'équipe."),
            ),
            models.CheckConstraint(
                condition=Q(is_referent=False) | Q(kind="agent"),
                name="projects_team_referent_is_agent",
                violation_error_message=_(
                    "Le ou la référent·e du projet est un agent de la structure."
                ),
            ),
        ]

    def __str__(self):
        return self.full_name


class RoadmapAxis(models.Model):
    """A work axis of the road map; `position` 1 is the first priority."""

    fiche = models.ForeignKey(
        ProjectFiche, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="axes"
    )
    position = models.PositiveSmallIntegerField(_("priorité"))
    title = models.CharField(_("axe de travail"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("axe de la feuille de route")
        verbose_name_plural = _("feuille de route")
        ordering = ["fiche", "position", "pk"]

    def __str__(self):
        return self.title


class ActionStatus(models.TextChoices):
    TODO = "todo", _("À faire")
    IN_PROGRESS = "in_progress", _("En cours")
    DONE = "done", _("Faite")  # une action
    DROPPED = "dropped", _("Abandonnée")


class RoadmapAction(models.Model):
    axis = models.ForeignKey(
        RoadmapAxis, verbose_name=_("axe"), on_delete=models.CASCADE, related_name="actions"
    )
    position = models.PositiveSmallIntegerField(_("ordre"))
    title = models.CharField(_("action"), max_length=255)
    owner = models.CharField(_("porteur·se"), max_length=200, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.TODO
    )

    class Meta:
        verbose_name = _("action de la feuille de route")
        verbose_name_plural = _("actions de la feuille de route")
        ordering = ["axis", "position", "pk"]

    def __str__(self):
        return self.title

    @property
    def is_late(self) -> bool:
        """Due before today and neither done nor dropped (« en retard », said in words)."""
        return (
            self.due_on is not None
            and self.status in (ActionStatus.TODO, ActionStatus.IN_PROGRESS)
            and self.due_on < timezone.localdate()
        )


class FicheRevision(models.Model):
    """One edit of a fiche: who, when, which part, what changed, and the state after."""

    fiche = models.ForeignKey(
        ProjectFiche, verbose_name=_("fiche"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("version"))
    at = models.DateTimeField(_("le"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur·rice"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as written at the time: the account may be renamed or removed later.
    author_name = models.CharField(_("nom de l'auteur·rice"), max_length=300, blank=True)
    part = models.CharField(_("partie modifiée"), max_length=120)
    # [{"field": "Thématique prioritaire", "before": "…", "after": "…"}]
    changes = models.JSONField(_("modifications"), default=list)
    snapshot = models.JSONField(_("état après la modification"), default=dict)

    class Meta:
        verbose_name = _("version de fiche projet")
        verbose_name_plural = _("versions de fiches projet")
        ordering = ["fiche", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["fiche", "number"], name="projects_revision_unique"),
        ]

    def __str__(self):
        return f"{self.fiche} — v{self.number}"


class FollowUpEntry(models.Model):
    class Kind(models.TextChoices):
        CONTACT = "contact", _("Contact")
        REMINDER = "reminder", _("Relance")
        QUESTION = "question", _("Question")
        MEETING = "meeting", _("Réunion")
        NOTE = "note", _("Note")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Téléphone")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        VIDEO = "video", _("Visioconférence")
        ON_SITE = "on_site", _("Sur place")
        LETTER = "letter", _("Courrier")
        OTHER = "other", _("Autre")

    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="follow_up_entries",
    )
    structure = models.ForeignKey(
        "formations.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="follow_up_entries",
    )
    occurred_on = models.DateField(_("date"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    summary = models.TextField(_("objet et contenu"))
    # A question and, once given, its answer.
    answer = models.TextField(_("réponse apportée"), blank=True)
    answered_on = models.DateField(_("répondu le"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur·rice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A reminder sent from the follow-up page: the message it queued.
    outbox_message = models.ForeignKey(
        "formations.OutboxMessage",
        verbose_name=_("message envoyé"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    # Last saved (an edit, an answer): the fiche individuelle prints the entries.
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("entrée du suivi")
        verbose_name_plural = _("suivi des structures")
        ordering = ["-occurred_on", "-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["programme", "structure", "occurred_on"], name="projects_followup_idx"
            ),
        ]

    def __str__(self):
        return f"{self.occurred_on} {self.get_kind_display()} — {self.structure}"


class IntersessionTask(models.Model):
    class Kind(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        DOCUMENT = "document", _("Document à fournir")
        ROADMAP_STEP = "roadmap_step", _("Étape de la feuille de route")
        OTHER = "other", _("Autre travail")

    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="intersession_tasks",
    )
    structure = models.ForeignKey(
        "formations.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="intersession_tasks",
    )
    # Tasks set together for several structures share their batch.
    batch = models.UUIDField(_("lot"), default=uuid.uuid4, db_index=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=255)
    instructions = models.TextField(_("consignes"), blank=True)
    due_on = models.DateField(_("à rendre le"))
    campaign = models.ForeignKey(
        "evaluations.Campaign",
        verbose_name=_("quiz"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intersession_tasks",
    )
    roadmap_action = models.ForeignKey(
        RoadmapAction,
        verbose_name=_("étape de la feuille de route"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intersession_tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    # Last saved with every field (`save()`, not `update_fields`, not `bulk_update`): the
    # fiche individuelle prints the tasks.
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    done_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marquée faite par"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    done_note = models.TextField(_("commentaire"), blank=True)
    document = models.FileField(
        _("document"),
        storage=documents_storage,
        upload_to=TASK_DOCUMENTS_FOLDER,
        max_length=255,
        blank=True,
    )
    document_name = models.CharField(_("nom du fichier déposé"), max_length=255, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    document_content_type = models.CharField(max_length=80, blank=True)
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("travail d'intersession")
        verbose_name_plural = _("travaux d'intersession")
        ordering = ["due_on", "structure__sort_key", "pk"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(done_at__isnull=True), name="projects_task_open_idx"
            ),
        ]

    def __str__(self):
        return f"{self.title} — {self.structure}"


class JournalEntry(models.Model):
    participant = models.ForeignKey(
        "formations.Participant",
        verbose_name=_("participant·e"),
        on_delete=models.CASCADE,
        related_name="journal_entries",
    )
    programme = models.ForeignKey(
        "formations.Programme",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="journal_entries",
    )
    written_on = models.DateField(_("date"))
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    shared_at = models.DateTimeField(
        _("partagée avec les formateur·rices le"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("écrite le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("entrée du journal de bord")
        verbose_name_plural = _("journal de bord")
        ordering = ["-written_on", "-pk"]
        indexes = [
            models.Index(fields=["participant", "programme"], name="projects_journal_idx"),
        ]

    def __str__(self):
        return self.title
