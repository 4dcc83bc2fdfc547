"""The documents of the projects of a programme's structures, on portrait A4:

- `render_fiche(data)`: the fiche projet of one structure (data sheet, themes, the
  experimented and the proposed project with their stage, the team and its referent,
  lessons learned, the road map: axes in priority order, each with its actions);
- `render_structure_fiche(data)`: the « fiche individuelle »: the same, then the
  follow-up summary, participation and hours per person and per session (sealed
  half-days), the intersession tasks and the numbers of the certificates issued;
- `render_booklet(data)`: the livret of a programme: a cover, a table of contents
  (structure → page) and one section per structure, each starting on a new page.

They share the certificates' page (`livrables.pdf.certificates._build`): funders' emblem
block and sentences, number, « Page x / y », issuer, verification address in the footer
and a QR code to it. No queries; every user string goes through `safe_text()` (long
texts are Paragraphs, which may split across pages) or a `TextCell` (plain text).
"""

import functools
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from formations.french import hours_label
from livrables.data_fiches import (
    AxisBlock,
    BookletData,
    FicheBody,
    FicheData,
    ProjectBlock,
    StructureFicheData,
)
from livrables.pdf.base import FONT, FONT_BOLD, GREY, safe_text
from livrables.pdf.certificates import QR_SIZE, USABLE, _build, _styles, facts_table
from livrables.pdf.sheet import QRFlowable, TextCell

GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BACKGROUND = colors.Color(0.93, 0.94, 0.97)
NONE = "—"


@functools.cache
def _st() -> dict[str, ParagraphStyle]:
    """Built once: a livret asks for a style in every table cell (tens of thousands of
    calls, bench/projects.py); styles are never changed once made."""
    st = _styles()
    return {
        **st,
        "text": ParagraphStyle("fiche_text", parent=st["body"], fontSize=9.5, leading=12.5),
        "h1": ParagraphStyle("fiche_h1", parent=st["title"], fontSize=15, leading=19, spaceAfter=4),
        "h2": ParagraphStyle(
            "fiche_h2",
            parent=st["h2"],
            fontSize=11.5,
            leading=14,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.Color(0.1, 0.2, 0.45),
        ),
        "h3": ParagraphStyle(
            "fiche_h3", parent=st["h2"], fontSize=10, leading=12.5, spaceBefore=6, spaceAfter=2
        ),
    }


def _para(text: str, style) -> Paragraph:
    """A user's text (several lines kept), escaped, in a Paragraph that may split."""
    value = safe_text(text).replace("\r\n", "\n").replace("\n", "<br/>")
    return Paragraph(value or NONE, style)


def _label(text: str) -> TextCell:
    return TextCell.styled(text, _st()["head"])


def _value(text) -> Paragraph:
    return _para("" if text is None else str(text), _st()["cell"])


def _facts(rows: list[tuple[str, object]], label_width: float = 130) -> Table:
    table = facts_table(
        [[_label(label), _value(value)] for label, value in rows], label_width=label_width
    )
    # A value may be longer than a page (free texts): its row splits across pages.
    table.splitInRow = 1
    return table


def _grid(rows: list, widths: list[float], *, total_row: bool = False) -> Table:
    # splitInRow: a row taller than a page (a long user text) splits across pages.
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BACKGROUND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if total_row:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.96, 0.96, 0.96)))
    table.setStyle(TableStyle(style))
    return table


def _head_row(*labels: str) -> list:
    return [TextCell(label, FONT_BOLD) for label in labels]


def _date(value) -> str:
    # Four-digit years always (strftime prints the year 1 as « 1 »).
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else NONE


def _h2(text: str, *, keep: float = 60) -> Flowable:
    # A heading is never left alone at the foot of a page: less than `keep` points below
    # it (what must follow it on the same page), it starts the next one.
    return KeepTogether([CondPageBreak(keep), Paragraph(safe_text(text), _st()["h2"])])


# ---------------------------------------------------------------------------- fiche


def _project_story(project: ProjectBlock) -> list:
    st = _st()
    if project.empty:
        return [
            _h2(project.kind_label),
            TextCell.styled(_("Pas encore décrit."), st["small"]),
        ]
    return [
        _h2(project.kind_label),
        _facts(
            [
                (_("Intitulé"), project.title),
                (_("Problème traité"), project.problem),
                (_("Public"), project.public),
                (_("Partenaires"), project.partners),
                (_("Moyens"), project.means),
                (_("Stade"), project.stage_label),
            ]
        ),
    ]


