"""Likely duplicates among members across structures, for the coordinators' merge page:
two member records (professionals never) with the same e-mail (any case), the same phone
number, or the same name (sort key) and date of birth. A constant number of queries,
whatever the number of people."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from formations.models import Membership, Participant

REASONS = {
    "email": gettext_lazy("même adresse e-mail"),
    "phone": gettext_lazy("même numéro de téléphone"),
    "name_birth": gettext_lazy("mêmes nom, prénom et date de naissance"),
}


@dataclass
class DuplicatePair:
    first: Participant
    second: Participant
    reasons: list[str] = field(default_factory=list)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[reason]) for reason in self.reasons]


def _repeated(queryset, *fields):
    return list(
        queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).values_list(*fields)
    )


def likely_duplicates() -> list[DuplicatePair]:
    """Pairs of member records that are probably one person, in French alphabetical
    order, each pair once with every reason that matched. Each person comes with their
    memberships and structures (`person.memberships.all()`)."""
    members = Participant.objects.filter(kind__in=Participant.MEMBER_KINDS)
    emails = [
        row[0]
        for row in _repeated(
            members.exclude(email="").annotate(email_ci=Lower("email")), "email_ci"
        )
    ]
    phones = [row[0] for row in _repeated(members.exclude(phone=""), "phone")]
    names = set(_repeated(members.exclude(date_of_birth=None), "sort_key", "date_of_birth"))
    if not (emails or phones or names):
        return []
    wanted = Q(email_ci__in=emails) | Q(phone__in=phones)
    if names:
        wanted |= Q(
            sort_key__in={key for key, _birth in names},
            date_of_birth__in={birth for _key, birth in names},
        )
    people = list(
        members.annotate(email_ci=Lower("email"))
        .filter(wanted)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("structure").order_by(
                    "structure__sort_key", "pk"
                ),
            )
        )
        .order_by("sort_key", "pk")
    )
    buckets: dict[tuple, list[Participant]] = {}
    email_set, phone_set = set(emails), set(phones)
    for person in people:
        if person.email and person.email_ci in email_set:
            buckets.setdefault(("email", person.email_ci), []).append(person)
        if person.phone and person.phone in phone_set:
            buckets.setdefault(("phone", person.phone), []).append(person)
        if (person.sort_key, person.date_of_birth) in names:
            buckets.setdefault(("name_birth", person.sort_key, person.date_of_birth), []).append(
                person
            )
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    for key, group in buckets.items():
        for first, second in combinations(group, 2):
            pair = pairs.setdefault((first.pk, second.pk), DuplicatePair(first, second))
            if key[0] not in pair.reasons:
                pair.reasons.append(key[0])
    return sorted(
        pairs.values(),
        key=lambda pair: (pair.first.sort_key, pair.first.pk, pair.second.sort_key, pair.second.pk),
    )
