"""Demo documents: the signed sheet of every fully sealed demo session, the two
certificates of each person enrolled in one (no certificat de réalisation for someone
absent throughout), and the certificat d'assiduité of each
structure with people in one (per formation), are issued once by the coordination account,
so that a visitor finds kept documents on the session pages, on the participants' and
structures' pages and in the participants' own space; and the FSE formation's expenses,
claims and payment (`livrables.demo_money`). Idempotent: what stands is left alone."""

from dataclasses import dataclass

from evaluations import defaults
from evaluations.models import Questionnaire, Response
from evaluations.selectors_synthesis import SynthesisScope
from evaluations.services_synthesis import synthesis_conclusion_save
from formations.models import Formation, Participant, Structure
from livrables import demo_money
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.selectors import (
    CERTIFICATE_KINDS,
    STRUCTURE_CERTIFICATE,
    current_kept_document,
    fully_sealed_session_q,
    own_certificates,
    standing,
)
from livrables.services import issue_certificate, issue_sheet, issue_structure_certificate
from livrables.services_synthesis import issue_synthesis
from sessions.models import Enrolment, TrainingSession


@dataclass(frozen=True)
class Issued:
    """What one load issued (nothing on a second run)."""

    sheets: int
    structure_certificates: int


def load(*, coordinator) -> Issued:
    """Issues the sheets and certificates not issued yet; says how many sheets and
    structure certificates were."""
    sealed = TrainingSession.objects.filter(fully_sealed_session_q()).order_by("pk")
    issued = 0
    for session in sealed:
        if current_kept_document(kind=IssuedDocument.Kind.ATTENDANCE_SHEET, session=session):
            continue
        issue_sheet(session=session, actor=coordinator)
        issued += 1
    _issue_certificates(coordinator=coordinator)
    demo_money.load(coordinator=coordinator)
    _issue_synthesis(coordinator=coordinator)
    return Issued(
        sheets=issued, structure_certificates=_issue_structure_certificates(coordinator=coordinator)
    )


SYNTHESIS_FORMATION = "CD93-DEIAT-2021-NI"
SYNTHESIS_CONCLUSION = (
    "Les participant·es jugent la formation utile et concrète ; le rythme de l'après-midi "
    "sera allégé aux prochaines sessions et davantage de cas pratiques sur l'accès aux "
    "droits en ligne seront proposés."
)


def _issue_synthesis(*, coordinator) -> None:
    """The Seine-Saint-Denis formation's à chaud synthesis, « dont la synthèse sera envoyée
    au Département », with its conclusion: issued once."""
    formation = Formation.objects.filter(contract_reference=SYNTHESIS_FORMATION).first()
    questionnaire = Questionnaire.objects.filter(code=defaults.HOT).first()
    if formation is None or questionnaire is None:
        return
    answered = Response.objects.filter(
        campaign__formation=formation, version__questionnaire=questionnaire
    )
    if not answered.exists():
        return
    if IssuedDocument.objects.filter(
        kind=IssuedDocument.Kind.EVALUATION_SYNTHESIS, formation=formation
    ).exists():
        return
    scope = SynthesisScope(formation=formation, questionnaire=questionnaire)
    synthesis_conclusion_save(scope=scope, conclusion=SYNTHESIS_CONCLUSION, actor=coordinator)
    issue_synthesis(scope=scope, actor=coordinator)


def _issue_certificates(*, coordinator) -> None:
    """Both certificates for each person and formation with a fully sealed session."""
    pairs = (
        Enrolment.objects.filter(
            session__in=TrainingSession.objects.filter(fully_sealed_session_q())
        )
        .values_list("participant_id", "session__formation_id")
        .distinct()
        .order_by("participant_id", "session__formation_id")
    )
    for participant_id, formation_id in pairs:
        participant = Participant.objects.get(pk=participant_id)
        kinds_standing = set(
            own_certificates(participant=participant)
            .filter(formation_id=formation_id)
            .values_list("kind", flat=True)
        )
        for kind in CERTIFICATE_KINDS:
            if kind in kinds_standing:
                continue
            try:
                issue_certificate(
                    kind=kind,
                    participant=participant,
                    formation=Formation.objects.get(pk=formation_id),
                    actor=coordinator,
                )
            except LivrablesError as error:
                # Someone absent from every half-day has no certificat de réalisation.
                if error.code != "nothing_realised":
                    raise


def _issue_structure_certificates(*, coordinator) -> int:
    """The certificat d'assiduité of each structure in each formation where its people are
    enrolled in a fully sealed (not cancelled) session, unless one stands; returns how many
    were issued."""
    sealed = TrainingSession.objects.filter(fully_sealed_session_q()).exclude(
        status=TrainingSession.Status.CANCELLED
    )
    pairs = (
        Enrolment.objects.filter(session__in=sealed.values("pk"))
        .values_list("participant__structure_id", "session__formation_id")
        .distinct()
        .order_by("participant__structure_id", "session__formation_id")
    )
    issued_already = set(
        standing(IssuedDocument.objects.filter(kind=STRUCTURE_CERTIFICATE))
        .exclude(storage_name="")
        .values_list("structure_id", "formation_id")
    )
    issued = 0
    for structure_id, formation_id in pairs:
        if (structure_id, formation_id) in issued_already:
            continue
        issue_structure_certificate(
            structure=Structure.objects.get(pk=structure_id),
            formation=Formation.objects.get(pk=formation_id),
            actor=coordinator,
        )
        issued += 1
    return issued


