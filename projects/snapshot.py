"""The state of a fiche as a plain, display-ready structure, kept in each `FicheRevision`.

    {"sections": [{"title": "Fiche de données", "rows": [["Territoire", "Mamoudzou"], …]},
                  {"title": "Projet expérimenté", "rows": […]},
                  {"title": "Équipe projet", "rows": [["DUPONT Awa", "Agent de la
                   structure — directrice — référente du projet"], …]},
                  {"title": "Feuille de route", "rows": [["Accueil", "Priorité 1 — …"],
                   ["Accueil › Permanence", "1. porteur — 15/03/2022 — En cours"], …]}]}

Labels are written in the words of the page at the time of the edit, so an old state reads
as it was shown. `changes()` compares two snapshots row by row (section, label): that is
the « who changed what » of the history page.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from projects.models import Project, ProjectFiche, ProjectStage, RoadmapAxis, TeamMember


def _text(value) -> str:
    return "" if value is None else str(value)


def _project_rows(project: Project | None) -> list[list[str]]:
    fields = ("title", "problem", "public", "partners", "means")
    rows = [
        [
            str(Project._meta.get_field(name).verbose_name).capitalize(),
            _text(getattr(project, name, "")),
        ]
        for name in fields
    ]
    stage = ProjectStage(project.stage).label if project else ""
    rows.append([_("Stade"), str(stage)])
    return rows


def _member_text(member: TeamMember) -> str:
    parts = [str(member.get_kind_display())]
    if member.role:
        parts.append(member.role)
    if member.is_referent:
        parts.append(_("référent·e du projet"))
    return " — ".join(parts)


def _action_state(action) -> str:
    parts = []
    if action.owner:
        parts.append(action.owner)
    if action.due_on:
        parts.append(date_format(action.due_on, "SHORT_DATE_FORMAT"))
    parts.append(str(action.get_status_display()))
    return " — ".join(parts)


def _distinct_labels(names: list[str]) -> list[str]:
    """One distinct label per row, in order: the name, then « Awa Dupont (2) », « (3) »…
    for namesakes, so that a change to either of two « Awa Dupont » (or two axes of the same
    title) is a change of its own row (rows are compared by label)."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return labels


def snapshot(fiche: ProjectFiche) -> dict:
    """Reads the fiche and its rows (four queries) into the structure above."""
    projects = {project.kind: project for project in fiche.projects.all()}
    team = list(fiche.team.select_related("participant").order_by("position", "pk"))
    axes = list(
        RoadmapAxis.objects.filter(fiche=fiche)
        .prefetch_related("actions")
        .order_by("position", "pk")
    )
    data_rows = [
        [_("Territoire"), fiche.territory],
        [_("Taille de l'équipe de la structure"), _text(fiche.staff_size)],
        [_("Public accueilli"), fiche.public_served],
        [_("Partenaires"), fiche.partners],
    ]
    theme_rows = [
        [_("Thématique prioritaire"), _text(fiche.priority_theme)],
        [_("Thématique secondaire"), _text(fiche.secondary_theme)],
    ]
    labels = _distinct_labels([member.full_name for member in team])
    team_rows = [[label, _member_text(member)] for label, member in zip(labels, team, strict=True)]
    if len(team) > 1:
        # Rows are keyed by person, so a new order shows as its own row.
        team_rows.append([_("Ordre de l'équipe"), ", ".join(labels)])
    # Axes and actions are rows of their own, keyed by title: moving one changes its
    # priority (and its neighbour's), not every row after it.
    roadmap_rows = []
    axis_labels = _distinct_labels([axis.title for axis in axes])
    for number, (axis, axis_label) in enumerate(zip(axes, axis_labels, strict=True), start=1):
        priority = _("Priorité %(n)s") % {"n": number}
        roadmap_rows.append([axis_label, " — ".join(filter(None, [priority, axis.description]))])
        actions = list(axis.actions.all())
        action_labels = _distinct_labels([action.title for action in actions])
        for index, (action, action_label) in enumerate(
            zip(actions, action_labels, strict=True), start=1
        ):
            roadmap_rows.append(
                [f"{axis_label} › {action_label}", f"{index}. {_action_state(action)}"]
            )
    return {
        "sections": [
            {"title": _("Fiche de données"), "rows": data_rows},
            {"title": _("Thématiques"), "rows": theme_rows},
            {
                "title": str(Project.Kind.EXPERIMENTED.label),
                "rows": _project_rows(projects.get(Project.Kind.EXPERIMENTED)),
            },
            {
                "title": str(Project.Kind.PROPOSED.label),
                "rows": _project_rows(projects.get(Project.Kind.PROPOSED)),
            },
            {"title": _("Équipe projet"), "rows": team_rows},
            {"title": _("Enseignements"), "rows": [[_("Enseignements"), fiche.lessons_learned]]},
            {"title": _("Feuille de route"), "rows": roadmap_rows},
        ]
    }


def _flat(state: dict) -> dict[tuple[str, str], str]:
    flat = {}
    for section in state.get("sections", []):
        for label, value in section["rows"]:
            flat[(section["title"], label)] = value
    return flat


def changes(before: dict, after: dict) -> list[dict]:
    """The rows that differ, in the order of the page: added rows have an empty
    « before », removed rows an empty « after »."""
    old, new = _flat(before), _flat(after)
    keys = list(new) + [key for key in old if key not in new]
    result = []
    for key in keys:
        was, now = old.get(key, ""), new.get(key, "")
        if was != now:
            result.append({"field": f"{key[0]} › {key[1]}", "before": was, "after": now})
    return result
