"""Plain, frozen data of the documents of the projects of a programme's structures
(issue 11, seed 003: « Fiches projet pour chaque CCAS », « Une fiche individuelle par
CCAS de leur projet, de l'activité et du suivi pendant tout le programme », « Livret ») :

* the **fiche projet** of a structure (`FicheData`): data sheet, themes, the experimented
  and the proposed project, the team and its referent, lessons learned, the road map;
* the **fiche individuelle** of a structure (`StructureFicheData`): the same, plus the
  follow-up summary, participation and hours per person and per session (read from the
  sealed émargements by `projects.selectors_participation`, never recomputed here), the
  intersession tasks and the numbers of the certificates issued for the structure and
  its people in the programme;
* the **livret** of a programme (`BookletData`): every partner structure's fiche projet.

Each carries what every issued document prints (organisme, funders' emblems and
sentences, number, verification address). All queries run here, in a constant number
whatever the number of structures (`fiche_bodies` reads every structure's fiche in six
queries); `livrables.pdf.fiches` touches no ORM.
"""

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import time_zone_label
from formations.models import Programme, Structure
from formations.selectors import provider_identity
from livrables.data import FunderInfo, funder_infos, verification_url
from livrables.data_certificates import ProviderInfo
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import standing
from projects.models import (
    FollowUpEntry,
    IntersessionTask,
    Project,
    ProjectFiche,
    ProjectStage,
    RoadmapAction,
    RoadmapAxis,
    TeamMember,
)
from projects.selectors import ProgrammeStructure
from projects.selectors_followup import with_figures
from projects.selectors_participation import SessionParticipation, participation_by_structure

FICHE_PREFIX = "FPJ"
STRUCTURE_FICHE_PREFIX = "FIS"
BOOKLET_PREFIX = "LIV"


@dataclass(frozen=True)
class ProjectBlock:
    kind_label: str
    title: str
    problem: str
    public: str
    partners: str
    means: str
    stage_label: str

    @property
    def empty(self) -> bool:
        return not any((self.title, self.problem, self.public, self.partners, self.means))


@dataclass(frozen=True)
class TeamLine:
    name: str
    kind: str  # TeamMember.Kind
    kind_label: str
    role: str
    is_referent: bool


@dataclass(frozen=True)
class ActionLine:
    title: str
    owner: str
    due_on: dt.date | None
    status_label: str


@dataclass(frozen=True)
class AxisBlock:
    priority: int  # 1 is the first priority
    title: str
    description: str
    actions: tuple[ActionLine, ...]


@dataclass(frozen=True)
class FicheBody:
    """One structure's fiche projet as it stands (empty before its first edit)."""

    structure_id: int
    structure_name: str
    structure_kind: str
    territory: str
    staff_size: int | None
    public_served: str
    partners: str
    priority_theme: str
    secondary_theme: str
    projects: tuple[ProjectBlock, ...]
    team: tuple[TeamLine, ...]
    lessons_learned: str
    axes: tuple[AxisBlock, ...]
    revision: int
    updated_at: dt.datetime | None

    @property
    def referent_name(self) -> str:
        return next((member.name for member in self.team if member.is_referent), "")


@dataclass(frozen=True)
class FollowUpSummary:
    by_kind: tuple[tuple[str, int], ...]  # (label, count), in the order of the kinds
    total: int
    last_contact_on: dt.date | None
    last_contact_label: str  # « Relance par téléphone »
    open_questions: tuple[tuple[dt.date, str], ...]  # (asked on, question)


@dataclass(frozen=True)
class TaskLine:
    title: str
    kind_label: str
    due_on: dt.date
    done_on: dt.date | None


@dataclass(frozen=True)
class CertificateLine:
    kind_label: str
    holder: str  # the person's name, or the structure's for its certificat d'assiduité
    formation: str
    number: str
    issued_on: dt.date


@dataclass(frozen=True)
class _Head:
    """What every issued PDF prints (see `livrables.pdf.certificates._build`)."""

    number: str
    generated_at: dt.datetime  # aware, local
    time_zone_label: str
    provider: ProviderInfo
    programme_reference: str
    programme_title: str
    programme_carrier: str
    # Printed in the header band where a certificate prints its contract: the operation.
    contract_reference: str
    funders: tuple[FunderInfo, ...]
    programme_sentence: str
    verification_url: str

    @property
    def has_eu_funder(self) -> bool:
        return any(f.is_eu for f in self.funders)


@dataclass(frozen=True)
class FicheData(_Head):
    fiche: FicheBody


