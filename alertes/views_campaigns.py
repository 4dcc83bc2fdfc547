"""A structure's campaigns: list, create, detail (the recipients preview and, once sent,
each recipient's outbox status), edit and cancel before sending, « réutiliser » after.
The public unsubscribe page is `alertes.views_unsubscribe`."""

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alertes.forms_campaigns import CampaignForm, ReuseForm, ended_members
from alertes.models import AlertCampaign, CampaignRecipient
from alertes.selectors import alertes_structure
from alertes.selectors_campaigns import campaigns_of, sent_q, skipped_q
from alertes.services_campaigns import (
    CampaignError,
    campaign_cancel,
    campaign_create,
    campaign_reuse,
    campaign_update,
    channels_of,
    personalised,
    recipients_preview,
    targeted_memberships,
)
from alertes.sms_segments import marketing_suffix, worst_case
from formations.french import long_date

Status = AlertCampaign.Status


def _campaign(structure, pk) -> AlertCampaign:
    try:
        return AlertCampaign.objects.select_related("structure", "copied_from").get(
            structure=structure, pk=pk
        )
    except AlertCampaign.DoesNotExist:
        raise Http404 from None


def _when(moment, structure) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(structure.time_zone or "Europe/Paris"))
    return _("%(day)s à %(time)s") % {"day": long_date(local), "time": local.strftime("%H:%M")}


def _context(structure, **extra):
    return {"structure": structure, "current": "campaigns", **extra}


