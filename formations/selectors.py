"""Reads of the formations app. Every list, detail, export and document starts here, so
what a user may see is decided in one place.

Scoping is written as correlated `EXISTS` over the link tables, never as `pk IN (SELECT
… WHERE … IN (SELECT …))`: the nested form joined each table back to itself at every level,
and with stale statistics PostgreSQL planned those self-joins as nested loops of sequential
scans (an auditor's list page took minutes on the test database). `EXISTS` also never
duplicates rows, so no `DISTINCT` is needed.
"""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from formations.models import (
    Formation,
    Funder,
    Participant,
    Programme,
    ProviderIdentity,
    Structure,
    User,
)
from formations.permissions import can_manage, is_funder_auditor, is_structure_referent, is_trainer

ProgrammeFunder = Programme.funders.through
ProgrammeStructure = Programme.structures.through
UserFunder = User.funders.through


def audited_programme(*, user, programme: str) -> Exists:
    """True where the programme at `programme` (a lookup on the outer query, e.g.
    `"formation__programme"`) is funded by one of the auditor's funders."""
    return Exists(
        ProgrammeFunder.objects.filter(
            Exists(UserFunder.objects.filter(user_id=user.pk, funder_id=OuterRef("funder_id"))),
            programme_id=OuterRef(programme),
        )
    )


def _trained_sessions(user):
    """The trainer's sessions, reached through the reverse relation so that this app does
    not import the sessions app."""
    return user.trained_sessions.all()


def programmes_visible_to(*, user) -> QuerySet[Programme]:
    qs = Programme.objects.all()
    if can_manage(user):
        return qs
    if is_funder_auditor(user):
        return qs.filter(audited_programme(user=user, programme="pk"))
    if is_structure_referent(user):
        return qs.filter(
            Exists(
                ProgrammeStructure.objects.filter(
                    programme_id=OuterRef("pk"), structure_id=user.structure_id
                )
            )
        )
    if is_trainer(user):
        return qs.filter(
            Exists(_trained_sessions(user).filter(formation__programme_id=OuterRef("pk")))
        )
    return qs.none()


def formations_visible_to(*, user) -> QuerySet[Formation]:
    qs = Formation.objects.select_related("programme")
    if can_manage(user):
        return qs
    if is_trainer(user):
        return qs.filter(Exists(_trained_sessions(user).filter(formation_id=OuterRef("pk"))))
    return qs.filter(Exists(programmes_visible_to(user=user).filter(pk=OuterRef("programme_id"))))


def structures_visible_to(*, user) -> QuerySet[Structure]:
    qs = Structure.objects.all()
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(pk=user.structure_id)
    if is_funder_auditor(user):
        return qs.filter(
            Exists(
                ProgrammeStructure.objects.filter(structure_id=OuterRef("pk")).filter(
                    audited_programme(user=user, programme="programme_id")
                )
            )
        )
    if is_trainer(user):
        # The structures of their sessions' people, and the partner structures of the
        # programmes they train (whose fiches projet they edit); the people shown stay
        # those of their sessions (`participants_visible_to`).
        trained_programmes = _trained_sessions(user).filter(
            formation__programme_id=OuterRef("programme_id")
        )
        return qs.filter(
            Exists(
                _trained_sessions(user).filter(enrolments__participant__structure_id=OuterRef("pk"))
            )
            | Exists(
                ProgrammeStructure.objects.filter(
                    Exists(trained_programmes), structure_id=OuterRef("pk")
                )
            )
        )
    return qs.none()


