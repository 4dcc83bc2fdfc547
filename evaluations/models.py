"""Questionnaires, campaigns, invitations and answers.

- A **questionnaire** (« à chaud », « à froid », a quiz…) has numbered **versions**; a
  version holds ordered **sections** of ordered **questions**. A version that has answers
  never changes: editing it makes the next version (`evaluations.services_questionnaires`).
- A **campaign** attaches one version to a session or a whole formation, for an audience
  (participants, trainers, a structure's team, the funder), opening on a date: invitations
  go out then, reminders after a delay, answers are refused after `closes_at`.
- An **invitation** is one person's personal link (see `evaluations.tokens`: the token is
  derived from `key`, never stored). It keeps the unfinished answers (`draft`) so that the
  person can leave and come back, and how far they went.
- A **response** is what the person submitted, written once. For an anonymous
  questionnaire it does not name its author and is not linked to the invitation: it keeps
  only coarse facts (structure type, sex and age band when known) so that results can be
  broken down without naming anyone. A nominative one (quizzes, positioning) names them.
- An **answer** is one question's value in a response, in columns SQL can aggregate:
  `number` (a 1–5 rating, 1/0 for yes/no, the index of a single choice, the points won on
  a quiz question), one row per ticked box for a multiple choice, `text` for free text,
  (`objective`, `before`, `after`) per teaching objective for a self-rating.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from formations.models import Formation, Funder, Participant, Structure
from sessions.models import Enrolment, TrainingSession


class Questionnaire(models.Model):
    class Kind(models.TextChoices):
        HOT = "hot", _("À chaud (fin de formation)")
        COLD = "cold", _("À froid (trois mois après)")
        POSITIONING = "positioning", _("Auto-positionnement (avant la formation)")
        LABO_END = "labo_end", _("Fin de labo")
        QUIZ = "quiz", _("Quiz d'intersession")
        PEER = "peer", _("Évaluation par les pairs")
        TRAINER = "trainer", _("Avis des formateur·rices")
        FUNDER = "funder", _("Avis du financeur")
        OTHER = "other", _("Autre")

    title = models.CharField(_("intitulé"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    # Set on the questionnaires shipped with the application (`evaluations.defaults`), so
    # that installing them again finds them instead of adding copies.
    code = models.SlugField(_("code"), max_length=40, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    nominative = models.BooleanField(
        _("nominatif"),
        default=False,
        help_text=_(
            "Les réponses portent le nom de la personne (quiz, auto-positionnement). "
            "Sinon elles sont anonymes, et la personne en est informée avant de répondre."
        ),
    )
    archived = models.BooleanField(_("archivé"), default=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="questionnaire_code_unique"
            ),
        ]

    def __str__(self):
        return self.title


class QuestionnaireVersion(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Affichée avant la première question.")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("version de questionnaire")
        verbose_name_plural = _("versions de questionnaire")
        ordering = ["questionnaire", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="questionnaire_version_unique"
            ),
        ]

    def __str__(self):
        return f"{self.questionnaire} (v{self.number})"


class Section(models.Model):
    version = models.ForeignKey(
        QuestionnaireVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    position = models.PositiveSmallIntegerField(_("ordre"))
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("partie")
        verbose_name_plural = _("parties")
        ordering = ["version", "position", "pk"]

    def __str__(self):
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("Échelle de 1 à 5")
        YES_NO = "yes_no", _("Oui / non")
        SINGLE = "single", _("Choix unique")
        MULTIPLE = "multiple", _("Choix multiple")
        TEXT = "text", _("Texte libre")
        QUIZ = "quiz", _("Question de quiz")
        OBJECTIVES = "objectives", _("Avant / après, par objectif de la formation")

    CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.QUIZ})

    section = models.ForeignKey(
        Section, verbose_name=_("partie"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type de question"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("aide"), max_length=500, blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=True)
    # Scale: what 1 and 5 mean (« Pas du tout satisfait·e » … « Très satisfait·e »).
    scale_low_label = models.CharField(_("libellé du 1"), max_length=100, blank=True)
    scale_high_label = models.CharField(_("libellé du 5"), max_length=100, blank=True)
    # Single, multiple choice and quiz: the options, in order (answers keep their index).
    choices = models.JSONField(_("options"), default=list, blank=True)
    # Quiz: indices of the right options (all of them must be ticked, and only them), and
    # the points a right answer earns.
    correct_choices = models.JSONField(_("bonnes réponses"), default=list, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), default=1)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["section", "position", "pk"]

    def __str__(self):
        return self.text


class Campaign(models.Model):
    class Audience(models.TextChoices):
        PARTICIPANTS = "participants", _("Participant·es")
        TRAINERS = "trainers", _("Formateur·rices")
        STRUCTURE_TEAM = "structure_team", _("Équipe d'une structure")
        FUNDER = "funder", _("Financeur")

    version = models.ForeignKey(
        QuestionnaireVersion,
        verbose_name=_("questionnaire"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    formation = models.ForeignKey(
        Formation, verbose_name=_("formation"), on_delete=models.PROTECT, related_name="campaigns"
    )
    # Empty: the campaign covers the whole formation (all its sessions' participants).
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    audience = models.CharField(
        _("public"), max_length=20, choices=Audience.choices, default=Audience.PARTICIPANTS
    )
    # The team asked (audience « équipe d'une structure »), or the structure whose project
    # a peer evaluation is about.
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    funder = models.ForeignKey(
        Funder,
        verbose_name=_("financeur"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    # When invitations go out (`run_periodic` sends them from then on) and, if set, when
    # answers stop being accepted.
    opens_at = models.DateTimeField(_("envoi le"))
    # Set when `opens_at` is the default of the questionnaire's kind (à chaud, à froid):
    # until the campaign is launched, it follows the session's last half-day when the
    # half-days change (`evaluations.services_campaigns.campaign_follow_session`).
    opens_at_follows_session = models.BooleanField(
        _("date d'envoi calculée depuis la session"), default=False
    )
    closes_at = models.DateTimeField(_("clôture le"), null=True, blank=True)
    reminder_delay_days = models.PositiveSmallIntegerField(
        _("relance après (jours)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    max_reminders = models.PositiveSmallIntegerField(
        _("nombre de relances au plus"), default=2, validators=[MaxValueValidator(10)]
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set once the invitations are written (the audience is read at that moment).
    launched_at = models.DateTimeField(_("lancée le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("campagne d'évaluation")
        verbose_name_plural = _("campagnes d'évaluation")
        ordering = ["opens_at", "pk"]
        indexes = [
            models.Index(
                fields=["opens_at"],
                condition=Q(launched_at__isnull=True, cancelled_at__isnull=True),
                name="campaign_to_launch_idx",
            ),
        ]

    def __str__(self):
        target = self.session.code if self.session_id else self.formation.contract_reference
        return f"{self.version.questionnaire} — {target}"


class Invitation(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        TABLET = "tablet", _("Tablette du formateur")

    # The public half of the link; the token is an HMAC of it (`evaluations.tokens`).
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="invitations"
    )
    # Exactly one of: a participant (participants, a structure's team), an account
    # (trainers, the funder's auditors).
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant·e"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_invitations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_invitations",
    )
    # The enrolment the participant is asked about (a formation-wide campaign: their
    # latest session of the formation), for the response's session and structure.
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("inscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluation_invitations",
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("relances envoyées"), default=0)
    last_reminder_at = models.DateTimeField(_("dernière relance le"), null=True, blank=True)
    opened_at = models.DateTimeField(_("ouverte le"), null=True, blank=True)
    # The unfinished answers ({question pk: value}) and the screen reached; emptied on
    # submission.
    draft = models.JSONField(_("réponses en cours"), default=dict, blank=True)
    draft_step = models.PositiveSmallIntegerField(_("écran atteint"), default=0)
    # The day only: with the time, the moment of an anonymous response could be matched.
    answered_on = models.DateField(_("répondu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation à répondre")
        verbose_name_plural = _("invitations à répondre")
        ordering = ["campaign", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(participant__isnull=False, user__isnull=True)
                    | Q(participant__isnull=True, user__isnull=False)
                ),
                name="invitation_one_person",
            ),
            models.UniqueConstraint(
                fields=["campaign", "participant"],
                condition=Q(participant__isnull=False),
                name="invitation_unique_participant",
            ),
            models.UniqueConstraint(
                fields=["campaign", "user"],
                condition=Q(user__isnull=False),
                name="invitation_unique_user",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.participant or self.user}"

    @property
    def is_answered(self) -> bool:
        return self.answered_on is not None


class Response(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.PROTECT, related_name="responses"
    )
    version = models.ForeignKey(
        QuestionnaireVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="responses",
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_responses",
    )
    # Only for a nominative questionnaire.
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant·e"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_responses",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_responses",
    )
    # Coarse facts about the author, kept whatever the questionnaire: breakdowns of fewer
    # than five answers are masked (`evaluations.selectors_results`).
    respondent_role = models.CharField(_("public"), max_length=20, choices=Campaign.Audience)
    structure_kind = models.CharField(
        _("type de structure"), max_length=30, choices=Structure.Kind.choices, blank=True
    )
    sex = models.CharField(_("sexe"), max_length=10, blank=True)
    age_band = models.CharField(_("tranche d'âge"), max_length=10, blank=True)
    submitted_on = models.DateField(_("répondu le"))
    on_tablet = models.BooleanField(_("sur la tablette du formateur"), default=False)

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        ordering = ["campaign", "pk"]

    def __str__(self):
        return f"{self.campaign} ({self.submitted_on:%d/%m/%Y})"


class Answer(models.Model):
    response = models.ForeignKey(
        Response, verbose_name=_("réponse"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    number = models.SmallIntegerField(_("valeur"), null=True, blank=True)
    # Quiz: the options ticked, and whether that is the right answer.
    choices = models.JSONField(_("options cochées"), default=list, blank=True)
    correct = models.BooleanField(_("juste"), null=True, blank=True)
    text = models.TextField(_("texte"), blank=True)
    objective = models.CharField(_("objectif"), max_length=500, blank=True)
    before = models.SmallIntegerField(_("avant"), null=True, blank=True)
    after = models.SmallIntegerField(_("après"), null=True, blank=True)
    # A comment that would identify someone: kept, left out of the funder's copy.
    hidden_at = models.DateTimeField(_("masqué le"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(_("motif du masquage"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        ordering = ["response", "question", "pk"]
        indexes = [models.Index(fields=["question", "number"], name="answer_question_number_idx")]

    def __str__(self):
        return f"{self.question}: {self.text or self.number}"


# The coordinator's conclusion of a synthesis lives in its own module; imported here so
# that Django registers it.
from evaluations.models_synthesis import SynthesisDraft  # noqa: E402, F401
