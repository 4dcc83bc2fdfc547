"""The members' pages of a structure (seed 002, « Front Admin / Utilisateur »): the list in
French alphabetical order, registration (someone already known in the structure leads to
their profile; success goes back to the Alertes home, as the tender asks), the profile,
its edit, consents and end of follow-up. Every page is under `/alertes/<structure>/`: a
structure out of reach or a membership of another structure is a 404. Writes go through
`formations.members` (and `formations.consent`), which check the actor and audit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alertes.forms_members import (
    MemberConsentForm,
    MemberEditForm,
    MemberEndForm,
    MemberFilterForm,
    MemberRegisterForm,
    MemberResumeForm,
    consent_field,
)
from alertes.panels import MEMBER_PANELS
from alertes.reminders import structure_today
from alertes.selectors import alertes_structure
from alertes.selectors_members import member_consent_state, members_of, membership_of
from formations.consent import STRUCTURE_PAIRS, ConsentError, annotation_name, recorded_wording
from formations.french import long_date
from formations.members import (
    MemberError,
    age_on,
    member_consents_record,
    member_end,
    member_register,
    member_resume,
    member_update,
)
from formations.models import Channel, Purpose
from formations.panels import collect_panels
from formations.phones import format_national

PAGE_SIZE = 50
CURRENT = "members"


def _context(structure, **extra) -> dict:
    return {"structure": structure, "current": CURRENT, **extra}


def _consent_cells(membership) -> list[dict]:
    """The list's consent column: the structure's news per channel."""
    return [
        {
            "channel": Channel(channel).label,
            "state": getattr(membership, annotation_name(channel, Purpose.STRUCTURE_NEWS), None),
        }
        for channel in (Channel.SMS, Channel.EMAIL)
    ]


@login_required
@require_GET
def member_list(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    form = MemberFilterForm(request.GET or None, structure=structure)
    members = members_of(structure, **form.filters())
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    today = structure_today(structure, timezone.now())
    for membership in page:
        membership.age = age_on(membership.participant.date_of_birth, today)
        membership.consent_cells = _consent_cells(membership)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alertes/members/list.html",
        _context(structure, form=form, page=page, query=query.urlencode()),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_register_view(request, structure):
    structure = alertes_structure(user=request.user, pk=structure)
    form = MemberRegisterForm(request.POST or None, structure=structure)
    if request.method == "POST" and form.is_valid():
        try:
            result = member_register(
                structure=structure, actor=request.user, data=form.member_data()
            )
        except (MemberError, ConsentError) as exc:
            form.add_error(None, exc.message)
        else:
            person = result.membership.participant
            if not result.created:
                return _already_registered(request, form, result)
            messages.success(request, _("%(person)s est inscrit·e.") % {"person": person})
            return redirect("alertes:structure_home", structure=structure.pk)
    return render(
        request,
        "alertes/members/form.html",
        _context(
            structure,
            form=form,
            page_title=_("Inscrire un·e adhérent·e"),
            submit_label=_("Inscrire"),
            cancel_url=_list_url(structure),
        ),
    )


def _already_registered(request, form, result):
    """The person is known in the structure: nothing was written. Said plainly, with what
    the form carried and was not recorded (consents, groups: review finding 7), and where
    to go: the consents form with the boxes typed pre-ticked (unsaved), else the profile;
    a follow-up that ended is said so, with its « Reprendre le suivi »."""
    membership = result.membership
    person = membership.participant
    messages.info(
        request,
        _(
            "%(person)s est déjà inscrit·e dans cette structure (%(why)s) : rien n'a été "
            "créé, voici sa fiche."
        )
        % {"person": person, "why": result.matched_label},
    )
    if not membership.is_active:
        messages.warning(
            request,
            _(
                "Son suivi est terminé depuis le %(date)s : reprenez-le avec « Reprendre le "
                "suivi » pour qu'elle reçoive de nouveau les messages."
            )
            % {"date": long_date(structure_today(membership.structure, membership.ended_at))},
        )
    ticked = [
        consent_field(channel, purpose)
        for channel, purpose in STRUCTURE_PAIRS
        if form.cleaned_data.get(consent_field(channel, purpose))
    ]
    current = {group.pk for group in membership.groups.all()}
    new_groups = [group for group in form.cleaned_data["groups"] if group.pk not in current]
    if new_groups:
        messages.warning(
            request,
            _(
                "Les groupes saisis n'ont pas été enregistrés (%(groups)s) : ajoutez-les avec "
                "« Modifier la fiche »."
            )
            % {"groups": ", ".join(group.name for group in new_groups)},
        )
    if ticked:
        messages.warning(
            request,
            _(
                "Les accords saisis n'ont pas été enregistrés. Ils sont cochés ci-dessous : "
                "vérifiez-les, puis enregistrez."
            )
            if membership.is_active
            else _(
                "Les accords saisis n'ont pas été enregistrés : reprenez d'abord le suivi, "
                "puis notez-les depuis sa fiche."
            ),
        )
        if membership.is_active:
            query = urlencode({"proposer": ticked}, doseq=True)
            return redirect(f"{_consents_url(membership)}?{query}")
    return redirect(_detail_url(membership))


def _consents_url(membership) -> str:
    return reverse(
        "alertes:member_consents",
        kwargs={"structure": membership.structure_id, "membership": membership.pk},
    )


def _list_url(structure) -> str:
    return reverse("alertes:member_list", kwargs={"structure": structure.pk})


def _detail_url(membership) -> str:
    return reverse(
        "alertes:member_detail",
        kwargs={"structure": membership.structure_id, "membership": membership.pk},
    )


@login_required
@require_GET
def member_detail(request, structure, membership):
    structure = alertes_structure(user=request.user, pk=structure)
    membership = membership_of(structure, membership)
    person = membership.participant
    state = member_consent_state(membership)
    consent_rows = [
        {
            "channel": Channel(channel).label,
            "purpose": Purpose(purpose).label,
            "latest": latest,
            # The text of the version recorded, never the current one (review finding 16).
            "wording": recorded_wording(latest) if latest is not None else "",
        }
        for (channel, purpose), latest in state["current"].items()
    ]
    return render(
        request,
        "alertes/members/detail.html",
        _context(
            structure,
            membership=membership,
            person=person,
            age=age_on(person.date_of_birth, structure_today(structure, timezone.now())),
            phone_display=format_national(person.phone) if person.phone else "",
            consent_rows=consent_rows,
            any_given=any(
                row["latest"] is not None and row["latest"].action == "given"
                for row in consent_rows
            ),
            history=state["history"],
            panels=collect_panels(MEMBER_PANELS, request, membership),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, structure, membership):
    structure = alertes_structure(user=request.user, pk=structure)
    membership = membership_of(structure, membership)
    form = MemberEditForm(
        request.POST or None,
        structure=structure,
        initial=MemberEditForm.initial_for(membership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            member_update(membership=membership, actor=request.user, data=form.member_data())
        except MemberError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("La fiche de %(person)s est enregistrée.") % {"person": membership.participant},
            )
            return redirect(_detail_url(membership))
    return render(
        request,
        "alertes/members/form.html",
        _context(
            structure,
            form=form,
            membership=membership,
            page_title=_("Modifier la fiche de %(person)s") % {"person": membership.participant},
            submit_label=_("Enregistrer"),
            cancel_url=_detail_url(membership),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_consents(request, structure, membership):
    structure = alertes_structure(user=request.user, pk=structure)
    membership = membership_of(structure, membership)
    current = member_consent_state(membership)["current"]
    form = MemberConsentForm(
        request.POST or None,
        membership=membership,
        current=current,
        actor=request.user,
        proposed=request.GET.getlist("proposer"),
    )
    if form.withdraw_only and not form.grouped():
        # Ended, and nothing stands given: there is nothing the person could withdraw.
        messages.info(request, _("Le suivi de cette personne est terminé : elle ne reçoit rien."))
        return redirect(_detail_url(membership))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Rien n'a changé."))
            return redirect(_detail_url(membership))
        try:
            member_consents_record(
                membership=membership,
                actor=request.user,
                changes=changes,
                method=form.cleaned_data["method"],
                at=form.at(),
                collected_by=form.cleaned_data["collected_by"],
                note=form.cleaned_data["note"],
            )
        except (MemberError, ConsentError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Les accords de %(person)s sont enregistrés.")
                % {"person": membership.participant},
            )
            return redirect(_detail_url(membership))
    return render(
        request,
        "alertes/members/consents.html",
        _context(
            structure,
            form=form,
            membership=membership,
            person=membership.participant,
            proposed=bool(request.GET.getlist("proposer")) and not form.withdraw_only,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_resume_view(request, structure, membership):
    """« Reprendre le suivi » of a member whose follow-up ended, after a confirmation."""
    structure = alertes_structure(user=request.user, pk=structure)
    membership = membership_of(structure, membership)
    if membership.is_active:
        messages.info(request, _("Cette personne est déjà suivie par la structure."))
        return redirect(_detail_url(membership))
    form = MemberResumeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_resume(membership=membership, actor=request.user)
        except MemberError as exc:
            messages.info(request, exc.message)
        else:
            messages.success(
                request,
                _("Le suivi de %(person)s reprend.") % {"person": membership.participant},
            )
        return redirect(_detail_url(membership))
    return render(
        request,
        "alertes/members/resume.html",
        _context(structure, form=form, membership=membership, person=membership.participant),
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_end_view(request, structure, membership):
    structure = alertes_structure(user=request.user, pk=structure)
    membership = membership_of(structure, membership)
    if not membership.is_active:
        messages.info(request, _("Le suivi de cette personne est déjà terminé."))
        return redirect(_detail_url(membership))
    form = MemberEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_end(membership=membership, actor=request.user)
        except MemberError as exc:
            messages.info(request, exc.message)
        else:
            messages.success(
                request,
                _("Le suivi de %(person)s est terminé.") % {"person": membership.participant},
            )
        return redirect(_list_url(structure))
    return render(
        request,
        "alertes/members/end.html",
        _context(structure, form=form, membership=membership, person=membership.participant),
    )