# --- Expected deliverables of the Lille Sud action (seed 000) -----------------------------

LILLE_SUD = "FEDER-2018-AO.3"
DEMO_DELIVERABLES = [
    (
        "Récit collectif bimestriel",
        "bimonthly",
        "Le processus d'observation, de réflexion et d'application des chargés d'innovation "
        "et d'animation autour des nouvelles pratiques numériques et professionnelles : "
        "petits et grands changements engagés, freins levés, leviers trouvés.",
    ),
    (
        "Cadre de référence semestriel",
        "half_yearly",
        "Par grands chapitres, les compétences développées par les chargés d'innovation et "
        "d'animation, celles à acquérir et celles à valider (publication semestrielle).",
    ),
    (
        "Note support annuelle",
        "yearly",
        "Les contours des référentiels métiers chargé d'innovation numérique et chargé "
        "d'animation numérique (fin 2018), finalisés fin 2019.",
    ),
]


def _demo_pdf(title: str, due) -> bytes:
    """A one-page PDF standing for the deliverable's version in the demo."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(title)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 11)
    if due.period_start:
        page.drawString(
            72, 745, f"Période du {due.period_start:%d/%m/%Y} au {due.period_end:%d/%m/%Y}"
        )
    page.drawString(72, 728, "Document de démonstration — Centres sociaux connectés, Lille Sud")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _at(day, hour=10):
    import datetime as dt

    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def load_deliverables(*, coordinator) -> int:
    """Gives the Lille Sud formation its three deliverables (once): most due items
    validated by the FEDER auditor (one by the coordination with the funder's message
    pasted), one diffused, one reworked then validated, some awaiting the funder's
    decision, one to rework, and the last narrative late. Returns how many deliverables
    were defined."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from formations.models import User
    from livrables.models_deliverables import ExpectedDeliverable
    from livrables.services_deliverables import (
        deliverable_create,
        version_decide,
        version_diffuse,
        version_submit,
    )

    formation = Formation.objects.filter(contract_reference=LILLE_SUD).first()
    if formation is None or ExpectedDeliverable.objects.filter(formation=formation).exists():
        return 0
    funder = formation.programme.funders.filter(kind="feder").first()
    auditor = User.objects.filter(
        role=User.Role.FUNDER_AUDITOR, funders=funder, is_active=True
    ).first()
    day = dt.timedelta(days=1)

    def submit(deliverable, due, number=1):
        # A second version follows the funder's request (decided 10 days after the due
        # date): uploaded 5 days later, decided 10 days after that.
        name = f"{deliverable.title} {due.due_date:%Y-%m-%d} v{number}.pdf"
        return version_submit(
            actor=coordinator,
            due=due,
            upload=SimpleUploadedFile(name, _demo_pdf(deliverable.title, due)),
            now=_at(due.due_date + (-2 if number == 1 else 15) * day),
        )

    def decide(version, *, validated=True, comment="", by_coordinator=False):
        # The funder answers 10 days after the due date (after the upload, for a second
        # version).
        base = version.due.due_date + (15 * day if version.number > 1 else dt.timedelta())
        if by_coordinator or auditor is None:
            return version_decide(
                actor=coordinator,
                version=version,
                validated=validated,
                funder=funder,
                comment=comment,
                message_text=(
                    f"De : service FEDER, MEL\nLe {base + 10 * day:%d/%m/%Y}\n"
                    + ("Le document est validé." if validated else comment)
                ),
                now=_at(base + 10 * day),
            )
        return version_decide(
            actor=auditor,
            version=version,
            validated=validated,
            funder=funder,
            comment=comment,
            now=_at(base + 10 * day),
        )

    deliverables = [
        deliverable_create(
            actor=coordinator,
            formation=formation,
            title=title,
            rhythm=rhythm,
            description=description,
        )
        for title, rhythm, description in DEMO_DELIVERABLES
    ]
    recit, cadre, note = (list(d.dues.order_by("due_date")) for d in deliverables)
    # The narratives: validated, the first diffused, the third reworked once; the
    # eleventh awaits the funder; the last one is late (nothing uploaded).
    for index, due in enumerate(recit[:10]):
        version = submit(deliverables[0], due)
        if index == 2:
            decide(version, validated=False, comment="Détailler les freins levés et les leviers.")
            version = submit(deliverables[0], due, number=2)
        decide(version)
        if index == 0:
            version_diffuse(actor=coordinator, version=version, now=_at(due.due_date + 20 * day))
    submit(deliverables[0], recit[10])
    # The reference framework: three validated (one recorded by the coordination from the
    # funder's e-mail), the last to rework.
    for index, due in enumerate(cadre[:3]):
        decide(submit(deliverables[1], due), by_coordinator=index == 1)
    decide(
        submit(deliverables[1], cadre[3]),
        validated=False,
        comment="Ajouter le chapitre des compétences à valider.",
    )
    # The yearly note: 2018 validated, 2019 awaiting the funder.
    decide(submit(deliverables[2], note[0]))
    submit(deliverables[2], note[1])
    return len(deliverables)
