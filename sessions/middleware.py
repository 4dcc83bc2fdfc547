"""Tablet mode is locked (see `sessions.services.tablet`): while a browser session is
locked on a half-day, every page but that half-day's tablet pages, the unlock page and
logging out is answered by a redirect to the unlock page, which asks for the trainer's
password and then goes on to the page asked for. A lock of another app's scope
(`sessions.services.tablet.TABLET_SCOPES`) leaves open that scope's pages of the locked
object instead."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from sessions.services.tablet import TABLET_SCOPES, locked_scope

TABLET_PAGES = frozenset({"sessions:slot_tablet", "sessions:slot_tablet_sign"})
ALWAYS_OPEN = frozenset({"sessions:tablet_unlock", "logout"})


class TabletLockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        session = getattr(request, "session", None)
        if session is None:
            return None
        lock = locked_scope(session)
        if lock is None:
            return None
        if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
            return None
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        if name in ALWAYS_OPEN:
            return None
        scope, pk = lock
        pages = TABLET_PAGES if scope == "slot" else TABLET_SCOPES[scope].pages
        if name in pages and view_kwargs.get("pk") == pk:
            return None
        url = reverse("sessions:tablet_unlock")
        return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
