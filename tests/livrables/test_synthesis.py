import datetime as dt
import io
from dataclasses import replace

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evaluations.selectors_synthesis import SynthesisScope
from evaluations.services_synthesis import comment_hide, synthesis_conclusion_save
from formations.models import AuditEntry, OutboxMessage, User
from livrables.data_synthesis import build_synthesis_data
from livrables.exceptions import LivrablesError
from livrables.models import IssuedDocument
from livrables.pack.registry import PACK_SECTIONS, PackScope
from livrables.pdf.synthesis import render_synthesis
from livrables.selectors import document_state, documents_visible_to, issued_file
from livrables.services_synthesis import issue_synthesis, send_synthesis
from tests.evaluations.synthesis_world import (
    HIDDEN_COMMENT,
    PARTICIPANT_EMAIL,
    SHOWN_COMMENT,
    build_world,
)
from tests.factories import FunderFactory, ProviderIdentityFactory, UserFactory
from tests.factories.evaluations import add_response, make_campaign
from tests.livrables.conftest import pdf_text

NOW = timezone.make_aware(dt.datetime(2026, 6, 20, 10, 0))
CONCLUSION = "Les participant·es jugent la formation utile ; l'organisation sera revue."


@pytest.fixture
def world(db, trainer):
    ProviderIdentityFactory()
    return build_world(trainer=trainer)


def scope_of(world, **kwargs) -> SynthesisScope:
    return SynthesisScope(
        formation=world.formation, questionnaire=world.version.questionnaire, **kwargs
    )


def test_synthesis_shows_exact_means_counts_and_response_rate(world):
    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))

    assert "SYNTHÈSE D'ÉVALUATION" in text
    assert "Taux de réponse : 40,0 % (réponses : 4 ; personnes invitées : 10)" in text
    assert "Contenus de la formation 4 réponses — moyenne 3,75 / 5" in text
    assert "Recommanderiez-vous la formation ? 4 réponses — oui : 75,0 %" in text
    # Each bar says its count and share: the scale's 4 twice, Pix ticked by all three.
    assert "2 (50,0 %)" in text and "3 (100,0 %)" in text
    assert "Accompagner une démarche 4 2,00 4,00 +2,00" in text
    assert "LILLE-2026-01" in text
    assert "Cofinancé par l'Union européenne" in text
    assert "Ce projet est cofinancé par l'Union européenne avec le FEDER" in text


def fifth_response(world, comment=""):
    """A fifth response (MASK_THRESHOLD): the synthesis then prints its comments."""
    q = world.questions
    values = {q["scale"]: 3}
    if comment:
        values[q["text"]] = comment
    return add_response(world.campaign, values, structure_kind="ccas")


def test_funder_copy_leaves_out_hidden_comments_and_contact_details(world, coordinator):
    fifth_response(world)
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    world.shown.text = f"{SHOWN_COMMENT}, écrivez-moi à {PARTICIPANT_EMAIL}"
    world.shown.save()

    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))

    assert SHOWN_COMMENT in text
    assert HIDDEN_COMMENT not in text and "Lefèvre" not in text
    assert "1 commentaire non reproduit" in text
    assert PARTICIPANT_EMAIL not in text and "@" not in text
    for participant in world.participants:
        assert participant.last_name not in text


def test_nominative_synthesis_shows_aggregates_only(db, trainer):
    ProviderIdentityFactory()
    world = build_world(trainer=trainer, nominative=True)

    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))

    assert "moyenne 3,75 / 5" in text
    assert SHOWN_COMMENT not in text and HIDDEN_COMMENT not in text
    assert "nominatif" in text
    assert "Martin" not in text and "MARTIN" not in text


def test_conclusion_is_printed(world, coordinator):
    synthesis_conclusion_save(scope=scope_of(world), conclusion=CONCLUSION, actor=coordinator)

    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))

    assert CONCLUSION in text


def test_renderer_runs_no_queries(world, django_assert_num_queries):
    data = build_synthesis_data(scope=scope_of(world), now=NOW)
    with django_assert_num_queries(0):
        render_synthesis(data)


