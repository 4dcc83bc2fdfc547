"""Campaign panels: the next scheduled campaigns on the structure's Alertes home, the
campaigns a member was sent on their profile."""

from django.db.models import Count

from alertes.models import AlertCampaign, CampaignRecipient


def home_next_campaigns_panel(request, structure):
    campaigns = list(
        AlertCampaign.objects.filter(structure=structure, status=AlertCampaign.Status.SCHEDULED)
        .annotate(
            group_count=Count("groups", distinct=True), member_count=Count("members", distinct=True)
        )
        .order_by("scheduled_at", "pk")[:5]
    )
    return "alertes/campaigns/_home_panel.html", {"next_campaigns": campaigns}


def member_campaigns_panel(request, membership):
    receipts = list(
        CampaignRecipient.objects.filter(membership=membership)
        .select_related("campaign", "message")
        .order_by("-campaign__sent_at", "-pk")[:50]
    )
    return "alertes/campaigns/_member_panel.html", {
        "campaign_receipts": receipts,
        "membership": membership,
    }
