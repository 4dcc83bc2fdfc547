"""Forms of the members' pages: registration (identity, groups of the structure only,
consent boxes with their exact wording), edit, consents recorded from the profile, and
the list's filters. Phones are normalised to E.164 with the structure's region."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.consent import STRUCTURE_PAIRS, current_wording
from formations.forms import DateInput, FieldsetsMixin
from formations.member_groups import current_groups
from formations.members import MemberData
from formations.models import Channel, ContactConsent, Participant, Purpose, User
from formations.phones import PhoneError, format_national, normalize_phone, region_for_structure

KIND_CHOICES = [(kind.value, kind.label) for kind in Participant.MEMBER_KINDS]
# How a member's consent reaches the team (the others are the system's own).
TEAM_METHODS = (
    ContactConsent.Method.PAPER,
    ContactConsent.Method.ORAL,
    ContactConsent.Method.WRITTEN,
)
METHOD_CHOICES = [(method.value, method.label) for method in TEAM_METHODS]
OLDEST_AGE = 120


def consent_field(channel: str, purpose: str) -> str:
    return f"consent_{channel}_{purpose}"


def _groups_field(structure):
    return forms.ModelMultipleChoiceField(
        label=_("Groupes"),
        queryset=current_groups(structure),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Les groupes de la structure auxquels la personne est inscrite."),
    )


class MemberForm(FieldsetsMixin, forms.Form):
    """Identity, contact details and groups of a member of `structure`."""

    fieldsets = [
        (
            _("Identité"),
            ("kind", "last_name", "first_name", "date_of_birth"),
        ),
        (_("Coordonnées"), ("email", "phone", "address", "postal_code", "commune")),
        (_("Groupes"), ("groups",)),
    ]

    kind = forms.ChoiceField(label=_("Type d'adhérent·e"), choices=KIND_CHOICES)
    last_name = forms.CharField(label=_("Nom"), max_length=120)
    first_name = forms.CharField(label=_("Prénom"), max_length=120)
    date_of_birth = forms.DateField(
        label=_("Date de naissance"), required=False, widget=DateInput()
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        required=False,
        help_text=_("Un mobile pour recevoir les SMS, par exemple 06 12 34 56 78."),
    )
    address = forms.CharField(label=_("Adresse"), max_length=255, required=False)
    postal_code = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    commune = forms.CharField(label=_("Commune"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Remarque"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, structure, **kwargs):
        self.structure = structure
        super().__init__(*args, **kwargs)
        self.fields["groups"] = _groups_field(structure)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})
        self.fields["postal_code"].widget.attrs["inputmode"] = "numeric"

    def clean_phone(self):
        text = self.cleaned_data["phone"].strip()
        if not text:
            return ""
        try:
            return normalize_phone(text, region=region_for_structure(self.structure))
        except PhoneError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is None:
            return None
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        if born < today.replace(year=today.year - OLDEST_AGE, day=min(today.day, 28)):
            raise forms.ValidationError(
                _("Vérifiez la date de naissance : elle donne plus de %(age)s ans.")
                % {"age": OLDEST_AGE}
            )
        return born

    def member_data(self) -> MemberData:
        data = self.cleaned_data
        return MemberData(
            kind=data["kind"],
            last_name=data["last_name"],
            first_name=data["first_name"],
            email=data["email"],
            phone=data["phone"],
            date_of_birth=data["date_of_birth"],
            address=data["address"],
            postal_code=data["postal_code"],
            commune=data["commune"],
            groups=list(data["groups"]),
            note=data["note"],
        )

    @classmethod
    def initial_for(cls, membership) -> dict:
        person = membership.participant
        return {
            "kind": person.kind,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "date_of_birth": person.date_of_birth,
            "email": person.email,
            "phone": format_national(person.phone) if person.phone else "",
            "address": person.address,
            "postal_code": person.postal_code,
            "commune": person.commune,
            "groups": list(membership.groups.all()),
            "note": membership.note,
        }


def _check_addresses(form, cleaned, given_pairs) -> None:
    """A box ticked for a channel the person gives no address for: said next to it."""
    channels = {channel for channel, _purpose in given_pairs}
    if Channel.SMS in channels and "phone" in cleaned and not cleaned["phone"]:
        form.add_error("phone", _("Indiquez un numéro de mobile pour l'accord par SMS."))
    if Channel.EMAIL in channels and "email" in cleaned and not cleaned["email"]:
        form.add_error("email", _("Indiquez une adresse e-mail pour l'accord par e-mail."))


class MemberRegisterForm(MemberForm):
    """Registration: the member's form with the consent boxes, per channel, in the words
    the person agrees to (`formations.consent.WORDINGS`), and how they were collected."""

    # No default: an oral agreement must not be recorded as a signed paper form.
    consent_method = forms.ChoiceField(
        label=_("Comment l'accord a été recueilli"),
        choices=[("", _("— choisissez —")), *METHOD_CHOICES],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel, purpose in STRUCTURE_PAIRS:
            self.fields[consent_field(channel, purpose)] = forms.BooleanField(
                label=current_wording(channel, purpose).text, required=False
            )
        self.fieldsets = [
            *self.fieldsets,
            (
                _("Accords de la personne"),
                (
                    *(consent_field(c, p) for c, p in STRUCTURE_PAIRS),
                    "consent_method",
                ),
            ),
            ("", ("note",)),
        ]

    def given_pairs(self) -> list[tuple[str, str]]:
        return [
            (channel, purpose)
            for channel, purpose in STRUCTURE_PAIRS
            if self.cleaned_data.get(consent_field(channel, purpose))
        ]

    def clean(self):
        cleaned = super().clean()
        _check_addresses(self, cleaned, self.given_pairs())
        if self.given_pairs() and not cleaned.get("consent_method"):
            self.add_error(
                "consent_method",
                _("Dites comment l'accord a été recueilli (papier signé, oral, par écrit)."),
            )
        return cleaned

    def member_data(self) -> MemberData:
        data = super().member_data()
        data.consents = self.given_pairs()
        if data.consents:
            data.consent_method = self.cleaned_data["consent_method"]
        return data


class MemberEditForm(MemberForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fieldsets = [*self.fieldsets, ("", ("note",))]


def collector_choices(structure, actor):
    """Who may be named as having collected the person's answer: the structure's active
    team accounts, and the actor."""
    return User.objects.filter(
        Q(structure=structure, role__in=(User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF))
        | Q(pk=actor.pk),
        is_active=True,
    ).order_by("last_name", "first_name", "username")


class MemberConsentForm(forms.Form):
    """One box per channel and purpose agreed with the structure, checked where it stands
    given; unticking one records a withdrawal (always possible). How and when the person
    answered, and who collected it."""

    method = forms.ChoiceField(
        label=_("Comment la personne a répondu"),
        choices=METHOD_CHOICES,
        initial=ContactConsent.Method.PAPER,
    )
    on = forms.DateField(
        label=_("Date de la réponse"),
        widget=DateInput(),
        help_text=_("Aujourd'hui, ou le jour où le bulletin a été signé."),
    )
    collected_by = forms.ModelChoiceField(
        label=_("Recueilli par"), queryset=User.objects.none(), empty_label=None
    )
    note = forms.CharField(label=_("Remarque"), max_length=500, required=False)

    def __init__(self, *args, membership, current, actor, proposed=(), **kwargs):
        """`proposed`: the field names ticked on a registration form that found the person
        already registered, pre-ticked here and not saved until the form is. Once the
        follow-up ended, withdrawals only: a box for what stands given, nothing else."""
        super().__init__(*args, **kwargs)
        self.current = current
        self.withdraw_only = not membership.is_active
        self.fields["on"].initial = timezone.localdate()
        self.fields["collected_by"].queryset = collector_choices(membership.structure, actor)
        self.fields["collected_by"].initial = actor.pk
        for channel, purpose in STRUCTURE_PAIRS:
            row = current.get((channel, purpose))
            given = bool(row and row.action == ContactConsent.Action.GIVEN)
            if self.withdraw_only and not given:
                continue
            name = consent_field(channel, purpose)
            self.fields[name] = forms.BooleanField(
                label=current_wording(channel, purpose).text,
                required=False,
                initial=given or (name in proposed and not self.withdraw_only),
            )

    def grouped(self):
        """[(purpose label, [bound fields])]: the structure's news, then the reminders."""
        groups = []
        for purpose in dict.fromkeys(p for _c, p in STRUCTURE_PAIRS):
            fields = [
                self[consent_field(channel, purpose)]
                for channel in Channel.values
                if (channel, purpose) in STRUCTURE_PAIRS
                and consent_field(channel, purpose) in self.fields
            ]
            if fields:
                groups.append((Purpose(purpose).label, fields))
        return groups

    def how_fields(self):
        return [self[name] for name in ("method", "on", "collected_by", "note")]

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("La date ne peut pas être dans le futur."))
        return on

    def at(self) -> dt.datetime | None:
        """When the person answered: now for today, else midday of that day."""
        on = self.cleaned_data["on"]
        if on == timezone.localdate():
            return None
        return timezone.make_aware(dt.datetime.combine(on, dt.time(12)))

    def changes(self) -> list[tuple[str, str, bool]]:
        changed = []
        for channel, purpose in STRUCTURE_PAIRS:
            if consent_field(channel, purpose) not in self.fields:
                continue
            row = self.current.get((channel, purpose))
            was = bool(row and row.action == ContactConsent.Action.GIVEN)
            now = self.cleaned_data[consent_field(channel, purpose)]
            if now != was:
                changed.append((channel, purpose, now))
        return changed


class MemberResumeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Je confirme la reprise du suivi : la personne revient dans la liste et peut de "
            "nouveau recevoir les messages qu'elle a acceptés."
        ),
    )


class MemberEndForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme la fin du suivi : la personne ne recevra plus aucun message."),
    )


CONSENT_FILTER_CHOICES = [
    ("", _("Tous")),
    (Channel.SMS, _("Accord SMS donné")),
    (Channel.EMAIL, _("Accord e-mail donné")),
]


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Recherche"), required=False)
    group = forms.ModelChoiceField(
        label=_("Groupe"), queryset=None, required=False, empty_label=_("Tous")
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Tous")), *KIND_CHOICES], required=False
    )
    consent = forms.ChoiceField(
        label=_("Accord pour l'actualité"), choices=CONSENT_FILTER_CHOICES, required=False
    )
    ended = forms.BooleanField(label=_("Inclure les suivis terminés"), required=False)

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = current_groups(structure)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Nom, prénom, e-mail, téléphone")}
        )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "search": data["q"],
            "group": data["group"],
            "kind": data["kind"],
            "consent_channel": data["consent"],
            "include_ended": data["ended"],
        }
