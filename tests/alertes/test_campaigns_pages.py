"""The campaign pages: create (never to everyone, once however often it is posted), the
recipients preview with those without consent apart, the SMS figures, 404 across
structures, bounded queries."""

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from alertes.models import AlertCampaign
from alertes.services_campaigns import campaign_send
from tests.factories.members import (
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
    give_structure_consent,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _form(world, **overrides):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    data = {
        "title": "Sortie au parc",
        "category": "event",
        "send_sms": "on",
        "body": "Bonjour {prénom}, sortie au parc samedi !",
        "groups": [world.group.pk],
        "send_on": tomorrow.isoformat(),
        "send_time": "09:30",
        "token": "t-123",
    }
    data.update(overrides)
    return data


def test_create_in_the_structures_time_zone_and_a_double_submit_creates_one(client):
    world = alertes_world()
    client.force_login(world.staff)
    url = reverse("alertes:campaign_create", args=[world.arbrisseau.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "sms-counter.js" in _text(form)
    assert "data-gsm-basic" in _text(form)

    first = client.post(url, _form(world))
    second = client.post(url, _form(world))

    assert first.status_code == 302 and second.status_code == 302
    campaign = AlertCampaign.objects.get()
    local = campaign.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert (local.hour, local.minute) == (9, 30)  # Europe/Paris in winter, 8:30 UTC
    assert list(campaign.groups.all()) == [world.group]
    assert campaign.created_by == world.staff


def test_a_campaign_needs_a_group_or_a_member_and_offers_no_select_all(client):
    world = alertes_world()
    client.force_login(world.admin)
    url = reverse("alertes:campaign_create", args=[world.arbrisseau.pk])
    response = client.post(url, _form(world, groups=[]))
    assert response.status_code == 200
    assert "une campagne ne part jamais à tous" in _text(response)
    assert not AlertCampaign.objects.exists()
    page = _text(client.get(url)).lower()
    assert "tous les adhérent·es »" not in page and "tout sélectionner" not in page


def test_another_structures_group_cannot_be_posted(client):
    world = alertes_world()
    client.force_login(world.admin)
    url = reverse("alertes:campaign_create", args=[world.arbrisseau.pk])
    response = client.post(url, _form(world, groups=[world.other_group.pk]))
    assert response.status_code == 200
    assert not AlertCampaign.objects.exists()


def test_detail_lists_those_without_consent_apart_with_the_reason_and_the_worst_case(client):
    world = alertes_world()
    agreed = MembershipFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        participant__first_name="Inès",
        participant__last_name="Martin",
    )
    give_structure_consent(agreed, "sms")
    zoe = MembershipFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        participant__first_name="Zoë",
        participant__last_name="Durand",
    )
    give_structure_consent(zoe, "sms")
    apart = MembershipFactory(
        structure=world.arbrisseau,
        groups=[world.group],
        participant__first_name="Paul",
        participant__last_name="Bernard",
    )
    campaign = AlertCampaignFactory(
        structure=world.arbrisseau, groups=[world.group], body="Bonjour {prénom} !"
    )
    client.force_login(world.staff)

    page = _text(
        client.get(reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, campaign.pk]))
    )

    receiving = page[page.index("personnes le recevraient") : page.index("À part")]
    assert "Inès" in receiving and "Zoë" in receiving and "Paul" not in receiving
    assert "Paul" in page[page.index("À part") :]
    assert "pas de consentement pour ce canal" in page
    # Zoë's ë forces Unicode: the worst case is named.
    assert "UCS-2" in page
    assert "ë : ce caractère fait passer le message en Unicode (70 caractères par SMS)." in page
    assert apart.pk


def test_after_sending_each_recipient_has_their_outbox_status_and_the_admin_sees_them_in_the_outbox(
    client, committed
):
    world = alertes_world()
    agreed = MembershipFactory(structure=world.arbrisseau, groups=[world.group])
    give_structure_consent(agreed, "sms")
    MembershipFactory(structure=world.arbrisseau, groups=[world.group])
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    committed(campaign_send, campaign=campaign)
    client.force_login(world.admin)

    page = _text(
        client.get(reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, campaign.pk]))
    )
    assert "1 message confié à l'envoi" in page and "1 non envoyé" in page
    assert "Réutiliser" in page

    outbox = _text(client.get(reverse("formations:outbox")))
    assert "Campagne d'une structure" in outbox
    assert agreed.participant.last_name in outbox
    client.force_login(world.other_admin)
    theirs = _text(client.get(reverse("formations:outbox")))
    assert agreed.participant.last_name not in theirs