def test_builder_queries_do_not_grow_with_answers(world, django_assert_max_num_queries):
    from tests.factories.evaluations import add_response

    with django_assert_max_num_queries(16) as few:
        build_synthesis_data(scope=scope_of(world), now=NOW)
    for _ in range(20):
        add_response(
            world.campaign,
            {world.questions["scale"]: 3, world.questions["text"]: "Encore"},
            submitted_on=dt.date(2026, 6, 3),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        build_synthesis_data(scope=scope_of(world), now=NOW)


def test_issue_once_then_reissue_supersedes(world, coordinator):
    first = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    assert first.kind == IssuedDocument.Kind.EVALUATION_SYNTHESIS
    assert first.formation == world.formation
    assert first.questionnaire == world.version.questionnaire
    assert first.number.startswith("SYN-")
    assert "Satisfaction à chaud" in first.title
    kept = issued_file(document=first).content
    assert first.number in pdf_text(kept)

    second = issue_synthesis(
        scope=scope_of(world), actor=coordinator, now=NOW + dt.timedelta(minutes=5)
    )
    assert document_state(document=first).superseded_by == second.number
    assert document_state(document=second).is_current
    # Another period is another synthesis: it replaces nothing.
    other = issue_synthesis(
        scope=scope_of(world, date_from=dt.date(2026, 6, 1)), actor=coordinator, now=NOW
    )
    assert document_state(document=second).is_current and other.covers_from
    assert AuditEntry.objects.filter(action="livrables.synthesis_issued").count() == 3


def test_issue_is_refused_to_others_and_without_answers(world, trainer, auditor):
    for user in (trainer, auditor):
        with pytest.raises(LivrablesError) as refused:
            issue_synthesis(scope=scope_of(world), actor=user)
        assert refused.value.code == "not_allowed"
    with pytest.raises(LivrablesError) as refused:
        issue_synthesis(scope=scope_of(world, date_from=dt.date(2026, 7, 1)), actor=None)
    assert refused.value.code == "no_responses"
    assert not IssuedDocument.objects.exists()


def test_auditor_of_the_funder_sees_the_synthesis_others_not(world, coordinator, auditor):
    document = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    assert documents_visible_to(user=auditor).filter(pk=document.pk).exists()
    other = UserFactory(role=User.Role.FUNDER_AUDITOR)
    other.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    assert not documents_visible_to(user=other).filter(pk=document.pk).exists()
    trainer = world.session.trainers.get()
    assert not documents_visible_to(user=trainer).filter(pk=document.pk).exists()


def test_pack_holds_the_standing_synthesis_of_the_period(world, coordinator):
    first = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    second = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    section = PACK_SECTIONS["evaluations"]

    files = list(section.files(PackScope(formation=world.formation)))
    assert [f.path for f in files] == [f"evaluations/{second.filename}"]
    assert b"".join(files[0].chunks()) == issued_file(document=second).content
    assert first.filename != second.filename
    in_period = PackScope(
        formation=world.formation, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31)
    )
    assert len(list(section.files(in_period))) == 1


def test_send_to_funder_attaches_the_pdf_to_its_auditors(world, coordinator, auditor):
    document = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    messages = send_synthesis(
        document=document, actor=coordinator, address="departement@example.org"
    )

    assert sorted(m.recipient for m in messages) == sorted(
        [auditor.email, "departement@example.org"]
    )
    message = OutboxMessage.objects.get(recipient=auditor.email)
    assert message.purpose == "evaluation_synthesis"
    assert document.number in message.body
    from formations.outbox import decoded_attachments

    ((name, content, mimetype),) = decoded_attachments(message)
    assert content == issued_file(document=document).content and mimetype == "application/pdf"


def test_send_refuses_superseded_and_no_recipient(world, coordinator):
    first = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    with pytest.raises(LivrablesError) as refused:
        send_synthesis(document=first, actor=coordinator)
    assert refused.value.code == "no_recipient"  # no auditor account for this funder
    issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    with pytest.raises(LivrablesError) as refused:
        send_synthesis(document=first, actor=coordinator, address="x@example.org")
    assert refused.value.code == "not_current"
    assert not OutboxMessage.objects.exists()


def test_synthesis_is_to_reissue_once_a_comment_is_hidden(world, coordinator):
    document = issue_synthesis(scope=scope_of(world), actor=coordinator, now=NOW)
    assert not document_state(document=document).needs_reissue

    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")

    assert document_state(document=document).needs_reissue


def test_quiz_and_single_choice_render(db, trainer):
    from evaluations.models import Question, Questionnaire
    from tests.factories import TrainingSessionFactory
    from tests.factories.evaluations import add_response, make_campaign, make_version

    ProviderIdentityFactory()
    session = TrainingSessionFactory()
    version = make_version(
        {
            "kind": Question.Kind.QUIZ,
            "text": "Quel service ouvre un compte Ameli ?",
            "choices": ["La CAF", "La CPAM", "La mairie"],
            "correct_choices": [1],
            "points": 2,
        },
        {
            "kind": Question.Kind.SINGLE,
            "text": "Format préféré",
            "choices": ["Présentiel", "Distance"],
        },
        title="Quiz intersession",
        kind=Questionnaire.Kind.QUIZ,
        nominative=True,
    )
    quiz, single = Question.objects.filter(section__version=version).order_by("position")
    campaign = make_campaign(session, version)
    add_response(campaign, {quiz: [1], single: 0})
    add_response(campaign, {quiz: [0], single: 0})
    scope = SynthesisScope(formation=session.formation, questionnaire=version.questionnaire)

    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope, now=NOW)))

    assert "réussite : 1 sur 2 (50,0 %), note moyenne 1,00 sur 2" in text
    assert "Bonne réponse : La CPAM" in text
    assert "2 (100,0 %)" in text


