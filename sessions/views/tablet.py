from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from sessions.exceptions import SessionsError
from sessions.forms_signing import TabletUnlockForm
from sessions.services.tablet import locked_slot_id, tablet_unlock
from sessions.views.signing import render_uncached

NEXT_MAX_LENGTH = 2000


def safe_next(request, value: str | None) -> str | None:
    """`value` if it is a path of this site (relative, no host, no scheme), else None. A
    path longer than the form carries is dropped: unlocking then leads to the half-day."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if len(value) > NEXT_MAX_LENGTH:
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts=None, require_https=request.is_secure()
    ):
        return None
    return value


class TabletUnlockView(View):
    """Leaving tablet mode: asks the signed-in trainer's password, then goes on to the
    page that was asked for (`next`, a path of this site) or to the half-day's page."""

    template_name = "sessions/signing/tablet_unlock.html"

    def dispatch(self, request, *args, **kwargs):
        self.slot_id = locked_slot_id(request.session)
        return super().dispatch(request, *args, **kwargs)

    def onward(self, next_url: str | None, slot_id: int | None):
        if next_url:
            return redirect(next_url)
        if slot_id is not None:
            return redirect("sessions:slot_detail", pk=slot_id)
        return redirect("dashboard")

    def get(self, request):
        next_url = safe_next(request, request.GET.get("next"))
        if self.slot_id is None:
            return self.onward(next_url, None)
        return self.render_page(TabletUnlockForm(initial={"next": next_url or ""}))

    def post(self, request):
        form = TabletUnlockForm(request.POST)
        next_url = safe_next(request, request.POST.get("next"))
        if self.slot_id is None:
            return self.onward(next_url, None)
        if form.is_valid():
            try:
                slot_id = tablet_unlock(
                    store=request.session,
                    actor=request.user,
                    password=form.cleaned_data["password"],
                )
            except SessionsError as exc:
                form.add_error("password", exc.message)
                status = 429 if exc.code == "unlock_paused" else 400
                return self.render_page(form, status=status)
            messages.success(request, _("Mode tablette quitté."))
            return self.onward(next_url, slot_id)
        return self.render_page(form, status=400)

    def render_page(self, form, status: int = 200):
        return render_uncached(
            self.request,
            self.template_name,
            {
                "form": form,
                "tablet_url": reverse("sessions:slot_tablet", args=[self.slot_id]),
            },
            status=status,
        )
