"""Pages of the administrative dates: add, change and stop a member's step, and the week
(« the referent sees the week's steps of their members »). Every page is under the
structure (`alertes_structure`: 404 out of reach); the services check the actor again."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alertes.forms_steps import StepForm
from alertes.panels_steps import member_url
from alertes.selectors import alertes_structure
from alertes.selectors_steps import (
    standing_requests,
    step_in_reach,
    structure_week,
    withdrawn_requests,
)
from alertes.services_steps import StepError, step_add, step_end, step_update
from formations.models import ContactConsent, Membership
from formations.permissions import works_in_alertes


def _membership(structure, pk) -> Membership:
    try:
        return Membership.objects.select_related("participant", "structure").get(
            pk=pk, structure=structure
        )
    except Membership.DoesNotExist:
        raise Http404 from None


def _back_url(structure, membership_pk) -> str:
    return member_url(structure.pk, membership_pk) or reverse("alertes:week", args=[structure.pk])


def _form_page(request, *, structure, membership, form, page_title, withdrawn=(), step=None):
    return render(
        request,
        "alertes/step_form.html",
        {
            "structure": structure,
            "current": "week",
            "membership": membership,
            "form": form,
            "step": step,
            "page_title": page_title,
            "withdrawn": withdrawn,
            "cancel_url": _back_url(structure, membership.pk),
            "member_url": member_url(structure.pk, membership.pk),
        },
    )


def _apply_errors(form, exc: StepError):
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if not exc.errors:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def step_add_view(request, structure, membership):
    structure = alertes_structure(user=request.user, pk=structure)
    membership = _membership(structure, membership)
    if not membership.is_active:
        raise Http404
    form = StepForm(
        request.POST or None,
        structure=structure,
        membership=membership,
        actor=request.user,
        initial={"followed_by": request.user.pk if works_in_alertes(request.user) else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            step = step_add(
                membership=membership,
                actor=request.user,
                request_method=form.cleaned_data["request_method"],
                **form.step_values(),
            )
        except PermissionDenied:
            raise Http404 from None
        except StepError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Démarche « %(title)s » ajoutée.") % {"title": step.title})
            return redirect(_back_url(structure, membership.pk))
    return _form_page(
        request,
        structure=structure,
        membership=membership,
        form=form,
        page_title=_("Nouvelle démarche pour %(person)s") % {"person": membership.participant},
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_edit_view(request, structure, step):
    structure = alertes_structure(user=request.user, pk=structure)
    step = step_in_reach(user=request.user, structure=structure, pk=step)
    membership = step.membership
    if step.ended_at is not None or not membership.is_active:
        messages.info(request, _("Cette démarche est arrêtée : elle ne se modifie plus."))
        return redirect(_back_url(structure, membership.pk))
    rows = standing_requests(membership)
    requests = {
        channel: row is not None and row.action == ContactConsent.Action.GIVEN
        for channel, row in rows.items()
    }
    withdrawn = withdrawn_requests(step, rows)
    initial = {
        "title": step.title,
        "category": step.category,
        "due_on": step.due_on,
        "recurrence": step.recurrence,
        "until": step.until,
        "followed_by": step.followed_by_id,
        "note": step.note,
        # A withdrawn request is not ticked: ticking it again records a new request.
        "remind_by_sms": step.remind_by_sms and requests["sms"],
        "remind_by_email": step.remind_by_email and requests["email"],
        "remind_days_before": step.remind_days_before,
    }
    form = StepForm(
        request.POST or None,
        structure=structure,
        membership=membership,
        actor=request.user,
        follower_id=step.followed_by_id,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            step = step_update(
                step=step,
                actor=request.user,
                request_method=form.cleaned_data["request_method"],
                **form.step_values(),
            )
        except PermissionDenied:
            raise Http404 from None
        except StepError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Démarche « %(title)s » modifiée.") % {"title": step.title})
            return redirect(_back_url(structure, membership.pk))
    return _form_page(
        request,
        structure=structure,
        membership=membership,
        form=form,
        step=step,
        withdrawn=withdrawn,
        page_title=_("Modifier la démarche « %(title)s »") % {"title": step.title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_end_view(request, structure, step):
    structure = alertes_structure(user=request.user, pk=structure)
    step = step_in_reach(user=request.user, structure=structure, pk=step)
    back = _back_url(structure, step.membership_id)
    if request.method == "POST":
        try:
            step_end(step=step, actor=request.user)
        except PermissionDenied:
            raise Http404 from None
        messages.success(
            request,
            _("Démarche « %(title)s » arrêtée : plus aucun rappel ne sera envoyé.")
            % {"title": step.title},
        )
        return redirect(back)
    return render(
        request,
        "alertes/step_end.html",
        {"structure": structure, "current": "week", "step": step, "back_url": back},
    )


def _week_day(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        return None
    return day


@login_required
@require_GET
def week_view(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    user = request.user
    # Staff and administrators see the steps they follow unless they ask for all;
    # coordinators follow nobody's in particular and see all.
    may_filter = works_in_alertes(user)
    everyone = not may_filter or request.GET.get("tous") == "1"
    week = structure_week(
        structure=structure,
        day=_week_day(request.GET.get("semaine")),
        followed_by=None if everyone else user,
    )
    for line in week.lines:
        line.member_url = member_url(structure.pk, line.step.membership_id)
    return render(
        request,
        "alertes/week.html",
        {
            "structure": structure,
            "current": "week",
            "week": week,
            "everyone": everyone,
            "may_filter": may_filter,
            "scope": "1" if everyone and may_filter else "",
        },
    )