def test_synthesis_of_hundreds_of_sessions_lists_them_at_the_end(world):
    """A table cell never splits across pages: 300 sessions listed in the identity table
    made reportlab give up (LayoutError, bench/evaluations.py at 1,000 sessions)."""
    from dataclasses import replace

    from livrables.data_synthesis import SessionLine

    data = build_synthesis_data(scope=scope_of(world), now=NOW)
    many = tuple(
        SessionLine(f"NAT-{n:04d}", dt.date(2026, 3, 2), dt.date(2026, 3, 3)) for n in range(300)
    )

    text = pdf_text(render_synthesis(replace(data, sessions=many)))

    assert "300 sessions, listées en fin de document" in text
    assert "NAT-0000 (02/03/2026 – 03/03/2026)" in text
    assert "NAT-0299 (02/03/2026 – 03/03/2026)" in text


def test_under_five_responses_the_pdf_keeps_aggregates_and_no_comment(world):
    """The session has four responses: a funder holding its attendance list could tell who
    wrote what. The figures stay, every comment goes (counted, with why)."""
    text = pdf_text(
        render_synthesis(
            build_synthesis_data(scope=scope_of(world, session=world.session), now=NOW)
        )
    )
    assert "moyenne 3,75 / 5" in text
    assert SHOWN_COMMENT not in text and HIDDEN_COMMENT not in text
    assert "Moins de 5 réponses : cette synthèse n'en donne que les résultats agrégés" in text
    assert "2 commentaires non reproduits : moins de 5 réponses" in text

    fifth_response(world)
    text = pdf_text(
        render_synthesis(
            build_synthesis_data(scope=scope_of(world, session=world.session), now=NOW)
        )
    )
    assert SHOWN_COMMENT in text and "Moins de 5 réponses" not in text


def test_period_prints_the_campaigns_real_dates_and_the_scope_apart(world):
    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))
    assert "Période campagne ouverte le 01/06/2026" in text
    assert "Périmètre toute la formation, toutes les campagnes de ce questionnaire" in text
    assert "toutes les campagnes de la formation" not in text

    make_campaign(
        world.session,
        world.version,
        opens_at=timezone.make_aware(dt.datetime(2026, 6, 15, 9, 0)),
    )
    text = pdf_text(
        render_synthesis(
            build_synthesis_data(
                scope=scope_of(world, date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 7, 31)),
                now=NOW,
            )
        )
    )
    assert "Période campagnes ouvertes du 01/06/2026 au 15/06/2026" in text
    assert "Périmètre toute la formation, campagnes ouvertes du 01/05/2026 au 31/07/2026" in text


def test_objectives_are_numbered_under_the_chart_and_named_in_the_table(world):
    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))
    assert "Objectif 1" in text
    assert "1. Accompagner une démarche 4 2,00 4,00 +2,00" in text


def test_comments_are_printed_in_alphabetical_order(world):
    for comment in ("Zéro temps mort", "accueil chaleureux", "Écoute attentive"):
        fifth_response(world, comment)
    text = pdf_text(render_synthesis(build_synthesis_data(scope=scope_of(world), now=NOW)))
    order = ["accueil chaleureux", "Écoute attentive", HIDDEN_COMMENT, SHOWN_COMMENT]
    positions = [text.index(f"« {comment} »") for comment in order + ["Zéro temps mort"]]
    assert positions == sorted(positions)


def test_a_last_comment_never_runs_alone_onto_the_next_page(world):
    """Whatever the number of comments, a page holding comments of the question holds at
    least two of them (or its heading): never one line cut from its block."""
    fifth_response(world)
    data = build_synthesis_data(scope=scope_of(world), now=NOW)
    checked_split = False
    for count in range(4, 60):
        comments = tuple(f"Commentaire numéro {n:02d}" for n in range(count))
        sections = tuple(
            replace(
                section,
                questions=tuple(
                    replace(q, comments=comments) if q.kind == "text" else q
                    for q in section.questions
                ),
            )
            for section in data.sections
        )
        reader = PdfReader(io.BytesIO(render_synthesis(replace(data, sections=sections))))
        pages = [page.extract_text() or "" for page in reader.pages]
        on_page = [page.count("Commentaire numéro") for page in pages]
        assert sum(on_page) == count
        holding = [n for n in on_page if n]
        assert all(n >= 2 for n in holding), (count, on_page)
        checked_split = checked_split or len(holding) > 1
        # The heading is on the page of the first comment.
        first = next(page for page in pages if "Commentaire numéro 00" in page)
        assert "Commentaires" in first.replace("Commentaire numéro", "")
    assert checked_split  # some counts did run over two pages
