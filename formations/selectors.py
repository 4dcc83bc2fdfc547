"""Reads of the formations app. Every list, detail, export and document starts here, so
what a user may see is decided in one place."""

from django.db.models import QuerySet

from formations.models import Formation, Funder, Participant, Programme, Structure
from formations.permissions import can_manage, is_funder_auditor, is_structure_referent, is_trainer


def programmes_visible_to(*, user) -> QuerySet[Programme]:
    qs = Programme.objects.all()
    if can_manage(user):
        return qs
    if is_funder_auditor(user):
        return qs.filter(pk__in=Programme.objects.filter(funders__auditors=user).values("pk"))
    if is_structure_referent(user):
        return qs.filter(pk__in=Programme.objects.filter(structures=user.structure_id).values("pk"))
    if is_trainer(user):
        return qs.filter(
            pk__in=Programme.objects.filter(formations__sessions__trainers=user).values("pk")
        )
    return qs.none()


def formations_visible_to(*, user) -> QuerySet[Formation]:
    qs = Formation.objects.select_related("programme")
    if can_manage(user):
        return qs
    if is_trainer(user):
        return qs.filter(pk__in=Formation.objects.filter(sessions__trainers=user).values("pk"))
    return qs.filter(programme__in=programmes_visible_to(user=user))


def structures_visible_to(*, user) -> QuerySet[Structure]:
    qs = Structure.objects.all()
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(pk=user.structure_id)
    if is_funder_auditor(user):
        return qs.filter(
            pk__in=Structure.objects.filter(programmes__in=programmes_visible_to(user=user)).values(
                "pk"
            )
        )
    if is_trainer(user):
        return qs.filter(pk__in=participants_visible_to(user=user).values("structure_id"))
    return qs.none()


def participants_visible_to(*, user) -> QuerySet[Participant]:
    """Structures never see each other's people (the tenders ask it)."""
    qs = Participant.objects.select_related("structure")
    if can_manage(user):
        return qs
    if is_structure_referent(user):
        return qs.filter(structure_id=user.structure_id)
    if is_trainer(user):
        return qs.filter(
            pk__in=Participant.objects.filter(enrolments__session__trainers=user).values("pk")
        )
    if is_funder_auditor(user):
        return qs.filter(
            pk__in=Participant.objects.filter(
                enrolments__session__formation__programme__in=programmes_visible_to(user=user)
            ).values("pk")
        )
    return qs.none()


def funder_with_emblem(*, name: str) -> Funder | None:
    """The funder whose logo is stored under `name` (relative to MEDIA_ROOT), or None.

    Logos are public (they are printed on every document), so nothing is scoped by user;
    but only a file that is some funder's current logo is ever served: the media folder
    also holds paper scans and uploads, which are private."""
    return Funder.objects.filter(emblem=name).exclude(emblem="").only("pk", "emblem").first()