@dataclass(frozen=True)
class StructureFicheData(_Head):
    fiche: FicheBody
    follow_up: FollowUpSummary
    participation: tuple[SessionParticipation, ...]
    tasks: tuple[TaskLine, ...]
    certificates: tuple[CertificateLine, ...]

    @property
    def planned_minutes(self) -> int:
        return sum(session.planned_minutes for session in self.participation)

    @property
    def realised_minutes(self) -> int:
        return sum(session.realised_minutes for session in self.participation)


@dataclass(frozen=True)
class BookletData(_Head):
    fiches: tuple[FicheBody, ...]


# ---------------------------------------------------------------------------- fiches


def _project(project: Project | None, kind) -> ProjectBlock:
    return ProjectBlock(
        kind_label=str(kind.label),
        title=project.title if project else "",
        problem=project.problem if project else "",
        public=project.public if project else "",
        partners=project.partners if project else "",
        means=project.means if project else "",
        stage_label=str(ProjectStage(project.stage).label) if project else "",
    )


def _body(structure: Structure, fiche: ProjectFiche | None) -> FicheBody:
    if fiche is None:
        return FicheBody(
            structure_id=structure.pk,
            structure_name=structure.name,
            structure_kind=str(structure.get_kind_display()),
            territory=structure.territory,
            staff_size=None,
            public_served="",
            partners="",
            priority_theme="",
            secondary_theme="",
            projects=tuple(_project(None, kind) for kind in Project.Kind),
            team=(),
            lessons_learned="",
            axes=(),
            revision=0,
            updated_at=None,
        )
    projects = {project.kind: project for project in fiche.projects.all()}
    return FicheBody(
        structure_id=structure.pk,
        structure_name=structure.name,
        structure_kind=str(structure.get_kind_display()),
        territory=fiche.territory,
        staff_size=fiche.staff_size,
        public_served=fiche.public_served,
        partners=fiche.partners,
        priority_theme=fiche.priority_theme.label if fiche.priority_theme else "",
        secondary_theme=fiche.secondary_theme.label if fiche.secondary_theme else "",
        projects=tuple(_project(projects.get(kind), kind) for kind in Project.Kind),
        team=tuple(
            TeamLine(
                name=member.full_name,
                kind=member.kind,
                kind_label=str(member.get_kind_display()),
                role=member.role,
                is_referent=member.is_referent,
            )
            for member in fiche.team.all()
        ),
        lessons_learned=fiche.lessons_learned,
        axes=tuple(
            AxisBlock(
                priority=priority,
                title=axis.title,
                description=axis.description,
                actions=tuple(
                    ActionLine(
                        title=action.title,
                        owner=action.owner,
                        due_on=action.due_on,
                        status_label=str(action.get_status_display()),
                    )
                    for action in axis.actions.all()
                ),
            )
            for priority, axis in enumerate(fiche.axes.all(), start=1)
        ),
        revision=fiche.revision,
        updated_at=fiche.updated_at,
    )


def partner_structures(programme: Programme):
    """The programme's partner structures, by name (one query)."""
    return Structure.objects.filter(
        pk__in=ProgrammeStructure.objects.filter(programme_id=programme.pk).values("structure_id")
    ).order_by("sort_key", "pk")


def fiche_bodies(*, programme: Programme, structures) -> list[FicheBody]:
    """The fiche projet of each of `structures` (partner structures of `programme`) in
    their order: six queries whatever their number (fiches with their themes, projects,
    team, axes, actions)."""
    structures = list(structures)
    fiches = {
        fiche.structure_id: fiche
        for fiche in ProjectFiche.objects.filter(
            programme_id=programme.pk, structure_id__in=[s.pk for s in structures]
        )
        .select_related("priority_theme", "secondary_theme")
        .prefetch_related(
            "projects",
            Prefetch("team", queryset=TeamMember.objects.order_by("position", "pk")),
            Prefetch(
                "axes",
                queryset=RoadmapAxis.objects.order_by("position", "pk").prefetch_related(
                    Prefetch("actions", queryset=RoadmapAction.objects.order_by("position", "pk"))
                ),
            ),
        )
    }
    return [_body(structure, fiches.get(structure.pk)) for structure in structures]


# ---------------------------------------------------------------------------- individual


