from django.conf import settings

from formations.permissions import can_manage


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "can_manage": bool(user and can_manage(user)),
        "demo_mailbox": getattr(settings, "SUIVI_DEMO_MAILBOX", False),
    }
