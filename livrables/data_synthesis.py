"""Plain, frozen data of the evaluation synthesis PDF: one questionnaire's results in a
formation (or one of its sessions) over a period (`evaluations.selectors_results`), with
what every issued document prints (organisme, funders' emblems and sentences, number,
verification address) and the coordinator's conclusion. All queries run here, in a
constant number whatever the number of answers; `livrables.pdf.synthesis` touches no ORM.

This is the funder's copy, the only one issued: it never carries a name or contact
details. Results hold none (an anonymous response has no author; a nominative
questionnaire's synthesis keeps its aggregates only, no comment at all); a comment a
coordinator hid is left out (and counted), and an e-mail address or phone number typed in
a comment is taken out (`evaluations.anonymity`).

Comments are printed in alphabetical order, never in the order of answers (on the trainer's
tablet, that order is the order people handed it round). With fewer than
`MASK_THRESHOLD` responses in the scope, the PDF keeps the aggregates and leaves every
comment out (counted): a handful of respondents can be recognised by what they write, and
the funder holds the attendance lists. We print the aggregates rather than refuse the
document: the funder is owed a synthesis of every session, and figures over four people
say less about one of them than his own sentence does; the coordinator is warned on the
page before issuing."""

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.anonymity import redact_contacts
from evaluations.models import Question
from evaluations.selectors_results import MASK_THRESHOLD, results_for
from evaluations.selectors_synthesis import SynthesisScope, synthesis_campaigns, synthesis_draft
from formations.french import time_zone_label
from formations.selectors import provider_identity
from livrables.data import FunderInfo, funder_infos, verification_url
from livrables.data_certificates import ProviderInfo
from livrables.exceptions import LivrablesError
from sessions.models import TrainingSession

NUMBER_PREFIX = "SYN"


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a value (« 4 », « Oui », an option) and how many gave it."""

    label: str
    count: int
    percent: Decimal | None = None
    correct: bool = False  # a quiz's right option


@dataclass(frozen=True)
class ObjectiveLine:
    objective: str
    count: int
    before: Decimal | None
    after: Decimal | None
    progress: Decimal | None


@dataclass(frozen=True)
class QuestionBlock:
    text: str
    kind: str
    answered: int
    scale_low_label: str = ""
    scale_high_label: str = ""
    mean: Decimal | None = None
    bars: tuple[Bar, ...] = ()
    success_count: int | None = None
    success_rate: Decimal | None = None
    mean_points: Decimal | None = None
    points: int | None = None
    correct_labels: tuple[str, ...] = ()
    objectives: tuple[ObjectiveLine, ...] = ()
    comments: tuple[str, ...] = ()
    # Comments left out of this copy: hidden by the coordination.
    withheld: int = 0
    # Comments left out because the scope has fewer than MASK_THRESHOLD responses.
    withheld_few: int = 0


@dataclass(frozen=True)
class SectionBlock:
    title: str
    questions: tuple[QuestionBlock, ...]


@dataclass(frozen=True)
class SessionLine:
    code: str
    first_day: dt.date | None
    last_day: dt.date | None


@dataclass(frozen=True)
class SynthesisData:
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
    questionnaire_title: str
    questionnaire_kind: str
    nominative: bool
    session_code: str  # the one session covered by choice, else ""
    period_from: dt.date | None  # the campaigns' period chosen
    period_to: dt.date | None
    campaigns_from: dt.date | None  # the first and last opening days of the campaigns covered
    campaigns_to: dt.date | None
    first_day: dt.date | None  # the sessions' (or answers') first and last days
    last_day: dt.date | None
    sessions: tuple[SessionLine, ...]
    invited: int
    answered: int
    responses: int
    response_rate: Decimal | None
    sections: tuple[SectionBlock, ...]
    conclusion: str = ""
    verification_url: str = ""

    @property
    def few_responses(self) -> bool:
        """Fewer than MASK_THRESHOLD responses: aggregates only, no comment."""
        return self.responses < MASK_THRESHOLD

    @property
    def has_eu_funder(self) -> bool:
        return any(f.is_eu for f in self.funders)


def _bars(counts) -> tuple[Bar, ...]:
    return tuple(
        Bar(label=c.label, count=c.count, percent=c.percent, correct=c.correct) for c in counts
    )


def alphabetical(text: str) -> tuple[str, str]:
    """Sort key of a comment: accents and case ignored, then as written."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return ("".join(c for c in decomposed if not unicodedata.combining(c)), text)


