"""Filters of the formations lists. Every dropdown offers only what the user may see:
querysets are callables of the request that start from the scoped selectors."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from formations import selectors
from formations.models import Formation, Funder, Participant, Programme, Structure, User
from formations.permissions import can_see_contact_details


def _user(request):
    return getattr(request, "user", None)


def visible_programmes(request):
    user = _user(request)
    if user is None:
        return Programme.objects.none()
    return selectors.programmes_visible_to(user=user).order_by("reference")


def visible_structures(request):
    user = _user(request)
    if user is None:
        return Structure.objects.none()
    return selectors.structures_visible_to(user=user).order_by("sort_key", "pk")


def visible_funders(request):
    user = _user(request)
    if user is None:
        return Funder.objects.none()
    return Funder.objects.filter(
        Exists(selectors.programmes_visible_to(user=user).filter(funders=OuterRef("pk")))
    ).order_by("name")


def search_words(queryset, fields: tuple[str, ...], value: str):
    """Every word must match at least one of the fields (case-insensitive, substring)."""
    for word in value.split():
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with a free-text `q` over `search_fields` and territory choices drawn
    from the structures the user may see."""

    search_fields: tuple[str, ...] = ()
    search_hint = ""

    q = django_filters.CharFilter(label=_("Recherche"), method="filter_search")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["q"].extra["widget"] = forms.TextInput(
            attrs={"type": "search", "placeholder": self.search_hint}
        )
        if "territory" in self.filters:
            self.filters["territory"].extra["choices"] = self.territory_choices()

    def territory_choices(self):
        user = _user(self.request)
        if user is None:
            return []
        territories = (
            selectors.structures_visible_to(user=user)
            .exclude(territory="")
            .order_by("territory")
            .values_list("territory", flat=True)
            .distinct()
        )
        return [(territory, territory) for territory in territories]

    def filter_search(self, queryset, name, value):
        return search_words(queryset, self.search_fields, value)


def _has_partner(*, programme: str, **structure_lookups) -> Exists:
    """True where the programme at `programme` (on the outer query) has a partner
    structure matching `structure_lookups`."""
    return Exists(
        selectors.ProgrammeStructure.objects.filter(
            programme_id=OuterRef(programme), **structure_lookups
        )
    )


def _territory_filter(field_name):
    return django_filters.ChoiceFilter(
        label=_("Territoire"), field_name=field_name, choices=[], empty_label=_("Tous")
    )


def _kind_filter(field_name):
    return django_filters.ChoiceFilter(
        label=_("Type de structure"),
        field_name=field_name,
        choices=Structure.Kind.choices,
        empty_label=_("Tous"),
    )


PERSON_PROFESSIONALS = "professional"
PERSON_MEMBERS = "members"
PERSON_ALL = "all"


class ParticipantFilter(SearchFilterSet):
    search_hint = _("Nom, prénom, e-mail, fonction, structure, commune")
    search_fields = (
        "last_name",
        "first_name",
        "email",
        "job_title",
        "structure__name",
        "structure__commune",
    )

    kind = _kind_filter("structure__kind")
    territory = _territory_filter("structure__territory")
    structure = django_filters.ModelChoiceFilter(
        label=_("Structure"), queryset=visible_structures, empty_label=_("Toutes")
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        queryset=visible_programmes,
        method="filter_programme",
        empty_label=_("Tous"),
    )
    # The structures' members (residents, volunteers, partners) are followed in Alertes:
    # the list shows the professionals in training unless asked otherwise.
    person = django_filters.ChoiceFilter(
        label=_("Personnes"),
        choices=[
            (PERSON_PROFESSIONALS, _("Professionnel·les en formation")),
            (PERSON_MEMBERS, _("Adhérent·es des structures (Alertes)")),
            (PERSON_ALL, _("Tout le monde")),
        ],
        method="filter_person",
        empty_label=None,
    )

    class Meta:
        model = Participant
        fields = ["q", "person", "kind", "territory", "structure", "programme"]

    def __init__(self, *args, **kwargs):
        data = args[0] if args else kwargs.get("data")
        if data is None or not data.get("person"):
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["person"] = PERSON_PROFESSIONALS
            if args:
                args = (data, *args[1:])
            else:
                kwargs["data"] = data
        user = _user(kwargs.get("request"))
        if user is not None and not can_see_contact_details(user):
            # Searching by e-mail would tell who owns an address the page does not show.
            self.search_fields = tuple(f for f in self.search_fields if f != "email")
            self.search_hint = _("Nom, prénom, fonction, structure, commune")
        super().__init__(*args, **kwargs)

    def filter_person(self, queryset, name, value):
        if value == PERSON_MEMBERS:
            return queryset.filter(kind__in=Participant.MEMBER_KINDS)
        if value == PERSON_ALL:
            return queryset
        return queryset.filter(kind=Participant.Kind.PROFESSIONAL)

    def filter_programme(self, queryset, name, value):
        # A participant belongs to a programme through a partner structure or an enrolment.
        by_structure = selectors.ProgrammeStructure.objects.filter(
            programme=value, structure_id=OuterRef("structure_id")
        )
        by_enrolment = Formation.objects.filter(
            programme=value, sessions__enrolments__participant_id=OuterRef("pk")
        )
        return queryset.filter(Exists(by_structure) | Exists(by_enrolment))