def _team_story(fiche: FicheBody) -> list:
    st = _st()
    story = [_h2(_("Équipe projet"))]
    if not fiche.team:
        return story + [TextCell.styled(_("Pas encore constituée."), st["small"])]
    rows = [_head_row(_("Nom"), _("Qualité"), _("Fonction ou organisme"), _("Référent·e"))]
    for member in fiche.team:
        rows.append(
            [
                _value(member.name),
                TextCell(member.kind_label),
                _value(member.role or NONE),
                TextCell(_("Oui") if member.is_referent else ""),
            ]
        )
    story.append(_grid(rows, [150, 110, USABLE - 150 - 110 - 60, 60]))
    referent = fiche.referent_name
    story.append(Spacer(1, 4))
    story.append(
        _para(
            _("Référent·e du projet : %(name)s") % {"name": referent}
            if referent
            else _("Référent·e du projet : pas encore désigné·e."),
            st["text"],
        )
    )
    return story


# Never more than this is kept together at the foot of a page: a longer lead (a very long
# description) starts where it is and splits.
MAX_LEAD = 250


def _height(flowable: Flowable) -> float:
    _width, height = flowable.wrap(USABLE, 10_000)
    return height + flowable.getSpaceBefore() + flowable.getSpaceAfter()


def _axis_story(axis: AxisBlock) -> tuple[float, list]:
    """An axis's heading, description and table of actions, and the height of its lead:
    the heading, the description and the table's head and first action, which are never
    left at the foot of a page while the rest goes on the next one."""
    st = _st()
    heading = _("Priorité %(n)s — %(title)s") % {"n": axis.priority, "title": axis.title}
    story: list = [Paragraph(safe_text(heading), st["h3"])]
    if axis.description:
        story.append(_para(axis.description, st["text"]))
        story.append(Spacer(1, 3))
    if axis.actions:
        rows = [_head_row(_("Action"), _("Porteur·se"), _("Échéance"), _("État"))]
        for action in axis.actions:
            rows.append(
                [
                    _value(action.title),
                    _value(action.owner or NONE),
                    TextCell(_date(action.due_on)),
                    TextCell(action.status_label),
                ]
            )
        table = _grid(rows, [USABLE - 120 - 62 - 70, 120, 62, 70])
        table.wrap(USABLE, 10_000)
        first_rows = sum(table._rowHeights[:2])  # measured by reportlab
        lead = sum(_height(flowable) for flowable in story) + first_rows
        story.append(table)
    else:
        story.append(TextCell.styled(_("Pas encore d'action."), st["small"]))
        lead = sum(_height(flowable) for flowable in story)
    lead = min(lead, MAX_LEAD)
    return lead, [CondPageBreak(lead), *story]


def fiche_story(fiche: FicheBody) -> list:
    """The body of a fiche projet (no title): used by the fiche, the fiche individuelle
    and each section of the livret."""
    st = _st()
    story: list = [
        _h2(_("Fiche de données")),
        _facts(
            [
                (_("Structure"), f"{fiche.structure_name} ({fiche.structure_kind})"),
                (_("Territoire"), fiche.territory),
                (
                    _("Taille de l'équipe de la structure"),
                    _("%(n)s agents") % {"n": fiche.staff_size}
                    if fiche.staff_size is not None
                    else "",
                ),
                (_("Public accueilli"), fiche.public_served),
                (_("Partenaires"), fiche.partners),
            ]
        ),
        _h2(_("Thématiques")),
        _facts(
            [
                (_("Thématique prioritaire"), fiche.priority_theme),
                (_("Thématique secondaire"), fiche.secondary_theme),
            ]
        ),
    ]
    for project in fiche.projects:
        story += _project_story(project)
    story += _team_story(fiche)
    story += [_h2(_("Enseignements")), _para(fiche.lessons_learned, st["text"])]
    if fiche.axes:
        axes = [_axis_story(axis) for axis in fiche.axes]
        note = TextCell.styled(_("Axes de travail par ordre de priorité."), st["small"])
        # The heading and its note stay with the first axis's lead.
        story.append(_h2(_("Feuille de route"), keep=40 + _height(note) + axes[0][0]))
        story.append(note)
        for _lead, axis_story in axes:
            story += axis_story
    else:
        story.append(_h2(_("Feuille de route")))
        story.append(TextCell.styled(_("Pas encore d'axe de travail."), st["small"]))
    return story


def _version_text(fiche: FicheBody) -> str:
    if not fiche.revision:
        return _("Fiche pas encore renseignée.")
    return _("Fiche projet, version %(n)s du %(date)s.") % {
        "n": fiche.revision,
        "date": _date(fiche.updated_at),
    }


