"""Funders, programmes, formations and their contract rules, structures, participants,
and the people who use the application with their roles."""

import decimal
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from formations.french import TIME_ZONE_CHOICES, validate_time_zone
from formations.phones import validate_e164
from formations.storage import documents_storage
from formations.text import french_sort_key

SORT_KEY_MAX_LENGTH = 500


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class SortKeyQuerySet(models.QuerySet):
    """Bulk writes keep `sort_key` in step too: `bulk_create` and `bulk_update` skip
    `save()` (the participants import creates people with `bulk_create`)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.sort_key = obj.compute_sort_key()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if set(fields) & set(self.model.SORT_KEY_SOURCES):
            for obj in objs:
                obj.sort_key = obj.compute_sort_key()
            fields = [*fields, "sort_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)


class SortKeyModel(models.Model):
    """A model listed by name: `sort_key` (see `french_sort_key`) is derived from the
    `SORT_KEY_SOURCES` fields on every save, so lists order by one indexed column that
    sorts the same on SQLite and PostgreSQL."""

    SORT_KEY_SOURCES: tuple[str, ...] = ()

    # blank: derived, never typed; full_clean() runs before save() computes it.
    sort_key = models.CharField(
        _("clé de tri"), max_length=SORT_KEY_MAX_LENGTH, db_index=True, editable=False, blank=True
    )

    objects = SortKeyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, **kwargs):
        # A derived column, not a business rule: written wherever the name is.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.SORT_KEY_SOURCES):
            self.sort_key = self.compute_sort_key()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "sort_key"}
        super().save(**kwargs)

    def compute_sort_key(self) -> str:
        key = french_sort_key(*(getattr(self, name) for name in self.SORT_KEY_SOURCES))
        return key[:SORT_KEY_MAX_LENGTH]


class Funder(models.Model):
    class Kind(models.TextChoices):
        FEDER = "feder", "FEDER"
        FSE = "fse", "FSE"
        FSE_PLUS = "fse_plus", "FSE+"
        REGION = "region", _("Région")
        DEPARTEMENT = "departement", _("Département")
        CAF = "caf", "CAF"
        ETAT = "etat", _("État")
        OTHER = "other", _("Autre")

    # Funds of the European Union: their documents carry the EU emblem block.
    EU_KINDS = frozenset({Kind.FEDER, Kind.FSE, Kind.FSE_PLUS})

    name = models.CharField(_("nom"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    emblem = models.ImageField(_("logo"), upload_to="funders/", blank=True)
    publicity_sentence = models.TextField(
        _("mention obligatoire"),
        blank=True,
        help_text=_(
            "Phrase imprimée sur chaque document, par ex. « Cofinancé par l'Union européenne »."
        ),
    )

    class Meta:
        verbose_name = _("financeur")
        verbose_name_plural = _("financeurs")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_eu_fund(self) -> bool:
        return self.kind in self.EU_KINDS


class Structure(SortKeyModel):
    class Kind(models.TextChoices):
        CCAS = "ccas", _("CCAS / CIAS")
        UDCCAS = "udccas", _("UDCCAS")
        CENTRE_SOCIAL = "centre_social", _("Centre social")
        MAISON_QUARTIER = "maison_quartier", _("Maison de quartier")
        MISSION_LOCALE = "mission_locale", _("Mission locale")
        PIE = "pie", _("Projet insertion emploi (PIE)")
        SIAE = "siae", _("SIAE")
        ASSOCIATION_RSA = "association_rsa", _("Association référente RSA")
        FRANCE_TRAVAIL = "france_travail", _("France Travail")
        ASE = "ase", _("Aide sociale à l'enfance (ASE)")
        MDE = "mde", _("Maison de l'emploi (MDE)")
        SERVICE_SOCIAL = "service_social", _("Service social départemental")
        MEDIATION_NUMERIQUE = "mediation_numerique", _("Organisme de médiation numérique")
        COLLECTIVITE = "collectivite", _("Collectivité")
        ASSOCIATION = "association", _("Association")
        OTHER = "other", _("Autre")

    SORT_KEY_SOURCES = ("name",)

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    kind_label = models.CharField(
        _("type tel que déclaré"),
        max_length=120,
        blank=True,
        help_text=_(
            "Type écrit dans un fichier importé quand la liste ne le connaît pas (la structure "
            "a alors le type « Autre »). Pour la reclasser : choisissez son type, puis videz "
            "ce champ."
        ),
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    territory = models.CharField(
        _("territoire"),
        max_length=120,
        blank=True,
        help_text=_("Ex. : Lille Sud, Valenciennois, Mayotte."),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    # Where the structure's Alertes campaigns and reminders are scheduled (a centre social in
    # Mayotte schedules in Mayotte's time).
    time_zone = models.CharField(
        _("fuseau horaire"),
        max_length=64,
        default="Europe/Paris",
        choices=TIME_ZONE_CHOICES,
        validators=[validate_time_zone],
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="structure_name_unique_ci"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("formations:structure_detail", args=[self.pk])


class Programme(models.Model):
    reference = models.CharField(_("référence"), max_length=60, unique=True)
    title = models.CharField(_("intitulé"), max_length=255)
    carrier = models.CharField(
        _("porteur"), max_length=255, help_text=_("Organisation qui porte l'opération.")
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    description = models.TextField(_("description"), blank=True)
    funders = models.ManyToManyField(
        Funder, verbose_name=_("financeurs"), related_name="programmes", blank=True
    )
    structures = models.ManyToManyField(
        Structure, verbose_name=_("structures partenaires"), related_name="programmes", blank=True
    )
    publicity_sentence = models.TextField(
        _("mention de l'opération"),
        blank=True,
        help_text=_("Mention propre à l'opération, imprimée après celles des financeurs."),
    )
    logbook_enabled = models.BooleanField(
        _("journal de bord des participant·es"),
        default=False,
        help_text=_(
            "Chaque participant·e tient un journal de bord professionnel privé dans son "
            "espace, et peut en partager des entrées avec les formateur·rices du programme."
        ),
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="programme_period_ordered"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("formations:programme_detail", args=[self.pk])


class Formation(models.Model):
    class PricingMode(models.TextChoices):
        GLOBAL = "global", _("Forfait global")
        PER_DAY = "per_day", _("À la journée")
        PER_TRAINEE_HOUR = "per_trainee_hour", _("À l'heure-stagiaire")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="formations"
    )
    contract_reference = models.CharField(
        _("référence du marché"), max_length=60, unique=True, help_text=_("Ex. : FEDER-2018-AO.3")
    )
    title = models.CharField(_("intitulé"), max_length=255)
    objectives = models.TextField(_("objectifs"), blank=True)
    audience = models.TextField(_("public visé"), blank=True)
    amount = models.DecimalField(_("montant du marché (€)"), max_digits=12, decimal_places=2)
    pricing_mode = models.CharField(
        _("mode de tarification"), max_length=20, choices=PricingMode.choices
    )
    unit_price = models.DecimalField(
        _("prix unitaire (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Prix de la journée ou de l'heure-stagiaire selon le mode."),
    )
    planned_units = models.DecimalField(
        _("unités prévues"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Jours, heures-stagiaires ou unités de réalisation prévus au marché."),
    )
    # The amount (and the unit price, on the same basis) is as the tender states it: « 25 000
    # euros TTC » or « 4 166,67 euros HT ». The other figure is derived with `vat_rate`
    # (livrables.service_fait); 0 % is allowed (a provider exempt from VAT, art. 261-4-4° CGI).
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"),
        max_digits=5,
        decimal_places=2,
        default=decimal.Decimal("20.00"),
        validators=[
            MinValueValidator(decimal.Decimal("0")),
            MaxValueValidator(decimal.Decimal("100")),
        ],
        help_text=_("0 si l'organisme est exonéré de TVA."),
    )
    amount_includes_vat = models.BooleanField(
        _("montant et prix unitaire TTC"),
        default=False,
        help_text=_("Cochez si le marché donne son montant toutes taxes comprises (TTC)."),
    )
    start_date = models.DateField(_("début d'exécution"), null=True, blank=True)
    end_date = models.DateField(_("fin d'exécution"), null=True, blank=True)
    # Contract rules (all optional: a tender states only some of them).
    group_size_min = models.PositiveSmallIntegerField(
        _("taille de groupe min."), null=True, blank=True
    )
    group_size_max = models.PositiveSmallIntegerField(
        _("taille de groupe max."), null=True, blank=True
    )
    min_hours_per_day = models.DecimalField(
        _("heures minimum par jour"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    sessions_min = models.PositiveSmallIntegerField(
        _("nombre de sessions min."), null=True, blank=True
    )
    sessions_max = models.PositiveSmallIntegerField(
        _("nombre de sessions max."), null=True, blank=True
    )
    trainees_target_min = models.PositiveIntegerField(
        _("stagiaires visés min."), null=True, blank=True
    )
    trainees_target_max = models.PositiveIntegerField(
        _("stagiaires visés max."), null=True, blank=True
    )
    attendees_per_structure_min = models.PositiveSmallIntegerField(
        _("participants par structure et session min."), null=True, blank=True
    )
    attendees_per_structure_max = models.PositiveSmallIntegerField(
        _("participants par structure et session max."), null=True, blank=True
    )
    # Rhythm of the contract (seeds 000, 003, 004): « dont au moins deux labos en 2021 »,
    # « labos sur 3 jours consécutifs », « 1 journée, 7 heures minimum », « accompagnement
    # mensuel ». Checked in ``sessions.selectors.contract``.
    sessions_min_in_year = models.PositiveSmallIntegerField(
        _("sessions min. dans l'année"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    sessions_min_year = models.PositiveSmallIntegerField(
        _("année concernée"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    session_days = models.PositiveSmallIntegerField(
        _("jours consécutifs par session"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    monthly_rhythm = models.BooleanField(_("rythme mensuel"), default=False)

    class ActionNature(models.TextChoices):
        # The four boxes of the Ministry of Labour's « certificat de réalisation ».
        TRAINING = "training", _("Action de formation")
        SKILLS_REVIEW = "skills_review", _("Bilan de compétences")
        VAE = "vae", _("Action de VAE")
        APPRENTICESHIP = "apprenticeship", _("Action de formation par apprentissage")

    action_nature = models.CharField(
        _("nature de l'action"),
        max_length=20,
        choices=ActionNature.choices,
        default=ActionNature.TRAINING,
        help_text=_("Case cochée sur le certificat de réalisation."),
    )

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")
        ordering = ["contract_reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group_size_min__isnull=True)
                | Q(group_size_max__isnull=True)
                | Q(group_size_min__lte=F("group_size_max")),
                name="formation_group_size_ordered",
            ),
            models.CheckConstraint(
                condition=Q(sessions_min__isnull=True)
                | Q(sessions_max__isnull=True)
                | Q(sessions_min__lte=F("sessions_max")),
                name="formation_sessions_ordered",
            ),
            models.CheckConstraint(
                condition=Q(trainees_target_min__isnull=True)
                | Q(trainees_target_max__isnull=True)
                | Q(trainees_target_min__lte=F("trainees_target_max")),
                name="formation_trainees_ordered",
            ),
            models.CheckConstraint(
                condition=Q(attendees_per_structure_min__isnull=True)
                | Q(attendees_per_structure_max__isnull=True)
                | Q(attendees_per_structure_min__lte=F("attendees_per_structure_max")),
                name="formation_attendees_per_structure_ordered",
            ),
            # « au moins N sessions en AAAA »: a count without its year (or the reverse)
            # says nothing.
            models.CheckConstraint(
                condition=Q(sessions_min_in_year__isnull=True, sessions_min_year__isnull=True)
                | Q(sessions_min_in_year__isnull=False, sessions_min_year__isnull=False),
                name="formation_sessions_in_year_paired",
                violation_error_message=_(
                    "Un minimum de sessions dans l'année demande un nombre et une année."
                ),
            ),
            models.CheckConstraint(
                condition=Q(session_days__isnull=True) | Q(session_days__gte=1),
                name="formation_session_days_positive",
                violation_error_message=_("Une session dure au moins un jour."),
            ),
        ]

    def __str__(self):
        return f"{self.contract_reference} — {self.title}"

    def get_absolute_url(self):
        return reverse("formations:formation_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        for low, high in (
            ("group_size_min", "group_size_max"),
            ("sessions_min", "sessions_max"),
            ("trainees_target_min", "trainees_target_max"),
            ("attendees_per_structure_min", "attendees_per_structure_max"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                errors[high] = _("Le maximum doit être supérieur ou égal au minimum.")
        if self.start_date and self.end_date and self.start_date > self.end_date:
            errors["end_date"] = _("La fin doit suivre le début.")
        count, year = self.sessions_min_in_year, self.sessions_min_year
        if year is not None and count is None:
            errors["sessions_min_in_year"] = _(
                "Indiquez le nombre de sessions attendues en %(year)s."
            ) % {"year": year}
        elif count is not None and year is None:
            errors["sessions_min_year"] = _("Indiquez l'année de ce minimum.")
        elif year is not None and (
            (self.start_date and year < self.start_date.year)
            or (self.end_date and year > self.end_date.year)
        ):
            errors["sessions_min_year"] = _(
                "Cette année est hors de la période d'exécution du marché."
            )
        if (
            count is not None
            and self.sessions_max is not None
            and count > self.sessions_max
            and "sessions_max" not in errors
        ):
            errors["sessions_min_in_year"] = _(
                "Ce minimum dépasse le nombre maximum de sessions du marché (%(max)s)."
            ) % {"max": self.sessions_max}
        if self.monthly_rhythm and not (self.start_date and self.end_date):
            errors["monthly_rhythm"] = _(
                "Le rythme mensuel se vérifie sur la période d'exécution : indiquez son début "
                "et sa fin."
            )
        if (
            self.pricing_mode in (self.PricingMode.PER_DAY, self.PricingMode.PER_TRAINEE_HOUR)
            and not self.unit_price
        ):
            errors["unit_price"] = _("Ce mode de tarification demande un prix unitaire.")
        if errors:
            raise ValidationError(errors)


class Participant(SortKeyModel):
    """One person of the registry: a professional trained in the programmes, or a member
    (resident, volunteer, partner) a structure follows in Alertes (`Membership`). For a
    member, `structure` is the structure that registered the record; what each structure
    sees of a member goes through its own membership."""

    class Kind(models.TextChoices):
        PROFESSIONAL = "professional", _("Professionnel·le en formation")
        RESIDENT = "resident", _("Habitant·e, adhérent·e")
        VOLUNTEER = "volunteer", _("Bénévole")
        PARTNER = "partner", _("Partenaire")

    MEMBER_KINDS = (Kind.RESIDENT, Kind.VOLUNTEER, Kind.PARTNER)

    SORT_KEY_SOURCES = ("last_name", "first_name")

    kind = models.CharField(
        _("type de personne"), max_length=20, choices=Kind.choices, default=Kind.PROFESSIONAL
    )
    last_name = models.CharField(_("nom"), max_length=120)
    first_name = models.CharField(_("prénom"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    # E.164 (« +262639012345 »), see formations.phones; consent per channel and purpose
    # is recorded in ContactConsent (formations.consent).
    phone = models.CharField(_("téléphone"), max_length=30, blank=True, validators=[validate_e164])
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="participants",
    )
    post_taken_on = models.DateField(_("date de prise de poste"), null=True, blank=True)
    date_of_birth = models.DateField(_("date de naissance"), null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("participant·e")
        verbose_name_plural = _("participant·es")
        ordering = ["sort_key", "pk"]
        constraints = [
            # One professional, one record: the same e-mail cannot be registered twice.
            # Members are unique per structure instead (`formations.members`): a structure
            # registering someone another structure knows creates its own record, and
            # never learns the other one exists; coordinators merge such duplicates.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email="") & Q(kind="professional"),
                name="participant_email_unique_ci",
            ),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("formations:participant_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


class User(AbstractUser):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinateur·rice")
        TRAINER = "trainer", _("Formateur·rice")
        FUNDER_AUDITOR = "funder_auditor", _("Auditeur·rice financeur")
        STRUCTURE_REFERENT = "structure_referent", _("Référent·e structure")
        # Seed 002: a structure's own accounts for its members' follow-up (Alertes). The
        # administrator is also its structure's referent, and manages the staff accounts.
        STRUCTURE_ADMIN = "structure_admin", _("Administrateur·rice de structure")
        STRUCTURE_STAFF = "structure_staff", _("Équipe de structure")

    # Roles whose account belongs to one structure and sees only its data.
    STRUCTURE_ROLES = (
        Role.STRUCTURE_REFERENT,
        Role.STRUCTURE_ADMIN,
        Role.STRUCTURE_STAFF,
    )

    role = models.CharField(
        _("rôle"), max_length=30, choices=Role.choices, default=Role.COORDINATOR
    )
    funders = models.ManyToManyField(
        Funder,
        verbose_name=_("financeurs audités"),
        related_name="auditors",
        blank=True,
        help_text=_(
            "Pour un·e auditeur·rice : les financeurs dont il ou elle voit les opérations."
        ),
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referents",
        help_text=_(
            "Pour un·e référent·e, un·e administrateur·rice ou l'équipe d'une structure : la "
            "seule structure dont il ou elle voit les données."
        ),
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["structure_referent", "structure_admin", "structure_staff"])
                | Q(structure__isnull=False),
                name="referent_has_structure",
            ),
        ]

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.role in self.STRUCTURE_ROLES and not self.structure_id:
            raise ValidationError(
                {"structure": _("Ce rôle demande d'être rattaché·e à une structure.")}
            )

    @property
    def is_trainer(self) -> bool:
        return self.role == self.Role.TRAINER

    @property
    def is_funder_auditor(self) -> bool:
        return self.role == self.Role.FUNDER_AUDITOR

    @property
    def is_structure_referent(self) -> bool:
        """A referent, or a structure administrator (who is its structure's referent too)."""
        return self.role in (self.Role.STRUCTURE_REFERENT, self.Role.STRUCTURE_ADMIN)

    @property
    def is_structure_admin(self) -> bool:
        return self.role == self.Role.STRUCTURE_ADMIN

    @property
    def works_in_alertes(self) -> bool:
        """A structure administrator or staff: follows the structure's members."""
        return self.role in (self.Role.STRUCTURE_ADMIN, self.Role.STRUCTURE_STAFF)


class AuditEntry(models.Model):
    """Append-only journal of what users did that a funder may question."""

    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("type d'objet"), max_length=80, blank=True)
    object_id = models.CharField(_("identifiant"), max_length=40, blank=True)
    summary = models.CharField(_("résumé"), max_length=500, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    # The address of the request that caused the entry (formations.audit); empty for a
    # command or a background task.
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.summary}"


