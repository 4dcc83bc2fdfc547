"""A structure's groups: listed in French order with their members, named once per
structure, never deleted under a scheduled campaign, invisible to other structures."""

import html

import pytest
from django.urls import reverse

from formations.member_groups import GroupData, group_create
from formations.members import MemberError
from formations.models import AuditEntry, MemberGroup
from tests.factories.members import (
    AlertCampaignFactory,
    MemberGroupFactory,
    MembershipFactory,
    alertes_world,
)

pytestmark = pytest.mark.django_db


def test_list_in_french_order_with_active_member_counts(client):
    world = alertes_world()
    MemberGroupFactory(structure=world.arbrisseau, name="Éveil musical")
    MemberGroupFactory(structure=world.arbrisseau, name="culture")
    MembershipFactory.create_batch(2, structure=world.arbrisseau, groups=[world.group])
    from django.utils import timezone

    MembershipFactory(structure=world.arbrisseau, groups=[world.group], ended_at=timezone.now())
    client.force_login(world.staff)

    page = client.get(reverse("alertes:group_list", args=[world.arbrisseau.pk])).content.decode()

    assert page.index("culture") < page.index("Éveil musical") < page.index("Petite enfance")
    assert "2 adhérent·es" in page
    assert "Jeunesse" not in page  # Chemin Rouge's group


def test_create_through_the_form_and_a_second_of_the_same_name_is_told_clearly(client):
    world = alertes_world()
    client.force_login(world.admin)
    url = reverse("alertes:group_create", args=[world.arbrisseau.pk])

    response = client.post(url, {"name": "  Jeunesse  ", "description": "11-17 ans"})
    assert response.status_code == 302
    group = MemberGroup.objects.get(structure=world.arbrisseau, name="Jeunesse")
    assert AuditEntry.objects.filter(
        action="member_group_created", object_id=str(group.pk)
    ).exists()

    again = client.post(url, {"name": "JEUNESSE"})
    assert again.status_code == 200
    assert "La structure a déjà un groupe « JEUNESSE »" in again.content.decode()
    assert MemberGroup.objects.filter(structure=world.arbrisseau).count() == 2


def test_the_same_name_in_another_structure_is_theirs_alone():
    world = alertes_world()
    group = group_create(
        structure=world.arbrisseau, actor=world.admin, data=GroupData(name="Jeunesse")
    )
    assert group.structure == world.arbrisseau
    with pytest.raises(MemberError):
        group_create(structure=world.arbrisseau, actor=world.staff, data=GroupData(name="jeunesse"))


def test_edit_renames(client):
    world = alertes_world()
    client.force_login(world.staff)
    url = reverse("alertes:group_edit", args=[world.arbrisseau.pk, world.group.pk])
    assert client.post(url, {"name": "Petite enfance (0-6 ans)"}).status_code == 302
    world.group.refresh_from_db()
    assert world.group.name == "Petite enfance (0-6 ans)"


def test_delete_says_what_uses_the_group_and_refuses_under_a_scheduled_campaign(client):
    world = alertes_world()
    MembershipFactory.create_batch(3, structure=world.arbrisseau, groups=[world.group])
    campaign = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    client.force_login(world.admin)
    url = reverse("alertes:group_delete", args=[world.arbrisseau.pk, world.group.pk])

    page = html.unescape(client.get(url).content.decode())
    assert "3 adhérent·es sont dans ce groupe" in page
    assert "1 campagne programmée s'adresse à ce groupe" in page
    refused = client.post(url)
    assert refused.status_code == 409
    assert "destinataire d'une campagne programmée" in html.unescape(refused.content.decode())
    assert MemberGroup.objects.filter(pk=world.group.pk).exists()

    campaign.status = "cancelled"
    campaign.save()
    assert client.post(url).status_code == 302
    assert not MemberGroup.objects.filter(pk=world.group.pk).exists()
    assert AuditEntry.objects.filter(action="member_group_deleted").exists()