def _follow_up(entries: list[FollowUpEntry]) -> FollowUpSummary:
    """Entries annotated by `selectors_followup.with_figures`: the last exchange and the
    open questions are those of the follow-up pages (a note is no exchange)."""
    counts = Counter(entry.kind for entry in entries)
    last = max(
        (entry for entry in entries if entry.is_contact),
        key=lambda e: (e.occurred_on, e.created_at, e.pk),
        default=None,
    )
    last_label = ""
    if last is not None:
        last_label = _("%(kind)s (%(channel)s)") % {
            "kind": last.get_kind_display(),
            "channel": str(last.get_channel_display()).lower(),
        }
    open_questions = sorted(
        (entry.occurred_on, entry.summary) for entry in entries if entry.is_open_question
    )
    return FollowUpSummary(
        by_kind=tuple(
            (str(kind.label), counts[kind.value]) for kind in FollowUpEntry.Kind if counts[kind]
        ),
        total=len(entries),
        last_contact_on=last.occurred_on if last else None,
        last_contact_label=last_label,
        open_questions=tuple(open_questions),
    )


CERTIFICATE_KINDS = (
    IssuedDocument.Kind.COMPLETION_CERTIFICATE,
    IssuedDocument.Kind.ATTENDANCE_ATTESTATION,
    IssuedDocument.Kind.STRUCTURE_ATTENDANCE_CERTIFICATE,
)


def _certificates(*, programme: Programme, structure_ids) -> dict[int, list[CertificateLine]]:
    """The standing certificates of the programme's formations about the structures (their
    certificat d'assiduité) and their people (as their structure is today): one query."""
    found: dict[int, list[CertificateLine]] = {pk: [] for pk in structure_ids}
    documents = (
        standing(
            IssuedDocument.objects.filter(
                kind__in=CERTIFICATE_KINDS, formation__programme_id=programme.pk
            )
        )
        .filter(
            # A person's certificate under their structure; a structure's under itself.
            Q(participant__structure_id__in=structure_ids)
            | Q(participant__isnull=True, structure_id__in=structure_ids)
        )
        .select_related("participant", "structure", "formation")
        .order_by("formation__contract_reference", "kind", "issued_at", "pk")
    )
    for document in documents:
        if document.participant_id is not None:
            owner, holder = document.participant.structure_id, document.participant.full_name
        else:
            owner, holder = document.structure_id, document.structure.name
        if owner not in found:
            continue
        found[owner].append(
            CertificateLine(
                kind_label=str(document.get_kind_display()),
                holder=holder,
                formation=document.formation.title,
                number=document.number,
                issued_on=timezone.localdate(document.issued_at),
            )
        )
    for lines in found.values():
        lines.sort(key=lambda line: (line.holder.casefold(), line.kind_label, line.number))
    return found


def structure_activity(
    *, programme: Programme, structure_ids
) -> dict[int, tuple[FollowUpSummary, tuple, tuple[TaskLine, ...], tuple[CertificateLine, ...]]]:
    """For each structure: its follow-up summary, its participation, its intersession
    tasks and its certificates' numbers. Four queries whatever the number of structures."""
    structure_ids = list(structure_ids)
    entries: dict[int, list[FollowUpEntry]] = {pk: [] for pk in structure_ids}
    for entry in with_figures(
        FollowUpEntry.objects.filter(programme_id=programme.pk, structure_id__in=structure_ids)
    ):
        entries[entry.structure_id].append(entry)
    tasks: dict[int, list[TaskLine]] = {pk: [] for pk in structure_ids}
    for task in IntersessionTask.objects.filter(
        programme_id=programme.pk, structure_id__in=structure_ids
    ).order_by("due_on", "pk"):
        tasks[task.structure_id].append(
            TaskLine(
                title=task.title,
                kind_label=str(task.get_kind_display()),
                due_on=task.due_on,
                done_on=timezone.localdate(task.done_at) if task.done_at else None,
            )
        )
    participation = participation_by_structure(programme=programme, structure_ids=structure_ids)
    certificates = _certificates(programme=programme, structure_ids=structure_ids)
    return {
        pk: (
            _follow_up(entries[pk]),
            tuple(participation[pk]),
            tuple(tasks[pk]),
            tuple(certificates[pk]),
        )
        for pk in structure_ids
    }


# ---------------------------------------------------------------------------- builders


def _shared_head(programme: Programme) -> dict:
    """What every document of the programme prints, read once (a bulk issue reads it once
    for all its structures)."""
    provider = provider_identity()
    if provider is None:
        raise LivrablesError(
            _(
                "L'identité de l'organisme de formation n'est pas renseignée (page "
                "« Organisme ») : le document n'a pas d'émetteur."
            ),
            code="provider_missing",
        )
    return {
        "time_zone_label": time_zone_label(settings.TIME_ZONE),
        "provider": ProviderInfo.of(provider),
        "programme_reference": programme.reference,
        "programme_title": programme.title,
        "programme_carrier": programme.carrier,
        "contract_reference": programme.reference,
        "funders": funder_infos(programme.funders.order_by("name")),
        "programme_sentence": programme.publicity_sentence,
    }


