"""Create / edit forms of the formations app. Choices offered in dropdowns come from the
scoped selectors; uniqueness rules the database enforces are checked here first so the
user gets a French message next to the field instead of a server error."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from formations import consent, selectors
from formations.locks import LOCKED_HELP, locked_fields
from formations.models import (
    Channel,
    ContactConsent,
    Formation,
    Funder,
    Participant,
    Programme,
    ProviderIdentity,
    Purpose,
    Structure,
)
from formations.phones import PhoneError, format_national, normalize_phone, region_for_structure
from formations.services import ProviderError, check_signature_image


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class FieldsetsMixin:
    """`fieldsets = [(legend, (field names…)), …]`; templates iterate `form.grouped_fields`."""

    fieldsets: list[tuple[str, tuple[str, ...]]] = []

    def grouped_fields(self):
        groups = []
        seen = set()
        for legend, names in self.fieldsets:
            fields = [self[name] for name in names if name in self.fields]
            seen.update(names)
            groups.append((legend, fields))
        rest = [self[name] for name in self.fields if name not in seen]
        if rest:
            groups.append(("", rest))
        return groups


class UserScopedModelForm(FieldsetsMixin, forms.ModelForm):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


def _unique_ci(form, model, field: str, value: str, message):
    """Case-insensitive uniqueness (the database holds a `Lower(field)` constraint)."""
    if not value:
        return value
    others = model.objects.filter(**{f"{field}__iexact": value})
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(message, code="unique")
    return value


class FunderForm(UserScopedModelForm):
    class Meta:
        model = Funder
        fields = ["name", "kind", "emblem", "publicity_sentence"]
        widgets = {"publicity_sentence": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"emblem": _("Image PNG ou JPEG, imprimée sur les documents.")}


class ProviderIdentityForm(UserScopedModelForm):
    # Typed with spaces (« 732 829 320 00074 ») as printed on a Kbis: spaces removed, then
    # the model's check (14 digits, Luhn key).
    siret = forms.CharField(
        label=_("SIRET"), max_length=20, help_text=_("14 chiffres ; les espaces sont retirés.")
    )
    fieldsets = [
        (
            _("Organisme"),
            ("legal_name", "address", "siret", "activity_declaration_number"),
        ),
        (
            _("Signataire des certificats"),
            (
                "representative_name",
                "representative_role",
                "signing_place",
                "signature_image",
                "remove_signature_image",
            ),
        ),
    ]

    class Meta:
        model = ProviderIdentity
        fields = [
            "legal_name",
            "address",
            "siret",
            "activity_declaration_number",
            "representative_name",
            "representative_role",
            "signing_place",
            "signature_image",
        ]
        # No link to the current image: the private storage has no address.
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "signature_image": forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        }

    remove_signature_image = forms.BooleanField(
        label=_("Retirer l'image enregistrée"),
        required=False,
        help_text=_("Les certificats émis ensuite ne porteront plus d'image de signature."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["signature_image"]
        field.help_text = _("PNG ou JPEG, 2 Mo au plus.")
        if self.instance.signature_image:
            # The private storage has no address to show it at: say that one is kept.
            field.help_text = _(
                "Une image est enregistrée : elle est imprimée sur les certificats. En choisir "
                "une autre la remplace. PNG ou JPEG, 2 Mo au plus."
            )
        else:
            del self.fields["remove_signature_image"]

    def clean_siret(self):
        return "".join((self.cleaned_data.get("siret") or "").split())

    def save(self, commit=True):
        if self.cleaned_data.get("remove_signature_image") and "signature_image" not in (
            self.changed_data
        ):
            self.instance.signature_image = None
        return super().save(commit=commit)

    def clean_signature_image(self):
        upload = self.cleaned_data.get("signature_image")
        if upload and hasattr(upload, "content_type"):
            try:
                check_signature_image(upload)
            except ProviderError as error:
                raise forms.ValidationError(error.message, code=error.code) from None
        return upload


class ProgrammeForm(UserScopedModelForm):
    fieldsets = [
        (
            _("Opération"),
            ("reference", "title", "carrier", "start_date", "end_date", "description"),
        ),
        (_("Financement et partenaires"), ("funders", "structures")),
        (_("Publicité"), ("publicity_sentence",)),
        (_("Participant·es"), ("logbook_enabled",)),
    ]

    class Meta:
        model = Programme
        fields = [
            "reference",
            "title",
            "carrier",
            "start_date",
            "end_date",
            "description",
            "funders",
            "structures",
            "publicity_sentence",
            "logbook_enabled",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "publicity_sentence": forms.Textarea(attrs={"rows": 3}),
            "funders": forms.CheckboxSelectMultiple,
            "structures": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "reference": _("Ex. : CSC-MEL-2018. Reprise sur chaque document."),
            "funders": _("Leurs emblèmes et mentions obligatoires figurent sur chaque document."),
            "structures": _("Structures dont les professionnel·les suivent les formations."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structures"].queryset = selectors.structures_visible_to(user=self.user)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and start > end:
            self.add_error("end_date", _("La fin doit être postérieure ou égale au début."))
        return cleaned


class FormationForm(UserScopedModelForm):
    fieldsets = [
        (_("Marché"), ("programme", "contract_reference", "title", "objectives", "audience")),
        (
            _("Tarification"),
            (
                "amount",
                "amount_includes_vat",
                "vat_rate",
                "pricing_mode",
                "unit_price",
                "planned_units",
            ),
        ),
        (_("Période d'exécution"), ("start_date", "end_date")),
        (
            _("Règles du marché"),
            (
                "group_size_min",
                "group_size_max",
                "min_hours_per_day",
                "sessions_min",
                "sessions_max",
                "trainees_target_min",
                "trainees_target_max",
                "attendees_per_structure_min",
                "attendees_per_structure_max",
                "sessions_min_in_year",
                "sessions_min_year",
                "session_days",
                "monthly_rhythm",
            ),
        ),
        (_("Certificat de réalisation"), ("action_nature",)),
    ]

    class Meta:
        model = Formation
        fields = [
            "programme",
            "contract_reference",
            "title",
            "objectives",
            "audience",
            "amount",
            "amount_includes_vat",
            "vat_rate",
            "pricing_mode",
            "unit_price",
            "planned_units",
            "start_date",
            "end_date",
            "group_size_min",
            "group_size_max",
            "min_hours_per_day",
            "sessions_min",
            "sessions_max",
            "trainees_target_min",
            "trainees_target_max",
            "attendees_per_structure_min",
            "attendees_per_structure_max",
            "sessions_min_in_year",
            "sessions_min_year",
            "session_days",
            "monthly_rhythm",
            "action_nature",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "audience": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "objectives": _(
                "Un objectif pédagogique par ligne (ou séparés par des points-virgules) : les "
                "questionnaires d'évaluation demandent à chacun·e de se situer sur chacun."
            ),
            "group_size_min": _("Ex. : 10 stagiaires par groupe au moins."),
            "group_size_max": _("Ex. : 15 stagiaires par groupe au plus."),
            "min_hours_per_day": _("Ex. : 7 heures de formation par jour."),
            "sessions_min": _("Nombre de sessions à réaliser au moins."),
            "sessions_max": _("Nombre de sessions à réaliser au plus."),
            "trainees_target_min": _("Nombre de stagiaires à former sur tout le marché."),
            "attendees_per_structure_min": _("Ex. : 1 agent·e par structure et par session."),
            "attendees_per_structure_max": _("Ex. : 3 agent·es par structure et par session."),
            "sessions_min_in_year": _(
                "« Dont au moins deux labos en 2021 » : 2, avec l'année ci-dessous. Une session "
                "compte pour l'année de son premier jour."
            ),
            "sessions_min_year": _("L'année de ce minimum, dans la période d'exécution."),
            "session_days": _(
                "Chaque session dure exactement ce nombre de jours consécutifs : 3 pour des "
                "labos sur 3 jours consécutifs, 1 pour des sessions d'une journée (avec "
                "7 heures minimum par jour : « 1 journée, 7 heures minimum »)."
            ),
            "monthly_rhythm": _(
                "« Accompagnement mensuel » : au moins une demi-journée chaque mois de la "
                "période d'exécution (début et fin à renseigner)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.programmes_visible_to(user=self.user)
        # Left out (a form posted by an older page or a script): « action de formation ».
        self.fields["action_nature"].required = False
        # Likewise: left out, the VAT rate stays what it was (20 % for a new formation).
        self.fields["vat_rate"].required = False
        for name in locked_fields(self.instance):
            self.fields[name].disabled = True
            self.fields[name].help_text = LOCKED_HELP

    def clean_action_nature(self):
        return self.cleaned_data.get("action_nature") or Formation.ActionNature.TRAINING

    def clean_vat_rate(self):
        value = self.cleaned_data.get("vat_rate")
        if value is None:
            return (
                self.instance.vat_rate
                if self.instance.pk
                else Formation._meta.get_field("vat_rate").default
            )
        return value


class StructureForm(UserScopedModelForm):
    class Meta:
        model = Structure
        fields = [
            "name",
            "kind",
            "kind_label",
            "address",
            "postal_code",
            "commune",
            "territory",
            "phone",
        ]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def clean_name(self):
        return _unique_ci(
            self,
            Structure,
            "name",
            self.cleaned_data.get("name"),
            _("Une structure porte déjà ce nom (majuscules et minuscules confondues)."),
        )


def consent_field_name(channel: str, purpose: str) -> str:
    return f"consent_{channel}_{purpose}"


class CollectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.get_role_display()})"


class ConsentFieldsMixin:
    """A person's consents as form fields: one box per channel and purpose (ticked where
    the latest record gives consent), and how, when, by whom and with what note a change
    was collected. `consent_changes()` lists the boxes the user changed; the service
    (`services.participant_consents_record`) turns them into consent rows."""

    CONSENT_LEGEND = _("Accord pour être recontacté·e")
    COLLECTION_FIELDS = ("consent_method", "consent_date", "consent_collected_by", "consent_note")

    def add_consent_fields(self, participant: Participant | None) -> tuple[str, ...]:
        """Adds the fields; returns their names in display order."""
        state = consent.current_consents(participant) if participant and participant.pk else {}
        names = []
        for channel, purpose in consent.PAIRS:
            name = consent_field_name(channel, purpose)
            wording = consent.current_wording(channel, purpose)
            row = state.get((channel, purpose))
            self.fields[name] = forms.BooleanField(
                label=_("%(channel)s — %(purpose)s")
                % {
                    "channel": capfirst(Channel(channel).label),
                    "purpose": Purpose(purpose).label,
                },
                required=False,
                initial=row is not None and row.action == ContactConsent.Action.GIVEN,
                help_text=_("Texte %(version)s : « %(text)s »")
                % {"version": wording.version, "text": wording.text},
            )
            names.append(name)
        self.fields["consent_method"] = forms.ChoiceField(
            label=_("Comment la personne a-t-elle donné ou retiré son accord ?"),
            required=False,
            choices=[
                ("", "—"),
                (ContactConsent.Method.PAPER, ContactConsent.Method.PAPER.label),
                (ContactConsent.Method.WRITTEN, ContactConsent.Method.WRITTEN.label),
                (ContactConsent.Method.ORAL, ContactConsent.Method.ORAL.label),
            ],
            help_text=_("À indiquer quand une case ci-dessus change."),
        )
        self.fields["consent_date"] = forms.DateField(
            label=_("Date de l'accord ou du retrait"),
            required=False,
            widget=DateInput(),
            help_text=_("Aujourd'hui si vide ; la date du bulletin signé s'il est plus ancien."),
        )
        self.fields["consent_collected_by"] = CollectorChoiceField(
            label=_("Recueilli par"),
            # « Moi-même » stands for the person keying in: not listed a second time.
            queryset=consent.consent_collectors().exclude(pk=getattr(self.user, "pk", None)),
            required=False,
            empty_label=_("Moi-même"),
            help_text=_(
                "Le compte de la personne qui a recueilli l'accord ou le retrait (un·e "
                "formateur·rice qui a pris le bulletin en session, par exemple). Quelqu'un "
                "sans compte : laissez « Moi-même » et nommez-le en précision."
            ),
        )
        self.fields["consent_note"] = forms.CharField(
            label=_("Précision (facultatif)"),
            required=False,
            max_length=255,
            help_text=_("Par exemple : « bulletin classé au dossier de la session du 12 mars »."),
        )
        return (*names, *self.COLLECTION_FIELDS)

    def consent_changes(self) -> list[tuple[str, str, bool]]:
        """(channel, purpose, given) for each box the user changed."""
        return [
            (channel, purpose, bool(self.cleaned_data.get(consent_field_name(channel, purpose))))
            for channel, purpose in consent.PAIRS
            if consent_field_name(channel, purpose) in self.changed_data
        ]

    def consent_at(self):
        """When the person agreed or withdrew: now, or the start of the day given."""
        day = self.cleaned_data.get("consent_date")
        if day is None or day == timezone.localdate():
            return None
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    def consent_collection(self) -> dict:
        """The keyword arguments of `services.participant_consents_record` but the
        participant and the actor."""
        return {
            "changes": self.consent_changes(),
            "method": self.cleaned_data.get("consent_method"),
            "at": self.consent_at(),
            "collected_by": self.cleaned_data.get("consent_collected_by"),
            "note": self.cleaned_data.get("consent_note") or "",
        }

    def clean_consent_fields(self, cleaned: dict) -> None:
        method_missing = not cleaned.get("consent_method") and "consent_method" not in self.errors
        if self.consent_changes() and method_missing:
            self.add_error(
                "consent_method",
                _("Indiquez comment la personne a donné ou retiré son accord."),
            )
        day = cleaned.get("consent_date")
        if day is not None and day > timezone.localdate():
            self.add_error("consent_date", _("Cette date est dans le futur."))


# A participant's own details, as both the application's form and the admin edit them.
PARTICIPANT_FIELDS = [
    "last_name",
    "first_name",
    "email",
    "phone",
    "job_title",
    "structure",
    "post_taken_on",
]


class ParticipantForm(ConsentFieldsMixin, UserScopedModelForm):
    """The participant's record, and their consents (`ConsentFieldsMixin`), whose changes
    `services.participant_save` records as consent rows (given or withdrawn)."""

    class Meta:
        model = Participant
        fields = PARTICIPANT_FIELDS
        widgets = {
            "post_taken_on": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "email": _("Sert aux convocations et aux liens d'émargement ; unique par personne."),
            "phone": _(
                "Comme on le compose en France (06 12 34 56 78, 0639 01 23 45) ou avec "
                "l'indicatif (+262 639 01 23 45). Enregistré au format international."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = selectors.structures_visible_to(user=self.user)
        consent_names = self.add_consent_fields(self.instance)
        if self.instance.pk and self.instance.phone:
            self.initial["phone"] = format_national(self.instance.phone)
        self.fieldsets = [
            ("", tuple(self._meta.fields)),
            (self.CONSENT_LEGEND, consent_names),
        ]

    def clean(self):
        cleaned = super().clean()
        phone = cleaned.get("phone")
        if phone:
            try:
                cleaned["phone"] = normalize_phone(
                    phone, region=region_for_structure(cleaned.get("structure"))
                )
            except PhoneError as exc:
                self.add_error("phone", forms.ValidationError(exc.message, code=exc.code))
        self.clean_consent_fields(cleaned)
        return cleaned

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip()
        return _unique_ci(
            self,
            Participant,
            "email",
            email,
            _("Un·e participant·e est déjà inscrit·e avec cette adresse e-mail."),
        )


class ParticipantConsentForm(ConsentFieldsMixin, FieldsetsMixin, forms.Form):
    """Recording or withdrawing consents alone, from the participant's page: the boxes
    and how the change was collected, nothing of the record."""

    def __init__(self, *args, participant: Participant, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.participant = participant
        self.user = user
        names = self.add_consent_fields(participant)
        self.fieldsets = [
            (_("Cochez ou décochez les accords qui changent"), names[: len(consent.PAIRS)]),
            (_("Recueil de l'accord ou du retrait"), self.COLLECTION_FIELDS),
        ]
        self.fields["consent_method"].help_text = ""

    def clean(self):
        cleaned = super().clean()
        if not self.consent_changes():
            raise forms.ValidationError(
                _("Aucune case n'a changé : cochez ou décochez un accord avant d'enregistrer."),
                code="no_change",
            )
        self.clean_consent_fields(cleaned)
        return cleaned