@login_required
@require_GET
def campaign_list(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    campaigns = list(campaigns_of(structure).order_by("-scheduled_at", "-pk"))
    sections = [
        (
            _("Programmées"),
            [c for c in campaigns if c.status in (Status.SCHEDULED, Status.SENDING)],
        ),
        (_("Envoyées"), [c for c in campaigns if c.status == Status.SENT]),
        (_("Échecs d'envoi"), [c for c in campaigns if c.status == Status.FAILED]),
        (_("Annulées"), [c for c in campaigns if c.status == Status.CANCELLED]),
    ]
    # Next first among the scheduled ones.
    sections[0][1].sort(key=lambda c: (c.scheduled_at, c.pk))
    return render(request, "alertes/campaigns/list.html", _context(structure, sections=sections))


def _show_refusal(form, exc: CampaignError):
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


def _form_page(request, structure, form, *, title, campaign=None):
    return render(
        request,
        "alertes/campaigns/form.html",
        _context(
            structure,
            form=form,
            page_title=title,
            campaign=campaign,
            cancel_url=reverse("alertes:campaign_detail", args=[structure.pk, campaign.pk])
            if campaign
            else reverse("alertes:campaign_list", args=[structure.pk]),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create_view(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    form = CampaignForm(request.POST or None, structure=structure)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                structure=structure, actor=request.user, data=form.data_for_service()
            )
        except CampaignError as exc:
            if exc.code == "already_done":
                messages.info(request, exc.message)
                return redirect("alertes:campaign_list", structure=structure.pk)
            _show_refusal(form, exc)
        else:
            messages.success(
                request, _("Campagne « %(title)s » programmée.") % {"title": campaign.title}
            )
            return redirect("alertes:campaign_detail", structure=structure.pk, campaign=campaign.pk)
    return _form_page(request, structure, form, title=_("Nouvelle campagne"))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, structure, campaign):
    structure = alertes_structure(user=request.user, pk=structure)
    campaign = _campaign(structure, campaign)
    if campaign.status != Status.SCHEDULED:
        messages.error(
            request, _("Cette campagne n'est plus programmée : elle ne se modifie plus.")
        )
        return redirect("alertes:campaign_detail", structure=structure.pk, campaign=campaign.pk)
    form = CampaignForm(
        request.POST or None, structure=structure, initial=CampaignForm.initial_from(campaign)
    )
    ended = ended_members(campaign)
    if ended and request.method == "GET":
        messages.warning(
            request,
            _(
                "Ne font plus partie de la structure, et ne sont donc plus parmi les "
                "adhérent·es choisi·es : %(names)s. Enregistrez pour confirmer."
            )
            % {"names": ", ".join(ended)},
        )
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(campaign=campaign, actor=request.user, data=form.data_for_service())
        except CampaignError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, _("Campagne enregistrée."))
            return redirect("alertes:campaign_detail", structure=structure.pk, campaign=campaign.pk)
    title = _("Modifier la campagne « %(title)s »") % {"title": campaign.title}
    return _form_page(request, structure, form, title=title, campaign=campaign)


@login_required
@require_GET
def campaign_detail(request, structure, campaign):
    structure = alertes_structure(user=request.user, pk=structure)
    campaign = _campaign(structure, campaign)
    groups = list(campaign.groups.order_by("sort_key", "pk"))
    chosen = list(campaign.members.select_related("participant").order_by("participant__sort_key"))
    context = _context(structure, campaign=campaign, groups=groups, chosen=chosen)
    if campaign.status in (Status.SCHEDULED, Status.CANCELLED):
        memberships = list(targeted_memberships(campaign))
        previews = recipients_preview(campaign, memberships)
        context["previews"] = previews
        sms = next((p for p in previews if p.channel == "sms"), None)
        if sms is not None:
            texts = [personalised(campaign.body, m.participant.first_name) for m in sms.receiving]
            context["segments"] = worst_case(
                texts or [personalised(campaign.body, "")], suffix=marketing_suffix()
            )
            context["sms_receiving"] = len(sms.receiving)
    else:
        recipients = list(
            CampaignRecipient.objects.filter(campaign=campaign)
            .select_related("membership__participant", "message")
            .order_by("channel", "membership__participant__sort_key", "pk")
        )
        context["recipients"] = recipients
        figures = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
            sent=Count("pk", filter=sent_q()), skipped=Count("pk", filter=skipped_q())
        )
        context["sent_count"] = figures["sent"]
        context["skipped_count"] = figures["skipped"]
        if campaign.send_sms:
            texts = [r.message.body for r in recipients if r.channel == "sms" and r.message_id]
            context["segments"] = worst_case(texts, suffix=marketing_suffix())
    context["channels"] = channels_of(campaign)
    context["suffix_length"] = len(marketing_suffix())
    return render(request, "alertes/campaigns/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_cancel_view(request, structure, campaign):
    structure = alertes_structure(user=request.user, pk=structure)
    campaign = _campaign(structure, campaign)
    error = ""
    if request.method == "POST":
        try:
            campaign_cancel(campaign=campaign, actor=request.user)
        except CampaignError as exc:
            error = exc.message
        else:
            messages.success(request, _("Campagne annulée : elle ne sera pas envoyée."))
            return redirect("alertes:campaign_detail", structure=structure.pk, campaign=campaign.pk)
    elif campaign.status != Status.SCHEDULED:
        error = _("Cette campagne n'est plus programmée : elle ne peut plus être annulée.")
    return render(
        request,
        "alertes/campaigns/cancel.html",
        _context(structure, campaign=campaign, error=error),
        status=409 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_reuse_view(request, structure, campaign):
    structure = alertes_structure(user=request.user, pk=structure)
    campaign = _campaign(structure, campaign)
    if campaign.status not in (Status.SENT, Status.FAILED):
        messages.error(
            request,
            _("Seule une campagne envoyée, ou dont l'envoi a échoué, peut être réutilisée."),
        )
        return redirect("alertes:campaign_detail", structure=structure.pk, campaign=campaign.pk)
    form = ReuseForm(request.POST or None, structure=structure)
    if request.method == "POST" and form.is_valid():
        try:
            copy = campaign_reuse(
                campaign=campaign,
                actor=request.user,
                scheduled_at=form.scheduled_at(),
                token=form.cleaned_data.get("token", ""),
            )
        except CampaignError as exc:
            if exc.code == "already_done":
                messages.info(request, exc.message)
                return redirect("alertes:campaign_list", structure=structure.pk)
            _show_refusal(form, exc)
        else:
            messages.success(
                request,
                _("Campagne réutilisée : la nouvelle campagne est programmée le %(when)s.")
                % {"when": _when(copy.scheduled_at, structure)},
            )
            return redirect("alertes:campaign_detail", structure=structure.pk, campaign=copy.pk)
    return render(
        request,
        "alertes/campaigns/reuse.html",
        _context(structure, campaign=campaign, form=form),
    )