class AuditMention(models.Model):
    """An object an entry names without being written on it (the people of an enrolment, of
    an import): what `AuditEntry.data` says, kept where an index finds it, so that the
    object's history (`formations.history`) does not read the whole journal. Written with
    the entry by `formations.audit.log_action`; never changed."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="mentions")
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=40)

    class Meta:
        verbose_name = _("objet nommé par une entrée du journal")
        verbose_name_plural = _("objets nommés par le journal d'audit")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.object_type} {self.object_id}"


def siret_is_valid(value: str) -> bool:
    """14 digits whose Luhn sum is a multiple of 10 (INSEE's SIRET key). La Poste's
    establishments (SIREN 356000000) follow another rule: the sum of the digits is a
    multiple of 5."""
    if len(value) != 14 or not value.isdigit():
        return False
    if value.startswith("356000000"):
        return sum(int(d) for d in value) % 5 == 0
    total = 0
    for index, digit in enumerate(reversed(value)):
        n = int(digit)
        if index % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def validate_siret(value: str) -> None:
    from django.core.exceptions import ValidationError

    if not siret_is_valid(value):
        raise ValidationError(
            _("SIRET invalide : 14 chiffres, dont le dernier est une clé de contrôle."),
            code="invalid_siret",
        )


class ProviderIdentity(models.Model):
    """The training organisation (« organisme de formation ») that issues certificates: one
    row, set once by a coordinator (`formations.services.provider_identity_save`). The
    programme's carrier is the buyer, not the provider: certificates name this one.

    The signature-and-stamp image is kept in the private documents storage (never served by
    URL) and read through the storage API when a certificate is rendered."""

    # One row only: a constant, unique column that can only be True.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    legal_name = models.CharField(_("raison sociale"), max_length=255)
    address = models.TextField(_("adresse"))
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        validators=[validate_siret],
        help_text=_("14 chiffres, sans espace."),
    )
    activity_declaration_number = models.CharField(
        _("numéro de déclaration d'activité"),
        max_length=30,
        help_text=_("Enregistré auprès du préfet de région (11 chiffres en général)."),
    )
    representative_name = models.CharField(_("représentant·e légal·e (nom)"), max_length=200)
    representative_role = models.CharField(
        _("qualité du ou de la représentant·e"),
        max_length=200,
        help_text=_("Ex. : Président, Directrice générale."),
    )
    signing_place = models.CharField(
        _("« Fait à »"), max_length=120, help_text=_("Ville imprimée avant la date de signature.")
    )
    signature_image = models.FileField(
        _("signature et cachet (image)"),
        upload_to="provider/",
        storage=documents_storage,
        blank=True,
        help_text=_("Image PNG ou JPEG, imprimée au-dessus du nom du ou de la signataire."),
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("organisme de formation")
        verbose_name_plural = _("organisme de formation")
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="provider_identity_single"),
        ]

    def __str__(self):
        return self.legal_name


# Consent records and SMS provider events (formations.consent, formations.sms); the outbox,
# background jobs and periodic runs. Defined apart, part of this app.
from formations.models_members import MemberGroup, Membership  # noqa: E402, F401
from formations.models_messaging import (  # noqa: E402, F401
    CONSENT_PURPOSES,
    STRUCTURE_PURPOSES,
    Channel,
    ContactConsent,
    LegalBasis,
    Purpose,
    SmsEvent,
)
from formations.models_outbox import (  # noqa: E402, F401
    BackgroundJob,
    OutboxMessage,
    PeriodicRun,
)
from formations.models_space import SpaceLinkRequest, SpaceSignInLink  # noqa: E402, F401
