"""The état de service fait of a formation over a period, on portrait A4:
`render_service_fait(data)`.

What the funder pays on: the contract's pricing, the units realised in the period (days
delivered, trainee-hours or sessions), the gross amount, what was already claimed over
the period and the claimable amount, HT / TVA / TTC; then the days with their state, the
half-days still to seal (listed apart, counting nothing), the claims and payments and the
contract rules' status. It shares the certificates' page (`livrables.pdf.certificates`):
funders' emblem block and sentences, number, QR code to the verification page,
« Page x / y », issuer and signatory. Runs no queries.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.platypus import Spacer, Table, TableStyle

from formations.french import hours_label
from livrables.data_service_fait import StatementData
from livrables.pdf.base import FONT, FONT_BOLD
from livrables.pdf.certificates import (
    MARGIN_X,
    PAGE,
    _build,
    _signature_block,
    _styles,
    facts_table,
)
from livrables.pdf.sheet import TextCell
from livrables.service_fait import Money

USABLE = PAGE[0] - 2 * MARGIN_X
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD_BACKGROUND = colors.Color(0.93, 0.94, 0.97)
TOTAL_BACKGROUND = colors.Color(0.96, 0.96, 0.96)


def euros(value: Decimal | None) -> str:
    """« 12 345,60 € » (a narrow no-break space between thousands)."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


def _cell(text, bold=False, size=8):
    return TextCell(text, FONT_BOLD if bold else FONT, size, size + 2)


def _grid(rows, widths, *, head=True, total=False) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if head else 0, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_BACKGROUND))
    if total:
        style.append(("BACKGROUND", (0, -1), (-1, -1), TOTAL_BACKGROUND))
    table.setStyle(TableStyle(style))
    return table


def _money_row(label: str, money: Money | None, bold=False) -> list:
    if money is None:
        return [_cell(label, bold), _cell("—"), _cell("—"), _cell("—")]
    return [
        _cell(label, bold),
        _cell(euros(money.ht), bold),
        _cell(euros(money.vat), bold),
        _cell(euros(money.ttc), bold),
    ]


def _identity(data: StatementData) -> Table:
    st = data.statement
    price = euros(st.unit_price) if st.unit_price is not None else "—"
    planned = f"{st.planned_units.normalize():f}".replace(".", ",") if st.planned_units else "—"
    rows = [
        (_("Opération"), f"{data.programme_reference} — {data.programme_title}"),
        (_("Marché"), f"{data.contract_reference} — {data.formation_title}"),
        (_("Organisme de formation"), data.provider.legal_name),
        (
            _("Période"),
            _("du %(start)s au %(end)s")
            % {"start": f"{st.period_start:%d/%m/%Y}", "end": f"{st.period_end:%d/%m/%Y}"},
        ),
        (
            _("Tarification"),
            _(
                "%(mode)s — montant du marché %(amount)s %(basis)s, prix unitaire %(price)s "
                "%(basis)s, unités prévues %(planned)s, TVA %(vat)s %%"
            )
            % {
                "mode": st.pricing_label,
                "amount": euros(st.formation.amount),
                "basis": st.basis_label,
                "price": price,
                "planned": planned,
                "vat": f"{st.vat_rate.normalize():f}".replace(".", ","),
            },
        ),
    ]
    return facts_table(
        [[_cell(label, True, 9), _cell(value, False, 9)] for label, value in rows],
        label_width=120,
    )


def _amounts(data: StatementData) -> list:
    st = data.statement
    w = (USABLE - 240) / 3
    rows = [
        [
            _cell(_("Montant"), True),
            _cell(_("HT"), True),
            _cell(_("TVA"), True),
            _cell("TTC", True),
        ],
        _money_row(_("Montant du marché (plafond)"), st.cap),
        _money_row(_("Service fait sur la période"), st.gross),
        _money_row(_("Déjà demandé sur la période"), st.already_claimed_in_period),
        _money_row(_("Montant à demander"), st.claimable, bold=True),
    ]
    story = [
        _cell(
            _("Unités réalisées (%(label)s) : %(units)s")
            % {"label": st.unit_label, "units": st.units_text},
            True,
            10,
        ),
        Spacer(1, 4),
    ]
    if st.problem:
        story += [_cell(st.problem, True, 9), Spacer(1, 4)]
    story.append(_grid(rows, [240, w, w, w], total=True))
    return story