def test_another_structure_gets_404_on_every_group_page(client):
    world = alertes_world()
    client.force_login(world.other_admin)
    structure, group = world.arbrisseau.pk, world.group.pk
    for name, args in (
        ("alertes:group_list", [structure]),
        ("alertes:group_create", [structure]),
        ("alertes:group_edit", [structure, group]),
        ("alertes:group_delete", [structure, group]),
        # Their own structure's address with our group: 404 too.
        ("alertes:group_edit", [world.chemin_rouge.pk, group]),
        ("alertes:group_delete", [world.chemin_rouge.pk, group]),
    ):
        for method in (client.get, client.post):
            assert method(reverse(name, args=args)).status_code in (404, 405), (name, args)
        assert client.get(reverse(name, args=args)).status_code == 404, (name, args)
    assert MemberGroup.objects.filter(pk=group).exists()


def test_the_groups_tab_is_in_the_menu(client):
    world = alertes_world()
    client.force_login(world.staff)
    page = client.get(reverse("alertes:structure_home", args=[world.arbrisseau.pk]))
    assert reverse("alertes:group_list", args=[world.arbrisseau.pk]) in page.content.decode()


def test_a_group_used_by_a_sent_campaign_is_archived_and_history_keeps_it(client, committed):
    from alertes.models import CampaignRecipient
    from alertes.selectors_stats import structure_stats
    from alertes.services_campaigns import campaign_send
    from tests.factories.members import give_structure_consent

    world = alertes_world()
    # Targeted by the campaign: « Petite enfance »; also in « Jeunesse » when it left.
    youth = MemberGroupFactory(structure=world.arbrisseau, name="Jeunesse")
    member = MembershipFactory(structure=world.arbrisseau, groups=[world.group, youth])
    give_structure_consent(member, "sms")
    sent = AlertCampaignFactory(structure=world.arbrisseau, groups=[world.group])
    committed(campaign_send, campaign=sent)
    never = MemberGroupFactory(structure=world.arbrisseau, name="Jamais servi")
    client.force_login(world.admin)

    for group in (world.group, youth):
        url = reverse("alertes:group_delete", args=[world.arbrisseau.pk, group.pk])
        assert "il sera archivé plutôt que supprimé" in html.unescape(
            client.get(url).content.decode()
        )
        assert client.post(url).status_code == 302
        group.refresh_from_db()
        assert group.archived_at is not None
    never_url = reverse("alertes:group_delete", args=[world.arbrisseau.pk, never.pk])
    assert client.post(never_url).status_code == 302
    assert not MemberGroup.objects.filter(pk=never.pk).exists()
    assert AuditEntry.objects.filter(action="member_group_archived").count() == 2

    # History unchanged: the campaign's page, its recipients' groups, the statistics.
    detail = html.unescape(
        client.get(
            reverse("alertes:campaign_detail", args=[world.arbrisseau.pk, sent.pk])
        ).content.decode()
    )
    assert "Petite enfance" in detail
    recipient = CampaignRecipient.objects.get(campaign=sent)
    assert {g.name for g in recipient.groups.all()} == {"Petite enfance", "Jeunesse"}
    by_group = {row.label for row in structure_stats(structure=world.arbrisseau).messages_by_group}
    assert {"Petite enfance", "Jeunesse"} <= by_group

    # Hidden from the list and the pickers, shown on demand.
    listing = html.unescape(
        client.get(reverse("alertes:group_list", args=[world.arbrisseau.pk])).content.decode()
    )
    assert "Jeunesse" not in listing and "Voir les groupes archivés (2)" in listing
    archives = html.unescape(
        client.get(
            reverse("alertes:group_list", args=[world.arbrisseau.pk]) + "?archives=1"
        ).content.decode()
    )
    assert "Jeunesse" in archives and "Archivé le" in archives
    form = html.unescape(
        client.get(reverse("alertes:campaign_create", args=[world.arbrisseau.pk])).content.decode()
    )
    assert "Jeunesse" not in form and "Petite enfance" not in form
    # Reusing the sent campaign drops the archived group (it targets nobody any more).
    member_form = html.unescape(
        client.get(
            reverse("alertes:member_edit", args=[world.arbrisseau.pk, member.pk])
        ).content.decode()
    )
    assert "Jeunesse" not in member_form