def test_another_structure_gets_404_on_every_campaign_page(client):
    world = alertes_world()
    scheduled = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign_send(campaign=sent)
    client.force_login(world.other_admin)
    s = world.arbrisseau.pk
    pages = [("alertes:campaign_list", [s]), ("alertes:campaign_create", [s])]
    for campaign in (scheduled, sent):
        for name in ("campaign_detail", "campaign_edit", "campaign_cancel", "campaign_reuse"):
            pages.append((f"alertes:{name}", [s, campaign.pk]))
            pages.append((f"alertes:{name}", [world.chemin_rouge.pk, campaign.pk]))
    for name, args in pages:
        assert client.get(reverse(name, args=args)).status_code == 404, (name, args)
        assert client.post(reverse(name, args=args)).status_code in (404, 405), (name, args)
    scheduled.refresh_from_db()
    assert scheduled.status == "scheduled"


def test_cancel_then_edit_is_refused(client):
    world = alertes_world()
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    client.force_login(world.staff)
    url = reverse("alertes:campaign_cancel", args=[world.arbrisseau.pk, campaign.pk])
    assert "Annuler l'envoi" in _text(client.get(url))
    assert client.post(url).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"
    assert client.post(url).status_code == 409
    edit = client.get(reverse("alertes:campaign_edit", args=[world.arbrisseau.pk, campaign.pk]))
    assert edit.status_code == 302


def test_reuse_page_schedules_a_copy(client):
    world = alertes_world()
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign_send(campaign=sent)
    client.force_login(world.staff)
    url = reverse("alertes:campaign_reuse", args=[world.arbrisseau.pk, sent.pk])
    next_week = timezone.localdate() + dt.timedelta(days=7)
    response = client.post(
        url, {"send_on": next_week.isoformat(), "send_time": "10:00", "token": "r1"}
    )
    assert response.status_code == 302
    copy = AlertCampaign.objects.get(copied_from=sent)
    assert copy.status == "scheduled"
    shown = _text(client.get(response.url))
    assert "Campagne réutilisée : la nouvelle campagne est programmée le " in shown
    assert " à 10:00." in shown
    assert (
        client.post(
            url, {"send_on": next_week.isoformat(), "send_time": "10:00", "token": "r1"}
        ).status_code
        == 302
    )
    assert AlertCampaign.objects.filter(copied_from=sent).count() == 1


def _populate(world, members, campaigns):
    groups = [world.group] + [MemberGroupFactory(structure=world.arbrisseau) for _ in range(2)]
    for index in range(members):
        membership = MembershipFactory(structure=world.arbrisseau, groups=groups[: 1 + index % 3])
        give_structure_consent(membership, "sms", "email")
    made = []
    for index in range(campaigns):
        campaign = AlertCampaignFactory(
            structure=world.arbrisseau,
            groups=groups[: 1 + index % 3],
            send_email=True,
            email_subject="S",
        )
        campaign.members.set(list(world.arbrisseau.memberships.all()[:2]))
        made.append(campaign)
    return made


@pytest.mark.parametrize("name", ["alertes:campaign_list", "alertes:campaign_detail", "sent"])
def test_queries_do_not_grow_with_rows(client, django_assert_max_num_queries, name):
    world = alertes_world()
    client.force_login(world.staff)

    def url(campaigns):
        if name == "alertes:campaign_list":
            return reverse(name, args=[world.arbrisseau.pk])
        return reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, campaigns[0].pk])

    small = _populate(world, 2, 1)
    if name == "sent":
        campaign_send(campaign=small[0])
    with django_assert_max_num_queries(30) as few:
        assert client.get(url(small)).status_code == 200
    AlertCampaign.objects.all().delete() if name != "sent" else None
    big = _populate(world, 25, 8)
    if name == "sent":
        campaign_send(campaign=big[0])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(big)).status_code == 200


