"""Who sees and edits which fiche projet. Every page of the app starts here.

* Coordinators: every structure of every programme.
* Trainers of a programme (they train one of its sessions): every partner structure of it,
  and they edit its fiches (they follow the teams between the labos).
* A structure's referent: their own structure's fiche in each programme it takes part in,
  and they edit it. Another structure's fiche is « not found » (404), never « forbidden ».
* Funder auditors: the fiches of the programmes their funders fund, read only.

A fiche is reached by (programme, structure); the structure must be one of the
programme's partner structures (`Programme.structures`).
"""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from formations.french import TIME_ZONE_LABELS
from formations.models import Programme, Structure
from formations.permissions import can_manage, is_funder_auditor, is_structure_referent
from formations.selectors import programmes_visible_to
from projects.models import ProjectFiche, Theme
from projects.permissions import ProgrammeStructure, is_partner, is_programme_trainer
from sessions.models import TrainingSession

__all__ = ["ProgrammeStructure", "is_programme_trainer"]  # read by livrables from here


def partner_structures(*, programme: Programme) -> QuerySet[Structure]:
    """The programme's partner structures, by name (whoever asks)."""
    return Structure.objects.filter(
        Exists(
            ProgrammeStructure.objects.filter(
                programme_id=programme.pk, structure_id=OuterRef("pk")
            )
        )
    ).order_by("sort_key", "pk")


def fiche_programmes(*, user) -> QuerySet[Programme]:
    """Programmes whose fiches the user may open (those with partner structures)."""
    return programmes_visible_to(user=user).filter(
        Exists(ProgrammeStructure.objects.filter(programme_id=OuterRef("pk")))
    )


def fiche_structures(*, programme: Programme, user) -> QuerySet[Structure]:
    """The partner structures of `programme` whose fiche the user may open, by name."""
    qs = partner_structures(programme=programme)
    if not programmes_visible_to(user=user).filter(pk=programme.pk).exists():
        return qs.none()
    if is_structure_referent(user):
        return qs.filter(pk=user.structure_id)
    if (
        can_manage(user)
        or is_funder_auditor(user)
        or is_programme_trainer(user=user, programme=programme)
    ):
        return qs
    return qs.none()


def can_edit_fiche(*, user, programme: Programme, structure: Structure) -> bool:
    """Coordinators, the programme's trainers and the structure's own referent, for a
    partner structure of the programme."""
    if not user.is_authenticated or is_funder_auditor(user):
        return False
    if not is_partner(programme=programme, structure=structure):
        return False
    if can_manage(user):
        return True
    if is_structure_referent(user):
        return user.structure_id == structure.pk
    return is_programme_trainer(user=user, programme=programme)


def fiche_of(*, programme: Programme, structure: Structure) -> ProjectFiche | None:
    """The fiche, or None before its first edit (the page then shows an empty fiche)."""
    return (
        ProjectFiche.objects.filter(programme=programme, structure=structure)
        .select_related("priority_theme", "secondary_theme")
        .first()
    )


def programme_themes(*, programme: Programme) -> QuerySet[Theme]:
    return Theme.objects.filter(programme=programme).order_by("position", "pk")


def programme_time_zone(programme: Programme) -> str:
    """The time zone most of the programme's sessions use (DESIGN PALAS: Mayotte, two
    hours ahead of Paris), else `settings.TIME_ZONE`; on a tie, the first by name. One
    query."""
    most = (
        TrainingSession.objects.filter(formation__programme=programme)
        .order_by()
        .values("time_zone")
        .annotate(n=Count("pk"))
        .order_by("-n", "time_zone")
        .first()
    )
    return most["time_zone"] if most else settings.TIME_ZONE


def time_zone_plain_label(zone: str) -> str:
    """« heure de Mayotte », « heure de Paris »: the French name where there is one, else
    the zone's city (« America/Sao_Paulo » → « heure de Sao Paulo »)."""
    label = TIME_ZONE_LABELS.get(zone)
    if label is not None:
        return str(label)
    return _("heure de %(city)s") % {"city": zone.rsplit("/", 1)[-1].replace("_", " ")}
