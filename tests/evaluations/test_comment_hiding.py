import pytest
from django.urls import reverse

from evaluations.exceptions import EvaluationsError
from evaluations.services_synthesis import comment_hide, comment_show
from formations.models import AuditEntry, User
from tests.evaluations.synthesis_world import HIDDEN_COMMENT, build_world
from tests.factories import FunderFactory, UserFactory


@pytest.fixture
def world(db, trainer):
    return build_world(trainer=trainer)


def test_comment_hide_records_who_when_and_why(world, coordinator):
    answer = comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")

    answer.refresh_from_db()
    assert answer.hidden_at is not None
    assert answer.hidden_by == coordinator
    assert answer.hidden_reason == "Nomme une élue"
    assert answer.text == HIDDEN_COMMENT  # kept as written
    entry = AuditEntry.objects.get(action="evaluations.comment_hidden")
    assert entry.data["reason"] == "Nomme une élue"
    assert HIDDEN_COMMENT not in entry.summary


def test_comment_hide_without_reason_is_refused(world, coordinator):
    with pytest.raises(EvaluationsError) as refused:
        comment_hide(answer=world.hidden, actor=coordinator, reason="   ")
    assert refused.value.code == "reason_required"
    world.hidden.refresh_from_db()
    assert world.hidden.hidden_at is None


def test_comment_hide_by_a_trainer_is_refused(world, trainer):
    with pytest.raises(EvaluationsError) as refused:
        comment_hide(answer=world.hidden, actor=trainer, reason="x")
    assert refused.value.code == "not_allowed"


def test_comment_hide_twice_and_show_when_shown_are_refused(world, coordinator):
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    with pytest.raises(EvaluationsError) as refused:
        comment_hide(answer=world.hidden, actor=coordinator, reason="encore")
    assert refused.value.code == "already_hidden"
    with pytest.raises(EvaluationsError) as refused:
        comment_show(answer=world.shown, actor=coordinator)
    assert refused.value.code == "not_hidden"


def test_comment_show_clears_the_mask_and_logs_the_old_reason(world, coordinator):
    comment_hide(answer=world.hidden, actor=coordinator, reason="Nomme une élue")
    comment_show(answer=world.hidden, actor=coordinator, reason="Relu : pas identifiant")

    world.hidden.refresh_from_db()
    assert world.hidden.hidden_at is None and world.hidden.hidden_reason == ""
    entry = AuditEntry.objects.get(action="evaluations.comment_shown")
    assert entry.data["previous_reason"] == "Nomme une élue"


def test_only_a_text_answer_can_be_hidden(world, coordinator):
    from evaluations.models import Answer

    number = Answer.objects.filter(question=world.questions["scale"]).first()
    with pytest.raises(EvaluationsError) as refused:
        comment_hide(answer=number, actor=coordinator, reason="x")
    assert refused.value.code == "not_a_comment"


def test_hide_page_shows_the_comment_and_hides_it_on_confirmation(client, world, coordinator):
    client.force_login(coordinator)
    url = reverse("evaluations:comment_hide", args=[world.hidden.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert HIDDEN_COMMENT in page.content.decode()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200
    world.hidden.refresh_from_db()
    assert world.hidden.hidden_at is None

    done = client.post(url, {"reason": "Nomme une élue", "next": "https://evil.example/"})
    assert done.status_code == 302
    assert done.url == world.formation.get_absolute_url()
    world.hidden.refresh_from_db()
    assert world.hidden.hidden_reason == "Nomme une élue"

    again = client.get(url)
    assert "Rétablir le commentaire" in again.content.decode()
    client.post(url, {"reason": ""})
    world.hidden.refresh_from_db()
    assert world.hidden.hidden_at is None


def test_hide_page_is_403_in_reach_and_404_out_of_reach(client, world, trainer, auditor):
    url = reverse("evaluations:comment_hide", args=[world.hidden.pk])
    for user in (trainer, auditor):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x"}).status_code == 403
    outsider = UserFactory(role=User.Role.FUNDER_AUDITOR)
    outsider.funders.add(FunderFactory(name="CAF du Nord", kind="caf"))
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(role=User.Role.TRAINER))
    assert client.post(url, {"reason": "x"}).status_code == 404
    world.hidden.refresh_from_db()
    assert world.hidden.hidden_at is None


def test_results_page_links_to_hiding_for_coordinators_only(client, world, coordinator, trainer):
    url = reverse(
        "evaluations:formation_results",
        args=[world.formation.pk, world.version.questionnaire_id],
    )
    hide = reverse("evaluations:comment_hide", args=[world.hidden.pk])
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert hide in page

    done = client.post(hide + "?next=" + url, {"reason": "Nomme une élue", "next": url})
    assert done.status_code == 302 and done.url == url

    client.force_login(trainer)
    page = client.get(url).content.decode()
    assert hide not in page
