"""The service-fait statement as a spreadsheet (XLSX through the export layer,
`formations.exporting`): one line per figure, day, pending half-day, claim and payment,
money as numbers (Decimal, to the cent), hours as decimal hours."""

from decimal import Decimal

from django.utils.translation import gettext as _

from formations.exporting import BaseExporter, Column, french_number
from livrables.service_fait import Statement


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


class ServiceFaitExporter(BaseExporter):
    identifier = "etat-service-fait"
    verbose_name = "Service fait"

    def __init__(self, *, statement: Statement):
        self.statement = statement

    def get_filename(self) -> str:
        st = self.statement
        return (
            f"etat-service-fait-{st.formation.contract_reference}-"
            f"{st.period_start:%Y%m%d}-{st.period_end:%Y%m%d}"
        )

    def get_columns(self):
        return [
            Column(_("Rubrique"), None),
            Column(_("Date"), None),
            Column(_("Session"), None),
            Column(_("Détail"), None),
            Column(_("Heures"), None),
            Column(_("Heures-stagiaires"), None),
            Column(_("Montant HT (€)"), None),
            Column(_("Montant TTC (€)"), None),
        ]

    def iterate_rows(self):
        st = self.statement
        yield [
            _("Marché"),
            None,
            None,
            f"{st.formation.contract_reference} — {st.formation.title}",
            None,
            None,
            None,
            None,
        ]
        yield [
            _("Période"),
            st.period_start,
            None,
            _("au %(end)s") % {"end": f"{st.period_end:%d/%m/%Y}"},
            None,
            None,
            None,
            None,
        ]
        yield [
            _("Tarification"),
            None,
            None,
            _("%(mode)s — montant %(basis)s, TVA %(vat)s %%")
            % {
                "mode": st.pricing_label,
                "basis": st.basis_label,
                "vat": french_number(f"{st.vat_rate.normalize():f}"),
            },
            None,
            None,
            st.cap.ht,
            st.cap.ttc,
        ]
        yield [
            _("Unités réalisées"),
            None,
            None,
            f"{st.unit_label} : {st.units_text}",
            None,
            None,
            None,
            None,
        ]
        for label, money in (
            (_("Service fait sur la période"), st.gross),
            (_("Déjà demandé sur la période"), st.already_claimed_in_period),
            (_("Montant à demander"), st.claimable),
        ):
            yield [
                label,
                None,
                None,
                (st.claims_problem or st.problem) if money is None else "",
                None,
                None,
                money.ht if money else None,
                money.ttc if money else None,
            ]
        for day in st.days:
            yield [
                _("Journée"),
                day.date,
                day.session_code,
                day.state_label,
                _hours(day.planned_minutes),
                _hours(day.realised_minutes),
                None,
                None,
            ]
        for half_day in st.pending_half_days:
            yield [
                _("En attente de scellement"),
                half_day.date,
                half_day.session_code,
                f"{half_day.start:%H:%M}–{half_day.end:%H:%M}",
                _hours(half_day.planned_minutes),
                None,
                None,
                None,
            ]
        for claim in st.claims.claims:
            yield [
                _("Demande envoyée"),
                claim.sent_on,
                None,
                _("du %(start)s au %(end)s")
                % {
                    "start": f"{claim.period_start:%d/%m/%Y}",
                    "end": f"{claim.period_end:%d/%m/%Y}",
                },
                None,
                None,
                claim.amount_ht,
                claim.amount_ttc,
            ]
        for payment in st.claims.payments:
            yield [
                _("Paiement reçu"),
                payment.received_on,
                None,
                payment.funder.name,
                None,
                None,
                None,
                payment.amount,
            ]
        for rule in st.contract.rules:
            if rule.applicable:
                yield [
                    _("Règle du marché"),
                    None,
                    None,
                    f"{rule.label} : {rule.expected} — {rule.value} ({rule.state_label})",
                    None,
                    None,
                    None,
                    None,
                ]
