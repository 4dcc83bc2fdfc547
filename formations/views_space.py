"""Pages of the participant's own space (`/mon-espace/`): signing in with a one-time link,
the space itself (sections filled by `formations.panels.SPACE_PANELS`), contact details
and consents. See `formations.space` for the security choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View, defaults
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView

from formations import space
from formations.client_ip import client_ip
from formations.consent import consent_rows
from formations.forms_space import SpaceConsentForm, SpaceContactForm, SpaceSignInForm
from formations.panels import SPACE_DOCUMENT_PANELS, SPACE_PANELS, collect_panels
from formations.phones import PhoneError, format_national


@method_decorator(login_not_required, name="dispatch")
class SignInView(FormView):
    template_name = "formations/space/sign_in.html"
    form_class = SpaceSignInForm

    def form_valid(self, form):
        space.space_link_request(address=form.cleaned_data["address"], ip=client_ip(self.request))
        return redirect("space:sign_in_sent")


@method_decorator(login_not_required, name="dispatch")
class SignInSentView(TemplateView):
    template_name = "formations/space/sign_in_sent.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(minutes=space.link_minutes(), **kwargs)


@method_decorator(login_not_required, name="dispatch")
class LinkView(View):
    """GET shows a button (a mail scanner that opens the link uses nothing up); POST
    signs in."""

    def get(self, request, token):
        try:
            space.space_link_check(token=token)
        except space.SpaceError as exc:
            return self.invalid(exc)
        return render(request, "formations/space/link.html")

    def post(self, request, token):
        try:
            participant = space.space_sign_in(token=token)
        except space.SpaceError as exc:
            return self.invalid(exc)
        space.space_login(request, participant)
        return redirect("space:home")

    def invalid(self, exc):
        return render(
            self.request,
            "formations/space/link_invalid.html",
            {"error": exc.message, "code": exc.code},
        )


@require_POST
@space.participant_required
def sign_out(request):
    space.space_sign_out(request, request.participant)
    messages.success(request, _("Vous êtes déconnecté·e de votre espace."))
    return redirect("space:sign_in")


@space.participant_required
def home(request):
    participant = request.participant
    return render(
        request,
        "formations/space/home.html",
        {
            "participant": participant,
            "phone_display": format_national(participant.phone),
            "panels": collect_panels(SPACE_PANELS, request, participant),
            "document_panels": collect_panels(SPACE_DOCUMENT_PANELS, request, participant),
            "consents": consent_rows(participant),
        },
    )


@space.participant_required
def contact(request):
    participant = request.participant
    form = SpaceContactForm(request.POST or None, participant=participant)
    if request.method == "POST" and form.is_valid():
        try:
            changed = space.space_contact_update(
                participant=participant,
                actor=participant,
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
            )
        except PhoneError as exc:
            form.add_error("phone", exc.message)
        except space.SpaceError as exc:
            form.add_error("email", exc.message)
        else:
            if changed:
                messages.success(request, _("Vos coordonnées sont enregistrées."))
            else:
                messages.info(request, _("Rien n'a changé."))
            return redirect("space:home")
    return render(request, "formations/space/contact.html", {"form": form})


@space.participant_required
def consents(request):
    participant = request.participant
    if request.method == "POST" and "withdraw" in request.POST:
        return _withdraw_structure_consent(request, participant)
    form = SpaceConsentForm(request.POST or None, rows=consent_rows(participant))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if changes:
            space.space_consents_record(participant=participant, actor=participant, changes=changes)
            messages.success(request, _("Vos choix sont enregistrés."))
        else:
            messages.info(request, _("Rien n'a changé."))
        return redirect("space:home")
    return render(
        request,
        "formations/space/consents.html",
        {"form": form, "structures": space.space_structure_consents(participant)},
    )


def _withdraw_structure_consent(request, participant):
    """One « Ne plus recevoir » button of a structure that follows the person: the
    button's value is ``<structure pk>:<channel>:<purpose>``."""
    structure_id, _sep, rest = request.POST["withdraw"].partition(":")
    channel, _sep, purpose = rest.partition(":")
    if not structure_id.isdigit() or len(structure_id) > 18:  # a primary key, not any number
        raise Http404
    try:
        space.space_structure_consent_withdraw(
            participant=participant,
            actor=participant,
            structure_id=int(structure_id),
            channel=channel,
            purpose=purpose,
        )
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("C'est noté : vous ne recevrez plus ces messages."))
    return redirect("space:consents")


def page_not_found(request, exception):
    """The site's 404 (`handler404`): under `/mon-espace/`, in the space's own layout (its
    header, the participant's sign-out, no staff menu) and its words; elsewhere Django's."""
    if not request.path.startswith(reverse("space:home")):
        return defaults.page_not_found(request, exception)
    if not hasattr(request, "participant"):  # an address no view of the space answers
        request.participant = space.current_participant(request)
    return defaults.page_not_found(request, exception, template_name="formations/space/404.html")
