"""A structure's groups: list (with their active members), create, rename, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alertes.forms_groups import GroupForm
from alertes.selectors import alertes_structure
from formations.member_groups import GroupData, group_create, group_delete, group_update, group_use
from formations.members import MemberError
from formations.models import MemberGroup


def groups_of(structure, *, archived: bool = False):
    """The structure's groups in French order, with active members and campaigns to come:
    the current ones, or (`archived`) those archived because sent campaigns used them."""
    return (
        MemberGroup.objects.filter(structure=structure, archived_at__isnull=not archived)
        .annotate(
            member_count=Count(
                "memberships", filter=Q(memberships__ended_at__isnull=True), distinct=True
            ),
            pending_campaigns=Count(
                "alert_campaigns",
                filter=Q(alert_campaigns__status__in=("scheduled", "sending")),
                distinct=True,
            ),
        )
        .order_by("sort_key", "pk")
    )


def _group(structure, pk) -> MemberGroup:
    try:
        return MemberGroup.objects.get(structure=structure, pk=pk)
    except MemberGroup.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def group_list(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    archived = request.GET.get("archives") == "1"
    return render(
        request,
        "alertes/groups/list.html",
        {
            "structure": structure,
            "current": "groups",
            "groups": groups_of(structure, archived=archived),
            "archived": archived,
            "archived_count": MemberGroup.objects.filter(
                structure=structure, archived_at__isnull=False
            ).count(),
        },
    )


def _form_page(request, structure, form, *, title, group=None):
    return render(
        request,
        "alertes/groups/form.html",
        {
            "structure": structure,
            "current": "groups",
            "form": form,
            "page_title": title,
            "group": group,
            "cancel_url": reverse("alertes:group_list", args=[structure.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create_view(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_create(
                structure=structure, actor=request.user, data=GroupData(**form.cleaned_data)
            )
        except MemberError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Groupe « %(name)s » créé.") % {"name": group.name})
            return redirect("alertes:group_list", structure=structure.pk)
    return _form_page(request, structure, form, title=_("Nouveau groupe"))


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, structure, group):
    structure = alertes_structure(user=request.user, pk=structure)
    group = _group(structure, group)
    initial = {"name": group.name, "description": group.description}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group_update(group=group, actor=request.user, data=GroupData(**form.cleaned_data))
        except MemberError as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Groupe « %(name)s » enregistré.") % {"name": group.name})
            return redirect("alertes:group_list", structure=structure.pk)
    title = _("Modifier le groupe « %(name)s »") % {"name": initial["name"]}
    return _form_page(request, structure, form, title=title, group=group)


@login_required
@require_http_methods(["GET", "POST"])
def group_delete_view(request, structure, group):
    structure = alertes_structure(user=request.user, pk=structure)
    group = _group(structure, group)
    error = ""
    if request.method == "POST":
        try:
            outcome = group_delete(group=group, actor=request.user)
        except MemberError as exc:
            error = exc.message
        else:
            if outcome == "archived":
                done = _(
                    "Groupe « %(name)s » archivé : des campagnes envoyées l'ont utilisé, il "
                    "reste sur leur page et dans les statistiques."
                )
            else:
                done = _("Groupe « %(name)s » supprimé.")
            messages.success(request, done % {"name": group.name})
            return redirect("alertes:group_list", structure=structure.pk)
    use = group_use(group)
    return render(
        request,
        "alertes/groups/delete.html",
        {
            "structure": structure,
            "current": "groups",
            "group": group,
            "use": use,
            "error": error,
            "page_title": _("Supprimer le groupe « %(name)s »") % {"name": group.name},
        },
        status=409 if error else 200,
    )