def _days(data: StatementData) -> list:
    st = data.statement
    if not st.days:
        return [_cell(_("Aucune demi-journée de la formation sur la période."), size=9)]
    head = [
        _cell(t, True)
        for t in (_("Date"), _("Session"), _("Heures scellées"), _("Heures-stagiaires"), _("État"))
    ]
    rows = [head]
    for day in st.days:
        rows.append(
            [
                _cell(f"{day.date:%d/%m/%Y}"),
                _cell(day.session_code),
                _cell(hours_label(day.planned_minutes)),
                _cell(hours_label(day.realised_minutes)),
                _cell(day.state_label),
            ]
        )
    rows.append(
        [
            _cell(_("Total"), True),
            _cell(""),
            _cell(hours_label(st.planned_minutes), True),
            _cell(hours_label(st.realised_minutes), True),
            _cell(
                ngettext("%(n)s journée réalisée", "%(n)s journées réalisées", st.delivered_days)
                % {"n": st.delivered_days},
                True,
            ),
        ]
    )
    return [_grid(rows, [70, 110, 90, 90, USABLE - 360], total=True)]


def _pending(data: StatementData) -> list:
    pending = data.statement.pending_half_days
    if not pending:
        return []
    head = [_cell(t, True) for t in (_("Date"), _("Session"), _("Horaires"), _("Contresignée"))]
    rows = [head] + [
        [
            _cell(f"{h.date:%d/%m/%Y}"),
            _cell(h.session_code),
            _cell(f"{h.start:%H:%M} – {h.end:%H:%M}"),
            _cell(_("oui") if h.countersigned else _("non")),
        ]
        for h in pending
    ]
    return [
        _cell(_("Demi-journées en attente de scellement (non comptées)"), True, 10),
        Spacer(1, 4),
        _grid(rows, [70, 140, 110, USABLE - 320]),
        Spacer(1, 10),
    ]


def _claims(data: StatementData) -> list:
    summary = data.statement.claims
    story = [_cell(_("Demandes de paiement et paiements reçus"), True, 10), Spacer(1, 4)]
    if not summary.claims and not summary.payments:
        return story + [_cell(_("Aucune demande envoyée à ce jour."), size=9), Spacer(1, 10)]
    rows = [[_cell(t, True) for t in (_("Période"), _("Envoyée le"), _("HT"), _("TTC"))]]
    for claim in summary.claims:
        rows.append(
            [
                _cell(f"{claim.period_start:%d/%m/%Y} – {claim.period_end:%d/%m/%Y}"),
                _cell(f"{claim.sent_on:%d/%m/%Y}"),
                _cell(euros(claim.amount_ht)),
                _cell(euros(claim.amount_ttc)),
            ]
        )
    story.append(_grid(rows, [150, 90, 120, USABLE - 360]))
    story += [
        Spacer(1, 4),
        _cell(
            (
                _("Demandé : %(claimed)s TTC — reçu : %(paid)s — trop-perçu : %(due)s")
                if summary.overpaid
                else _("Demandé : %(claimed)s TTC — reçu : %(paid)s — reste dû : %(due)s")
            )
            % {
                "claimed": euros(summary.claimed.ttc),
                "paid": euros(summary.paid),
                "due": euros(summary.overpaid or summary.still_due),
            },
            True,
            9,
        ),
        Spacer(1, 10),
    ]
    return story


def _rules(data: StatementData) -> list:
    rules = [r for r in data.statement.contract.rules if r.applicable]
    if not rules:
        return []
    head = [_cell(t, True) for t in (_("Règle du marché"), _("Attendu"), _("Constaté"), _("État"))]
    rows = [head] + [
        [_cell(r.label), _cell(r.expected), _cell(r.value), _cell(r.state_label)] for r in rules
    ]
    return [
        _cell(_("Règles du marché (ensemble de la formation)"), True, 10),
        Spacer(1, 4),
        _grid(rows, [130, 130, 150, USABLE - 410]),
        Spacer(1, 10),
    ]


def render_service_fait(data: StatementData) -> bytes:
    title = _("État de service fait")
    st = _styles()
    story = [
        TextCell.styled(title.upper(), st["doc_title"]),
        TextCell.styled(
            _("D'après les demi-journées scellées (émargées et contresignées)"), st["subtitle"]
        ),
        Spacer(1, 12),
        _identity(data),
        Spacer(1, 10),
        *_amounts(data),
        Spacer(1, 10),
        _cell(_("Journées de la période"), True, 10),
        Spacer(1, 4),
        *_days(data),
        Spacer(1, 10),
        *_pending(data),
        *_claims(data),
        *_rules(data),
        _signature_block(data),
    ]
    return _build(data, title=title, story=story)
