"""Filters of the session list. Dropdowns offer only what the user may see."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.models import Formation, Programme
from formations.selectors import formations_visible_to, programmes_visible_to
from sessions.models import Slot, TrainingSession


def _formations(request):
    if request is None:
        return Formation.objects.none()
    return formations_visible_to(user=request.user).order_by("contract_reference")


def _programmes(request):
    if request is None:
        return Programme.objects.none()
    return programmes_visible_to(user=request.user).order_by("title")


def _day_bound(value: dt.date, time: dt.time) -> dt.datetime:
    # Dates typed in the filter are read in the site's zone (Europe/Paris); a session
    # overseas may be a few hours off at the edges of the range.
    return timezone.make_aware(dt.datetime.combine(value, time))


class SessionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_search")
    formation = django_filters.ModelChoiceFilter(label=_("Formation"), queryset=_formations)
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=_programmes, field_name="formation__programme"
    )
    status = django_filters.ChoiceFilter(
        label=_("Statut"), choices=TrainingSession.Status.choices, empty_label=_("Tous")
    )
    modality = django_filters.ChoiceFilter(
        label=_("Modalité"), choices=TrainingSession.Modality.choices, empty_label=_("Toutes")
    )
    date_from = django_filters.DateFilter(
        label=_("Du"),
        method="filter_date_from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = django_filters.DateFilter(
        label=_("Au"),
        method="filter_date_to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = TrainingSession
        fields = ["q", "formation", "programme", "status", "modality", "date_from", "date_to"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(code__icontains=word)
                | Q(place__icontains=word)
                | Q(formation__contract_reference__icontains=word)
                | Q(formation__title__icontains=word)
            )
        return queryset

    def filter_date_from(self, queryset, name, value):
        """Sessions with a half-day ending on or after that day."""
        slots = Slot.objects.filter(
            session_id=OuterRef("pk"), ends_at__gte=_day_bound(value, dt.time.min)
        )
        return queryset.filter(Exists(slots))

    def filter_date_to(self, queryset, name, value):
        """Sessions with a half-day starting on or before that day."""
        slots = Slot.objects.filter(
            session_id=OuterRef("pk"), starts_at__lte=_day_bound(value, dt.time.max)
        )
        return queryset.filter(Exists(slots))