def _title(title: str, data, fiche: FicheBody) -> list:
    st = _st()
    return [
        TextCell.styled(title.upper(), st["doc_title"]),
        TextCell.styled(fiche.structure_name, st["doc_title"]),
        TextCell.styled(
            _("%(reference)s — %(programme)s")
            % {
                "reference": data.programme_reference,
                "programme": data.programme_title,
            },
            st["subtitle"],
        ),
        TextCell.styled(_version_text(fiche), st["subtitle"]),
        Spacer(1, 6),
    ]


def _qr(data) -> Flowable:
    table = Table(
        [
            [
                TextCell(
                    _("Vérifier l'authenticité de ce document : %(url)s")
                    % {"url": data.verification_url},
                    FONT,
                    7,
                    9,
                    GREY,
                ),
                QRFlowable(data.verification_url, QR_SIZE),
            ]
        ],
        colWidths=[USABLE - QR_SIZE - 10, QR_SIZE + 10],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([Spacer(1, 12), table])


def render_fiche(data: FicheData) -> bytes:
    """The fiche projet of one structure as PDF bytes."""
    title = _("Fiche projet")
    story = _title(title, data, data.fiche) + fiche_story(data.fiche) + [_qr(data)]
    return _build(data, title=title, story=story)


# ---------------------------------------------------------------------------- individual


def _follow_up_story(data: StructureFicheData) -> list:
    st = _st()
    summary = data.follow_up
    story: list = [_h2(_("Suivi de la structure"))]
    if not summary.total:
        return story + [TextCell.styled(_("Aucun échange consigné."), st["text"])]
    counts = ", ".join(f"{label.lower()} : {count}" for label, count in summary.by_kind)
    story.append(
        _facts(
            [
                (_("Échanges consignés"), f"{summary.total} ({counts})"),
                (
                    _("Dernier échange"),
                    # Notes only: no exchange yet.
                    f"{_date(summary.last_contact_on)} — {summary.last_contact_label}"
                    if summary.last_contact_on
                    else NONE,
                ),
                (_("Questions sans réponse"), str(len(summary.open_questions))),
            ]
        )
    )
    if summary.open_questions:
        rows = [_head_row(_("Posée le"), _("Question"))]
        rows += [[TextCell(_date(day)), _value(text)] for day, text in summary.open_questions]
        story += [Spacer(1, 4), _grid(rows, [62, USABLE - 62])]
    return story


def _session_dates(session) -> str:
    """The session's first and last days, in its own time zone (« 07/06/2021 » for one)."""
    if not session.first_start or not session.last_end:
        return NONE
    zone = ZoneInfo(session.timezone)
    first, last = session.first_start.astimezone(zone), session.last_end.astimezone(zone)
    if first.date() == last.date():
        return _date(first)
    return f"{_date(first)} – {_date(last)}"


def _participation_story(data: StructureFicheData) -> list:
    st = _st()
    story: list = [
        _h2(_("Participation aux sessions")),
        TextCell.styled(
            _(
                "Heures lues sur les demi-journées scellées : seuls les émargements signés "
                "et contresignés comptent."
            ),
            st["small"],
        ),
        Spacer(1, 3),
    ]
    if not data.participation:
        return story + [TextCell.styled(_("Personne de la structure inscrit·e."), st["text"])]
    rows = [_head_row(_("Session"), _("Dates"), _("Personne"), _("Prévu"), _("Réalisé"))]
    for session in data.participation:
        dates = _session_dates(session)
        for index, person in enumerate(session.people):
            rows.append(
                [
                    _value(session.code) if index == 0 else "",
                    TextCell(dates) if index == 0 else "",
                    _value(person.name),
                    TextCell(hours_label(person.planned_minutes)),
                    TextCell(hours_label(person.realised_minutes)),
                ]
            )
    rows.append(
        [
            TextCell(_("Total"), FONT_BOLD),
            "",
            "",
            TextCell(hours_label(data.planned_minutes), FONT_BOLD),
            TextCell(hours_label(data.realised_minutes), FONT_BOLD),
        ]
    )
    story.append(_grid(rows, [90, 110, USABLE - 90 - 110 - 110, 55, 55], total_row=True))
    return story


def _tasks_story(data: StructureFicheData) -> list:
    st = _st()
    story: list = [_h2(_("Travaux d'intersession"))]
    if not data.tasks:
        return story + [TextCell.styled(_("Aucun travail demandé."), st["text"])]
    done = sum(1 for task in data.tasks if task.done_on)
    story.append(
        TextCell.styled(
            ngettext(
                "%(done)s travail fait sur %(count)s.",
                "%(done)s travaux faits sur %(count)s.",
                done,
            )
            % {"done": done, "count": len(data.tasks)},
            st["text"],
        )
    )
    story.append(Spacer(1, 3))
    rows = [_head_row(_("Travail"), _("Type"), _("À rendre le"), _("État"))]
    for task in data.tasks:
        state = (
            _("Fait le %(date)s") % {"date": _date(task.done_on)} if task.done_on else _("À faire")
        )
        rows.append(
            [
                _value(task.title),
                TextCell(task.kind_label),
                TextCell(_date(task.due_on)),
                TextCell(state),
            ]
        )
    story.append(_grid(rows, [USABLE - 110 - 62 - 100, 110, 62, 100]))
    return story


def _certificates_story(data: StructureFicheData) -> list:
    st = _st()
    story: list = [_h2(_("Certificats et attestations émis"))]
    if not data.certificates:
        return story + [TextCell.styled(_("Aucun certificat émis à ce jour."), st["text"])]
    rows = [_head_row(_("Titulaire"), _("Document"), _("Formation"), _("Numéro"))]
    for line in data.certificates:
        rows.append(
            [
                _value(line.holder),
                TextCell(line.kind_label),
                _value(line.formation),
                TextCell(line.number, size=6.5, leading=8),
            ]
        )
    story.append(_grid(rows, [110, 110, USABLE - 110 - 110 - 160, 160]))
    return story


def render_structure_fiche(data: StructureFicheData) -> bytes:
    """The fiche individuelle of one structure as PDF bytes."""
    title = _("Fiche individuelle")
    story = (
        _title(title, data, data.fiche)
        + fiche_story(data.fiche)
        + _follow_up_story(data)
        + _participation_story(data)
        + _tasks_story(data)
        + _certificates_story(data)
        + [_qr(data)]
    )
    return _build(data, title=title, story=story)


# ---------------------------------------------------------------------------- livret


class _PageMark(Flowable):
    """Records the page it lands on (`pages[key]`): where a section of the livret starts."""

    def __init__(self, pages: dict, key: int):
        super().__init__()
        self.pages, self.key = pages, key
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.pages[self.key] = self.canv.getPageNumber()


def _cover(data: BookletData) -> list:
    st = _st()
    return [
        Spacer(1, 120),
        TextCell.styled(_("Livret des projets").upper(), st["doc_title"]),
        Spacer(1, 8),
        TextCell.styled(data.programme_title, st["doc_title"]),
        TextCell.styled(
            _("Opération %(reference)s — porteur : %(carrier)s")
            % {"reference": data.programme_reference, "carrier": data.programme_carrier},
            st["subtitle"],
        ),
        Spacer(1, 20),
        TextCell.styled(
            _("Les fiches projet de %(n)s structures, état au %(date)s.")
            % {"n": len(data.fiches), "date": _date(data.generated_at)},
            st["subtitle"],
        ),
        Spacer(1, 40),
        _qr(data),
        PageBreak(),
    ]


def _contents(data: BookletData, pages: dict) -> list:
    st = _st()
    rows = [_head_row(_("Structure"), _("Thématique prioritaire"), _("Page"))]
    for fiche in data.fiches:
        rows.append(
            [
                _value(fiche.structure_name),
                _value(fiche.priority_theme or NONE),
                # Filled in on the second rendering; the width does not change the layout.
                TextCell(str(pages.get(fiche.structure_id, "")), FONT_BOLD),
            ]
        )
    table = _grid(rows, [USABLE - 200 - 50, 200, 50])
    return [
        Paragraph(safe_text(_("Sommaire")), st["h1"]),
        Spacer(1, 6),
        table,
        PageBreak(),
    ]


def _booklet_story(data: BookletData, pages: dict, found: dict) -> list:
    st = _st()
    story = _cover(data) + _contents(data, pages)
    for index, fiche in enumerate(data.fiches):
        story += [
            _PageMark(found, fiche.structure_id),
            Paragraph(safe_text(fiche.structure_name), st["h1"]),
            TextCell(_version_text(fiche), FONT, 9, 12, GREY),
            *fiche_story(fiche),
        ]
        if index < len(data.fiches) - 1:
            story.append(PageBreak())
    return story


def render_booklet(data: BookletData) -> bytes:
    """The livret as PDF bytes. Rendered twice: the first pass finds the page where each
    structure's section starts, the second prints those pages in the table of contents
    (whose size does not depend on them: each structure is one row)."""
    title = _("Livret des projets")
    pages: dict = {}
    _build(data, title=title, story=_booklet_story(data, {}, pages))
    # A page number never changes a row's height, so the second pass is the last; the
    # third is a guard should a long name ever wrap differently.
    for _attempt in range(2):
        found: dict = {}
        content = _build(data, title=title, story=_booklet_story(data, pages, found))
        if found == pages:
            break
        pages = found
    return content