def test_home_and_member_panels(rf, committed):
    from django.template.loader import render_to_string

    from alertes.panels_campaigns import home_next_campaigns_panel, member_campaigns_panel

    world = alertes_world()
    member = MembershipFactory(structure=world.arbrisseau, groups=[world.group])
    give_structure_consent(member, "sms")
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group], title="Sortie")
    committed(campaign_send, campaign=sent)
    AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group], title="Atelier cuisine")
    AlertCampaignFactory(structure=world.chemin_rouge, groups=[world.other_group], title="Chez eux")
    request = rf.get("/")
    request.user = world.staff

    template, context = home_next_campaigns_panel(request, world.arbrisseau)
    home = render_to_string(template, {**context, "structure": world.arbrisseau})
    assert "Atelier cuisine" in home and "Sortie" not in home and "Chez eux" not in home

    template, context = member_campaigns_panel(request, member)
    panel = render_to_string(template, context)
    assert "Sortie" in panel and "Atelier cuisine" not in panel


def test_edit_a_scheduled_campaign(client):
    world = alertes_world()
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    other = MemberGroupFactory(structure=world.arbrisseau, name="Jeunesse")
    client.force_login(world.admin)
    url = reverse("alertes:campaign_edit", args=[world.arbrisseau.pk, campaign.pk])
    assert "Bonjour {prénom}" in _text(client.get(url))

    response = client.post(url, _form(world, title="Sortie reportée", groups=[other.pk], token=""))

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Sortie reportée"
    assert list(campaign.groups.all()) == [other]


def test_list_counts_are_not_multiplied_by_the_chosen_members(client, committed):
    world = alertes_world()
    chosen = []
    for _index in range(3):
        membership = MembershipFactory(structure=world.arbrisseau)
        give_structure_consent(membership, "sms")
        chosen.append(membership)
    MembershipFactory(structure=world.arbrisseau, groups=[world.group])  # no consent
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign.members.set(chosen)
    committed(campaign_send, campaign=campaign)
    client.force_login(world.staff)

    listing = _text(client.get(reverse("alertes:campaign_list", args=[world.arbrisseau.pk])))
    detail = _text(
        client.get(reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, campaign.pk]))
    )

    assert "3 messages ·" in listing and "1 non envoyé (sans accord)" in listing
    assert "3 adhérent·es choisi·es" in listing
    assert "3 messages confiés à l'envoi" in detail and "1 non envoyé" in detail


def test_a_failed_campaign_says_so_with_its_reason(client):
    world = alertes_world()
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    AlertCampaign.objects.filter(pk=campaign.pk).update(
        status="failed", failure_reason="RuntimeError : base indisponible", failed_at=timezone.now()
    )
    client.force_login(world.staff)
    page = _text(
        client.get(reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, campaign.pk]))
    )
    assert "Échec d'envoi" in page and "aucun message n'est parti" in page
    assert "RuntimeError : base indisponible" in page
    assert "Réutiliser" in page
    listing = _text(client.get(reverse("alertes:campaign_list", args=[world.arbrisseau.pk])))
    assert "Échecs d'envoi (1)" in listing


def test_chosen_members_errors_are_shown_in_an_open_section_and_ended_ones_are_dropped(client):
    import re

    world = alertes_world()
    stays = MembershipFactory(
        structure=world.arbrisseau, participant__first_name="Inès", participant__last_name="Roux"
    )
    leaves = MembershipFactory(
        structure=world.arbrisseau, participant__first_name="Paul", participant__last_name="Vidal"
    )
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    campaign.members.set([stays, leaves])
    leaves.ended_at = timezone.now()
    leaves.save(update_fields=["ended_at"])
    client.force_login(world.staff)
    url = reverse("alertes:campaign_edit", args=[world.arbrisseau.pk, campaign.pk])

    page = _text(client.get(url))
    assert "Ne font plus partie de la structure" in page and "Paul" in page
    assert f'value="{stays.pk}" id="id_members_' in page and "checked" in page
    assert f'value="{leaves.pk}"' not in page
    assert 'aria-describedby="id_body_helptext campaign-sms-counter"' in page

    # Posting the ended member anyway (an old tab): the error is shown, in an open section.
    refused = _text(client.post(url, _form(world, groups=[], members=[leaves.pk], token="")))
    assert "<details open>" in refused
    members_part = refused[refused.index("<details open>") :]
    assert "Une personne choisie ne fait plus partie de la structure" in members_part
    # The groups' error is printed once.
    empty = _text(client.post(url, _form(world, groups=[], token="")))
    assert len(re.findall("une campagne ne part jamais à tous", empty)) == 1
