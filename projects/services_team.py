"""Writing the project team of a fiche (seed 003: « l'équipe projet du CCAS, avec au moins
un agent du CCAS qui sera référent du projet et les deux autres pouvant être des agents,
élus ou partenaires »).

Every write goes through `services.fiche_edit` (actor checked, fiche row locked, stale
form refused, one revision). **The contract's maximum** (`rules.team_limits`) is checked
*after the lock*, on the agents then in the team: two people adding an agent at the same
moment are served one after the other, and the second sees the first's agent. Elected
members and partners are not counted. A team short of the minimum or without a referent
is allowed (it is built over time): the page shows it.

Codes of `ProjectsError`: `team_full`, `other_structure`, `already_member`, `name_missing`,
`participant_not_agent`, `referent_not_agent`, `gone` (plus `stale`, `not_partner` of
`fiche_edit`); `already_member` also for a typed name equal to a member's, case, accents and
word order aside. `PermissionDenied` for an actor who may not edit.
"""

import re
import unicodedata

from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from formations.models import Participant, Programme, Structure
from projects.exceptions import ProjectsError
from projects.models import ProjectFiche, TeamMember
from projects.rules import team_limits
from projects.services import fiche_edit
from projects.services_ordering import move_in, renumber
from projects.validation import checked_save

TEAM_PART = gettext_lazy("Équipe projet")
Kind = TeamMember.Kind


def _member(fiche: ProjectFiche, member: TeamMember | int) -> TeamMember:
    try:
        return fiche.team.select_related("participant").get(pk=getattr(member, "pk", member))
    except TeamMember.DoesNotExist:
        raise ProjectsError(
            _("Ce membre ne fait plus partie de l'équipe : rechargez la page."), code="gone"
        ) from None


def _check_room_for_an_agent(
    fiche: ProjectFiche, programme: Programme, *, changing: bool = False
) -> None:
    """Called with the fiche locked: the count cannot change under us. `changing`: an
    elected member or a partner would become an agent (the advice then differs)."""
    limits = team_limits(programme=programme)
    if limits.maximum is None:
        return
    agents = fiche.team.filter(kind=Kind.AGENT).count()
    if agents + 1 <= limits.maximum:
        return
    if changing:
        message = ngettext(
            "L'équipe projet compte déjà %(count)s agent de la structure : le marché en "
            "prévoit au plus %(max)s. Gardez cette personne comme élu·e ou partenaire, "
            "ou retirez d'abord un agent de l'équipe.",
            "L'équipe projet compte déjà %(count)s agents de la structure : le marché en "
            "prévoit au plus %(max)s. Gardez cette personne comme élu·e ou partenaire, "
            "ou retirez d'abord un agent de l'équipe.",
            agents,
        )
    else:
        message = ngettext(
            "L'équipe projet compte déjà %(count)s agent de la structure : le marché en "
            "prévoit au plus %(max)s. Ajoutez cette personne comme élu·e ou partenaire, "
            "ou retirez d'abord un agent de l'équipe.",
            "L'équipe projet compte déjà %(count)s agents de la structure : le marché en "
            "prévoit au plus %(max)s. Ajoutez cette personne comme élu·e ou partenaire, "
            "ou retirez d'abord un agent de l'équipe.",
            agents,
        )
    raise ProjectsError(
        message % {"count": agents, "max": limits.maximum}, code="team_full", field="kind"
    )


def _identity(
    *, structure: Structure, kind: str, participant: Participant | None, full_name: str
) -> tuple[Participant | None, str]:
    """The participant (agents only, of this structure only) and the name to keep."""
    full_name = (full_name or "").strip()
    if participant is not None:
        if kind != Kind.AGENT:
            raise ProjectsError(
                _(
                    "Seul un agent de la structure se choisit parmi ses participant·es : "
                    "saisissez le nom d'un·e élu·e ou d'un·e partenaire."
                ),
                code="participant_not_agent",
                field="participant",
            )
        if participant.structure_id != structure.pk:
            raise ProjectsError(
                _("%(name)s n'est pas un·e participant·e de « %(structure)s ».")
                % {"name": participant.full_name, "structure": structure.name},
                code="other_structure",
                field="participant",
            )
        return participant, participant.full_name
    if not full_name:
        raise ProjectsError(
            _("Indiquez le nom et le prénom de la personne."),
            code="name_missing",
            field="full_name",
        )
    return None, full_name


def _check_not_in_team(fiche: ProjectFiche, participant, exclude_pk=None) -> None:
    if participant is None:
        return
    others = fiche.team.filter(participant=participant)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ProjectsError(
            _("%(name)s fait déjà partie de l'équipe projet.") % {"name": participant.full_name},
            code="already_member",
            field="participant",
        )