def _numbered(head: dict, *, prefix: str, target: str, fingerprint: str, now) -> dict:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    suffix = hashlib.sha256(f"{target}|{stamp}|{fingerprint}".encode()).hexdigest()[:4].upper()
    number = f"{prefix}-{target}-{stamp}-{suffix}"
    return {
        **head,
        "number": number,
        "generated_at": timezone.localtime(now),
        "verification_url": verification_url(number),
    }


def _head(*, programme: Programme, prefix: str, target: str, fingerprint: str, now) -> dict:
    return _numbered(
        _shared_head(programme), prefix=prefix, target=target, fingerprint=fingerprint, now=now
    )


def _ensure_partner(programme: Programme, structure: Structure) -> None:
    if not ProgrammeStructure.objects.filter(
        programme_id=programme.pk, structure_id=structure.pk
    ).exists():
        raise LivrablesError(
            _("« %(structure)s » n'est pas une structure partenaire de ce programme.")
            % {"structure": structure.name},
            code="not_partner",
        )


def build_fiche_data(*, programme: Programme, structure: Structure, now=None) -> FicheData:
    """The fiche projet of `structure` in `programme`. Raises LivrablesError
    `not_partner`, `provider_missing`."""
    _ensure_partner(programme, structure)
    now = now or timezone.now()
    (body,) = fiche_bodies(programme=programme, structures=[structure])
    return FicheData(
        **_head(
            programme=programme,
            prefix=FICHE_PREFIX,
            target=f"P{programme.pk}-S{structure.pk}",
            fingerprint=f"{body.revision}",
            now=now,
        ),
        fiche=body,
    )


def build_structure_fiche_data(
    *, programme: Programme, structure: Structure, now=None
) -> StructureFicheData:
    """The fiche individuelle of `structure` in `programme`. Raises LivrablesError
    `not_partner`, `provider_missing`."""
    _ensure_partner(programme, structure)
    return build_structure_fiches_data(programme=programme, structures=[structure], now=now)[
        structure.pk
    ]


def build_fiches_data(*, programme: Programme, structures, now=None) -> dict[int, FicheData]:
    """The fiche projet of each of `structures` (partner structures of `programme`), by
    structure id, in a constant number of queries (a bulk issue)."""
    now = now or timezone.now()
    head = _shared_head(programme)
    return {
        body.structure_id: FicheData(
            **_numbered(
                head,
                prefix=FICHE_PREFIX,
                target=f"P{programme.pk}-S{body.structure_id}",
                fingerprint=f"{body.revision}",
                now=now,
            ),
            fiche=body,
        )
        for body in fiche_bodies(programme=programme, structures=structures)
    }


def build_structure_fiches_data(
    *, programme: Programme, structures, now=None
) -> dict[int, StructureFicheData]:
    """The fiche individuelle of each of `structures`, by structure id, in a constant
    number of queries whatever their number."""
    now = now or timezone.now()
    structures = list(structures)
    head = _shared_head(programme)
    activity = structure_activity(programme=programme, structure_ids=[s.pk for s in structures])
    found = {}
    for body in fiche_bodies(programme=programme, structures=structures):
        follow_up, participation, tasks, certificates = activity[body.structure_id]
        found[body.structure_id] = StructureFicheData(
            **_numbered(
                head,
                prefix=STRUCTURE_FICHE_PREFIX,
                target=f"P{programme.pk}-S{body.structure_id}",
                fingerprint=f"{body.revision}|{follow_up.total}|{len(tasks)}|{len(certificates)}",
                now=now,
            ),
            fiche=body,
            follow_up=follow_up,
            participation=participation,
            tasks=tasks,
            certificates=certificates,
        )
    return found


def build_booklet_data(*, programme: Programme, now=None) -> BookletData:
    """The livret: every partner structure's fiche projet, by name, in a constant number
    of queries. Raises LivrablesError `no_structure`, `provider_missing`."""
    now = now or timezone.now()
    structures = list(partner_structures(programme))
    if not structures:
        raise LivrablesError(
            _("Ce programme n'a pas de structure partenaire : pas de livret."),
            code="no_structure",
        )
    bodies = fiche_bodies(programme=programme, structures=structures)
    return BookletData(
        **_head(
            programme=programme,
            prefix=BOOKLET_PREFIX,
            target=f"P{programme.pk}",
            fingerprint="|".join(f"{b.structure_id}:{b.revision}" for b in bodies),
            now=now,
        ),
        fiches=tuple(bodies),
    )
