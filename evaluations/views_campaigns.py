"""Campaign pages: create (on a session or a formation), the one-click « à chaud et à
froid », edit, cancel, and the coordinator's detail page (each invitation's state: who
has not answered). Out of reach: 404; in reach but not a coordinator: 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from evaluations.forms_campaigns import CampaignCancelForm, CampaignCreateForm, CampaignDatesForm
from evaluations.models import Campaign, Invitation
from evaluations.selectors_campaigns import (
    STATE_LABELS,
    campaign_in_reach,
    campaign_rows,
    campaign_state,
    invitation_rows,
)
from evaluations.services_campaigns import (
    EvaluationsError,
    campaign_cancel,
    campaign_create,
    campaign_update,
    campaigns_schedule_hot_cold,
)
from formations.french import time_zone_label
from formations.permissions import can_manage
from formations.selectors import formations_visible_to
from sessions.selectors.visibility import sessions_visible_to

FIELD_OF_CODE = {
    "structure_required": "structure",
    "structure_without_participant": "structure",
    "funder_required": "funder",
    "funder_not_of_programme": "funder",
    "funder_without_auditor": "funder",
    "no_half_days": "opens_at",
    "opens_at_required": "opens_at",
    "closes_before_opens": "closes_at",
    "session_not_in_formation": "session",
    "session_cancelled": "session",
}


def _session_for_manager(request, pk):
    session = get_object_or_404(sessions_visible_to(user=request.user), pk=pk)
    if not can_manage(request.user):
        raise PermissionDenied
    return session


def _formation_for_manager(request, pk):
    formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
    if not can_manage(request.user):
        raise PermissionDenied
    return formation


def _campaign_for_manager(request, pk):
    campaign = get_object_or_404(
        Campaign.objects.select_related(
            "version__questionnaire", "session", "formation__programme", "structure", "funder"
        ),
        pk=pk,
    )
    if not can_manage(request.user):
        if campaign_in_reach(user=request.user, campaign=campaign):
            raise PermissionDenied
        raise Http404
    return campaign


def _back_url(campaign_or_session=None, formation=None) -> str:
    target = campaign_or_session
    if isinstance(target, Campaign):
        target = target.session or target.formation
    target = target or formation
    return target.get_absolute_url() + "#evaluation-campaigns"


def _zone(session):
    return session.tzinfo if session is not None else timezone.get_current_timezone()


def _zone_label(session) -> str:
    """« heure de Mayotte », as the session pages name it."""
    return time_zone_label(str(_zone(session)))


def _sending_note(campaign: Campaign, zone) -> str:
    """When the invitations leave: the date chosen, or, a date already past, the next
    sending run (`run_periodic` sends every five minutes)."""
    if campaign.opens_at <= timezone.now():
        return _(
            "La date d'envoi est déjà passée : les invitations partiront au prochain envoi, "
            "dans les cinq minutes."
        )
    return _("Les invitations partiront le %(date)s.") % {
        "date": timezone.localtime(campaign.opens_at, zone).strftime("%d/%m/%Y à %H:%M")
    }


def _invited_before(campaign: Campaign) -> int:
    """How many people a cancelled campaign of the same questionnaire on the same session
    already sent an invitation to: they will be invited once more."""
    if campaign.session_id is None:
        return 0
    return (
        Invitation.objects.filter(
            campaign__session_id=campaign.session_id,
            campaign__version__questionnaire_id=campaign.version.questionnaire_id,
            campaign__cancelled_at__isnull=False,
            sent_at__isnull=False,
        )
        .values("participant_id", "user_id")
        .distinct()
        .count()
    )


def _invited_again_note(campaign: Campaign) -> str:
    count = _invited_before(campaign)
    if not count:
        return ""
    return ngettext(
        "Attention : %(count)s personne a déjà reçu ce questionnaire « %(title)s » par une "
        "campagne annulée de la session ; elle sera invitée une seconde fois.",
        "Attention : %(count)s personnes ont déjà reçu ce questionnaire « %(title)s » par "
        "une campagne annulée de la session ; elles seront invitées une seconde fois.",
        count,
    ) % {"count": count, "title": campaign.version.questionnaire.title}


def _create_page(request, *, formation, session):
    zone = _zone(session)
    with timezone.override(zone):
        form = CampaignCreateForm(request.POST or None, formation=formation, session=session)
        if request.method == "POST" and form.is_valid():
            try:
                campaign = campaign_create(
                    actor=request.user, formation=formation, **form.service_fields()
                )
            except EvaluationsError as error:
                form.add_error(FIELD_OF_CODE.get(error.code), error.message)
            else:
                messages.success(
                    request,
                    _("Campagne programmée. %(when)s") % {"when": _sending_note(campaign, zone)},
                )
                if again := _invited_again_note(campaign):
                    messages.warning(request, again)
                return redirect("evaluations:campaign_detail", pk=campaign.pk)
        back = _back_url(session, formation)
        return render(
            request,
            "evaluations/campaigns/form.html",
            {
                "form": form,
                "formation": formation,
                "session": session,
                "page_title": _("Nouvelle campagne d'évaluation"),
                "cancel_url": back,
                "zone_label": _zone_label(session),
            },
        )


@require_http_methods(["GET", "POST"])
def campaign_create_session(request, pk):
    session = _session_for_manager(request, pk)
    return _create_page(request, formation=session.formation, session=session)


@require_http_methods(["GET", "POST"])
def campaign_create_formation(request, pk):
    formation = _formation_for_manager(request, pk)
    return _create_page(request, formation=formation, session=None)


@require_POST
def session_schedule_defaults(request, pk):
    session = _session_for_manager(request, pk)
    try:
        created = campaigns_schedule_hot_cold(actor=request.user, session=session)
    except EvaluationsError as error:
        messages.error(request, error.message)
    else:
        if created:
            messages.success(
                request,
                ngettext(
                    "%(count)s campagne programmée.",
                    "%(count)s campagnes programmées : à chaud et à froid.",
                    len(created),
                )
                % {"count": len(created)},
            )
            for campaign in created:
                if again := _invited_again_note(campaign):
                    messages.warning(request, again)
        else:
            messages.info(request, _("Les évaluations à chaud et à froid sont déjà programmées."))
    return redirect(_back_url(session))


@require_http_methods(["GET"])
def campaign_detail(request, pk):
    campaign = _campaign_for_manager(request, pk)
    row = campaign_rows(Campaign.objects.filter(pk=campaign.pk))[0]
    # Who has not answered first: that is what the page is for.
    invitations = sorted(invitation_rows(campaign), key=lambda i: i.state == "answered")
    counts = {}
    for invitation in invitations:
        counts[invitation.state] = counts.get(invitation.state, 0) + 1
    return render(
        request,
        "evaluations/campaigns/detail.html",
        {
            "campaign": campaign,
            "row": row,
            "invitations": invitations,
            "counts": counts,
            "not_answered": [i for i in invitations if i.state != "answered"],
            "back_url": _back_url(campaign),
            "zone": str(_zone(campaign.session)),
            "zone_label": _zone_label(campaign.session),
            "can_edit": row.state == "scheduled",
            "can_cancel": row.state != "cancelled",
        },
    )


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    campaign = _campaign_for_manager(request, pk)
    zone = _zone(campaign.session)
    with timezone.override(zone):
        form = CampaignDatesForm(request.POST or None, campaign=campaign)
        error = None
        if campaign_state(campaign) != "scheduled":
            error = _(
                "Les invitations sont parties ou la campagne est annulée : elle ne se modifie plus."
            )
        elif request.method == "POST" and form.is_valid():
            try:
                campaign = campaign_update(
                    actor=request.user, campaign=campaign, **form.service_fields()
                )
            except EvaluationsError as exc:
                form.add_error(FIELD_OF_CODE.get(exc.code), exc.message)
            else:
                messages.success(
                    request,
                    _("Campagne modifiée. %(when)s") % {"when": _sending_note(campaign, zone)},
                )
                return redirect("evaluations:campaign_detail", pk=campaign.pk)
        return render(
            request,
            "evaluations/campaigns/form.html",
            {
                "form": form,
                "campaign": campaign,
                "formation": campaign.formation,
                "session": campaign.session,
                "page_title": _("Modifier la campagne « %(title)s »")
                % {"title": campaign.version.questionnaire.title},
                "cancel_url": reverse("evaluations:campaign_detail", args=[campaign.pk]),
                "zone_label": _zone_label(campaign.session),
                "locked": error,
            },
        )


@require_http_methods(["GET", "POST"])
def campaign_cancel_view(request, pk):
    campaign = _campaign_for_manager(request, pk)
    form = CampaignCancelForm(request.POST or None)
    if request.method == "POST" and campaign.cancelled_at is None and form.is_valid():
        try:
            campaign_cancel(actor=request.user, campaign=campaign)
        except EvaluationsError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Campagne annulée : plus rien ne sera envoyé."))
        return redirect("evaluations:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "evaluations/campaigns/cancel.html",
        {
            "campaign": campaign,
            "form": form,
            "state_label": STATE_LABELS[campaign_state(campaign)],
            "back_url": reverse("evaluations:campaign_detail", args=[campaign.pk]),
        },
    )
