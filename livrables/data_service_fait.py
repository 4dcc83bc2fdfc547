"""Plain, frozen data of the service-fait statement PDF: the statement of the period
(`livrables.service_fait.service_fait_statement`) with what every issued document prints
(organisme, funders' emblems and sentences, number, verification address). All queries
run here, in a constant number; `livrables.pdf.service_fait` touches no ORM."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from formations.french import time_zone_label
from formations.selectors import provider_identity
from livrables.data import FunderInfo, funder_infos, verification_url
from livrables.data_certificates import ProviderInfo
from livrables.exceptions import LivrablesError
from livrables.service_fait import Statement, service_fait_statement

NUMBER_PREFIX = "SF"


@dataclass(frozen=True)
class StatementData:
    number: str
    generated_at: dt.datetime  # aware, local
    time_zone_label: str
    provider: ProviderInfo
    programme_reference: str
    programme_title: str
    contract_reference: str
    formation_title: str
    funders: tuple[FunderInfo, ...]
    programme_sentence: str
    statement: Statement
    verification_url: str = ""

    @property
    def has_eu_funder(self) -> bool:
        return any(f.is_eu for f in self.funders)


def build_statement_data(*, formation, period_start, period_end, now=None) -> StatementData:
    """Raises LivrablesError `period_reversed`, `provider_missing`."""
    if period_start > period_end:
        raise LivrablesError(
            _("La période est inversée : la date de début suit la date de fin."),
            code="period_reversed",
        )
    provider = provider_identity()
    if provider is None:
        raise LivrablesError(
            _(
                "L'identité de l'organisme de formation n'est pas renseignée (page "
                "« Organisme ») : l'état n'a pas de signataire."
            ),
            code="provider_missing",
        )
    now = now or timezone.now()
    formation = type(formation).objects.select_related("programme").get(pk=formation.pk)
    programme = formation.programme
    statement = service_fait_statement(
        formation=formation, period_start=period_start, period_end=period_end
    )
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    fingerprint = (
        f"{formation.pk}|{period_start}|{period_end}|{stamp}|{statement.units}|"
        f"{statement.realised_minutes}|{statement.claimable}"
    )
    suffix = hashlib.sha256(fingerprint.encode()).hexdigest()[:4].upper()
    number = (
        f"{NUMBER_PREFIX}-F{formation.pk}-{period_start:%Y%m%d}-{period_end:%Y%m%d}-"
        f"{stamp}-{suffix}"
    )
    return StatementData(
        number=number,
        generated_at=timezone.localtime(now),
        time_zone_label=time_zone_label(settings.TIME_ZONE),
        provider=ProviderInfo.of(provider),
        programme_reference=programme.reference,
        programme_title=programme.title,
        contract_reference=formation.contract_reference,
        formation_title=formation.title,
        funders=funder_infos(programme.funders.order_by("name")),
        programme_sentence=programme.publicity_sentence,
        statement=statement,
        verification_url=verification_url(number),
    )