def _question(result, *, nominative: bool, few: bool) -> QuestionBlock:
    kind = result.kind
    bars = _bars(result.distribution or result.options)
    comments: tuple[str, ...] = ()
    withheld = withheld_few = 0
    if kind == Question.Kind.TEXT and not nominative:
        shown = [c for c in result.comments if not c.hidden]
        withheld = len(result.comments) - len(shown)
        if few:
            withheld_few = len(shown)
        else:
            comments = tuple(sorted((redact_contacts(c.text) for c in shown), key=alphabetical))
    return QuestionBlock(
        text=result.text,
        kind=kind,
        answered=result.answered_count,
        scale_low_label=result.scale_low_label,
        scale_high_label=result.scale_high_label,
        mean=result.mean,
        bars=bars,
        success_count=result.success_count,
        success_rate=result.success_rate,
        mean_points=result.mean_points,
        points=result.points,
        correct_labels=tuple(result.correct_labels),
        objectives=tuple(
            ObjectiveLine(o.objective, o.count, o.mean_before, o.mean_after, o.progress)
            for o in result.objectives
        ),
        comments=comments,
        withheld=withheld,
        withheld_few=withheld_few,
    )


def build_synthesis_data(*, scope: SynthesisScope, now=None) -> SynthesisData:
    """Everything the synthesis of `scope` prints. Raises LivrablesError
    `period_reversed`, `provider_missing`, `no_responses` (nothing answered in the scope:
    there is nothing to synthesise)."""
    if scope.date_from and scope.date_to and scope.date_from > scope.date_to:
        raise LivrablesError(
            _("La période est inversée : la date de début suit la date de fin."),
            code="period_reversed",
        )
    provider = provider_identity()
    if provider is None:
        raise LivrablesError(
            _(
                "L'identité de l'organisme de formation n'est pas renseignée (page "
                "« Organisme ») : la synthèse n'a pas d'émetteur."
            ),
            code="provider_missing",
        )
    now = now or timezone.now()
    formation = type(scope.formation).objects.select_related("programme").get(pk=scope.formation.pk)
    programme = formation.programme
    sessions = None
    if scope.session is not None:
        sessions = TrainingSession.objects.filter(pk=scope.session.pk)
    results = results_for(campaigns=synthesis_campaigns(scope=scope), sessions=sessions)
    if not results.responses:
        raise LivrablesError(
            _("Aucune réponse à ce questionnaire dans ce périmètre : rien à synthétiser."),
            code="no_responses",
        )
    nominative = scope.questionnaire.nominative
    few = results.responses < MASK_THRESHOLD
    draft = synthesis_draft(scope=scope)
    opened = synthesis_campaigns(scope=scope).aggregate(first=Min("opens_at"), last=Max("opens_at"))
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    fingerprint = (
        f"{formation.pk}|{scope.questionnaire.pk}|{scope.session.pk if scope.session else ''}|"
        f"{scope.date_from}|{scope.date_to}|{stamp}|{results.responses}|{results.invited}"
    )
    suffix = hashlib.sha256(fingerprint.encode()).hexdigest()[:4].upper()
    target = f"S{scope.session.pk}" if scope.session is not None else f"F{formation.pk}"
    number = f"{NUMBER_PREFIX}-{target}-Q{scope.questionnaire.pk}-{stamp}-{suffix}"
    return SynthesisData(
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
        questionnaire_title=scope.questionnaire.title,
        questionnaire_kind=str(scope.questionnaire.get_kind_display()),
        nominative=nominative,
        session_code=scope.session.code if scope.session is not None else "",
        period_from=scope.date_from,
        period_to=scope.date_to,
        campaigns_from=timezone.localdate(opened["first"]) if opened["first"] else None,
        campaigns_to=timezone.localdate(opened["last"]) if opened["last"] else None,
        first_day=results.first_day,
        last_day=results.last_day,
        sessions=tuple(SessionLine(s.code, s.first_day, s.last_day) for s in results.sessions),
        invited=results.invited,
        answered=results.answered,
        responses=results.responses,
        response_rate=results.response_rate,
        sections=tuple(
            SectionBlock(
                title=section.title,
                questions=tuple(
                    _question(q, nominative=nominative, few=few) for q in section.questions
                ),
            )
            for section in results.sections
        ),
        conclusion=draft.conclusion if draft is not None else "",
        verification_url=verification_url(number),
    )