def participants_visible_to(*, user) -> QuerySet[Participant]:
    """Structures never see each other's people (the tenders ask it).

    Outside coordinators, the people of the training programmes only: members (residents,
    volunteers, partners) are seen through their membership in Alertes
    (`alertes.selectors`), never here. A member two structures follow has one record,
    registered by one of them; its pages here would show what the person agreed to with
    the other (issue 12). Members are never enrolled (`sessions.services.enrolment`), so
    lists, certificates and counts of the programmes lose nobody."""
    qs = Participant.objects.select_related("structure")
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(structure_id=user.structure_id).exclude(kind__in=Participant.MEMBER_KINDS)
    if is_trainer(user):
        return qs.filter(
            Exists(_trained_sessions(user).filter(enrolments__participant_id=OuterRef("pk")))
        )
    if is_funder_auditor(user):
        return qs.filter(
            Exists(
                Formation.objects.filter(
                    sessions__enrolments__participant_id=OuterRef("pk")
                ).filter(audited_programme(user=user, programme="programme_id"))
            )
        )
    return qs.none()


def funder_with_emblem(*, name: str) -> Funder | None:
    """The funder whose logo is stored under `name` (relative to MEDIA_ROOT), or None.

    Logos are public (they are printed on every document), so nothing is scoped by user;
    but only a file that is some funder's current logo is ever served: the media folder
    also holds paper scans and uploads, which are private."""
    return Funder.objects.filter(emblem=name).exclude(emblem="").only("pk", "emblem").first()


# --- What the list and detail pages show ----------------------------------------------------


def all_funders() -> QuerySet[Funder]:
    """Funders are not scoped: their names and logos are printed on every document.
    Only coordinators reach the funder pages."""
    return Funder.objects.all()


def funders_with_counts() -> QuerySet[Funder]:
    """Every funder with its number of programmes, by name."""
    return Funder.objects.annotate(programme_count=Count("programmes")).order_by("name", "pk")


def programmes_with_funders(*, user) -> QuerySet[Programme]:
    """The visible programmes, each with its funders by name (one extra query)."""
    return programmes_visible_to(user=user).prefetch_related(
        Prefetch("funders", queryset=Funder.objects.order_by("name"))
    )


def structures_with_counts(*, user) -> QuerySet[Structure]:
    """Visible structures with the number of their participants this user may see, in
    French order (explicit: Meta.ordering does not apply to a GROUP BY query)."""
    qs = structures_visible_to(user=user).order_by("sort_key", "pk")
    if can_manage(user):
        return qs.annotate(participant_count=Count("participants"))
    visible = participants_visible_to(user=user).values("pk")
    return qs.annotate(participant_count=Count("participants", filter=Q(participants__in=visible)))


def programme_funders(*, programme: Programme) -> QuerySet[Funder]:
    return programme.funders.order_by("name")


def programme_structures(*, programme: Programme, user) -> QuerySet[Structure]:
    """The programme's partner structures the user may see, in French order."""
    return structures_visible_to(user=user).filter(programmes=programme).order_by("sort_key", "pk")


def programme_formations(*, programme: Programme, user) -> QuerySet[Formation]:
    return (
        formations_visible_to(user=user).filter(programme=programme).order_by("contract_reference")
    )


def structure_participants(*, structure: Structure, user) -> QuerySet[Participant]:
    """The structure's people the user may see (a trainer: those of their sessions)."""
    return participants_visible_to(user=user).filter(structure=structure)


def structure_programmes(*, structure: Structure, user) -> QuerySet[Programme]:
    """The visible programmes the structure is a partner of, newest first."""
    return (
        programmes_visible_to(user=user)
        .filter(pk__in=structure.programmes.values("pk"))
        .order_by("-start_date")
    )


def structure_is_visible(*, structure_id: int | None, user) -> bool:
    """Whether the page of that structure would open for the user (a participant's page
    links to it only then)."""
    return structures_visible_to(user=user).filter(pk=structure_id).exists()


def funder_programmes(*, funder: Funder, user) -> QuerySet[Programme]:
    return programmes_visible_to(user=user).filter(funders=funder).order_by("-start_date")


def provider_identity() -> ProviderIdentity | None:
    """The training organisation's identity (`ProviderIdentity`), or None until a
    coordinator sets it. Not scoped: it is printed on the certificates."""
    return ProviderIdentity.objects.first()