def _name_key(name: str) -> tuple[str, ...]:
    """A person's name as words, case and accents aside, in any order: « Zaïnaba Ahamada »
    and « AHAMADA Zaïnaba » are one person."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return tuple(sorted(re.findall(r"\w+", plain)))


def _check_name_not_in_team(fiche: ProjectFiche, name: str, *, field: str, exclude_pk=None) -> None:
    """A typed name (or a chosen participant) that is already a member's name, however
    written, would count one person twice."""
    key = _name_key(name)
    for other in fiche.team.exclude(pk=exclude_pk).only("full_name"):
        if _name_key(other.full_name) == key:
            raise ProjectsError(
                _("%(name)s fait déjà partie de l'équipe projet.") % {"name": other.full_name},
                code="already_member",
                field=field,
            )


def member_add(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    expected_revision: int | None,
    kind: str,
    participant: Participant | None = None,
    full_name: str = "",
    role: str = "",
) -> TeamMember:
    """Adds a member at the end of the team."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(TEAM_PART),
        expected_revision=expected_revision,
    ) as fiche:
        participant, name = _identity(
            structure=structure, kind=kind, participant=participant, full_name=full_name
        )
        _check_not_in_team(fiche, participant)
        _check_name_not_in_team(fiche, name, field="participant" if participant else "full_name")
        if kind == Kind.AGENT:
            _check_room_for_an_agent(fiche, programme)
        last = fiche.team.aggregate(last=Max("position"))["last"] or 0
        member = TeamMember(
            fiche=fiche,
            kind=kind,
            participant=participant,
            full_name=name,
            role=(role or "").strip() or (participant.job_title if participant else ""),
            position=last + 1,
        )
        checked_save(member)
    return member


def member_update(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    member: TeamMember | int,
    expected_revision: int | None,
    kind: str,
    participant: Participant | None = None,
    full_name: str = "",
    role: str = "",
) -> TeamMember:
    """Changes who a member is and in which quality; turning an elected member or a
    partner into an agent counts against the maximum."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(TEAM_PART),
        expected_revision=expected_revision,
    ) as fiche:
        participant, name = _identity(
            structure=structure, kind=kind, participant=participant, full_name=full_name
        )
        current = _member(fiche, member)
        _check_not_in_team(fiche, participant, exclude_pk=current.pk)
        if _name_key(name) != _name_key(current.full_name):
            # Only a new name is checked: namesakes already in the team stay editable.
            _check_name_not_in_team(
                fiche,
                name,
                field="participant" if participant else "full_name",
                exclude_pk=current.pk,
            )
        if kind == Kind.AGENT and current.kind != Kind.AGENT:
            _check_room_for_an_agent(fiche, programme, changing=True)
        if current.is_referent and kind != Kind.AGENT:
            raise ProjectsError(
                _(
                    "%(name)s est référent·e du projet, qui est un agent de la structure : "
                    "choisissez d'abord un·e autre référent·e parmi les agents."
                )
                % {"name": current.full_name},
                code="referent_not_agent",
                field="kind",
            )
        current.kind = kind
        current.participant = participant
        current.full_name = name
        current.role = (role or "").strip()
        checked_save(current)
    return current


def member_remove(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    member: TeamMember | int,
    expected_revision: int | None,
) -> None:
    """Removes a member (the referent too: the page then asks for another one)."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(TEAM_PART),
        expected_revision=expected_revision,
    ) as fiche:
        _member(fiche, member).delete()
        renumber(fiche.team.all())


def member_move(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    member: TeamMember | int,
    direction: str,
    expected_revision: int | None,
) -> None:
    """One place up or down in the list of the team."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(TEAM_PART),
        expected_revision=expected_revision,
    ) as fiche:
        move_in(fiche.team.all(), _member(fiche, member).pk, direction)


def referent_set(
    *,
    actor,
    programme: Programme,
    structure: Structure,
    member: TeamMember | int,
    expected_revision: int | None,
) -> TeamMember:
    """Makes an agent the project referent; the previous referent stays in the team."""
    with fiche_edit(
        actor=actor,
        programme=programme,
        structure=structure,
        part=str(TEAM_PART),
        expected_revision=expected_revision,
    ) as fiche:
        chosen = _member(fiche, member)
        if chosen.kind != Kind.AGENT:
            raise ProjectsError(
                _(
                    "Le ou la référent·e du projet est un agent de la structure : %(name)s "
                    "(%(kind)s) ne peut pas l'être."
                )
                % {"name": chosen.full_name, "kind": chosen.get_kind_display().lower()},
                code="referent_not_agent",
            )
        # The old referent first: one referent per team is a database constraint.
        fiche.team.filter(is_referent=True).exclude(pk=chosen.pk).update(is_referent=False)
        if not chosen.is_referent:
            chosen.is_referent = True
            chosen.save(update_fields=["is_referent"])
    return chosen