class StructureFilter(SearchFilterSet):
    search_hint = _("Nom, commune, code postal, territoire")
    search_fields = ("name", "commune", "postal_code", "territory", "address")

    kind = _kind_filter("kind")
    territory = _territory_filter("territory")
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        queryset=visible_programmes,
        method="filter_programme",
        empty_label=_("Tous"),
    )

    class Meta:
        model = Structure
        fields = ["q", "kind", "territory", "programme"]

    def filter_programme(self, queryset, name, value):
        return queryset.filter(
            Exists(
                selectors.ProgrammeStructure.objects.filter(
                    programme=value, structure_id=OuterRef("pk")
                )
            )
        )


class ProgrammeFilter(SearchFilterSet):
    search_hint = _("Référence, intitulé, porteur")
    search_fields = ("reference", "title", "carrier", "description")

    funder = django_filters.ModelChoiceFilter(
        label=_("Financeur"),
        queryset=visible_funders,
        method="filter_funder",
        empty_label=_("Tous"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Type de structure partenaire"),
        choices=Structure.Kind.choices,
        method="filter_kind",
        empty_label=_("Tous"),
    )
    territory = django_filters.ChoiceFilter(
        label=_("Territoire"), choices=[], method="filter_territory", empty_label=_("Tous")
    )

    class Meta:
        model = Programme
        fields = ["q", "funder", "kind", "territory"]

    def filter_funder(self, queryset, name, value):
        return queryset.filter(
            Exists(
                selectors.ProgrammeFunder.objects.filter(programme_id=OuterRef("pk"), funder=value)
            )
        )

    def filter_kind(self, queryset, name, value):
        return queryset.filter(_has_partner(programme="pk", structure__kind=value))

    def filter_territory(self, queryset, name, value):
        return queryset.filter(_has_partner(programme="pk", structure__territory=value))


class FormationFilter(SearchFilterSet):
    search_hint = _("Référence du marché, intitulé, programme")
    search_fields = ("contract_reference", "title", "programme__reference", "programme__title")

    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=visible_programmes, empty_label=_("Tous")
    )
    pricing_mode = django_filters.ChoiceFilter(
        label=_("Mode de tarification"),
        choices=Formation.PricingMode.choices,
        empty_label=_("Tous"),
    )
    territory = django_filters.ChoiceFilter(
        label=_("Territoire"), choices=[], method="filter_territory", empty_label=_("Tous")
    )

    class Meta:
        model = Formation
        fields = ["q", "programme", "pricing_mode", "territory"]

    def filter_territory(self, queryset, name, value):
        return queryset.filter(_has_partner(programme="programme_id", structure__territory=value))


class FunderFilter(SearchFilterSet):
    search_hint = _("Nom, mention obligatoire")
    search_fields = ("name", "publicity_sentence")

    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Funder.Kind.choices, empty_label=_("Tous")
    )

    class Meta:
        model = Funder
        fields = ["q", "kind"]


class AccountFilter(SearchFilterSet):
    search_hint = _("Nom, prénom, nom d’utilisateur, e-mail")
    search_fields = ("last_name", "first_name", "username", "email")

    role = django_filters.ChoiceFilter(
        label=_("Rôle"), choices=User.Role.choices, empty_label=_("Tous")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("État"),
        choices=[("1", _("actifs")), ("0", _("désactivés"))],
        empty_label=_("Tous"),
        method="filter_active",
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")
