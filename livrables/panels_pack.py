"""« Dossier de justificatifs » on the formation page: the button that builds the audit
pack in the background (optional period), its progress box, and the standing packs to
download. Coordinators and the auditors of the formation's funders; nobody else."""

import uuid

from django.urls import reverse

from formations.jobs import job_state, jobs_visible_to, running_job
from livrables.data import verification_url
from livrables.forms_pack import PackPeriodForm
from livrables.pack.jobs import download_url, job_scope
from livrables.pack.registry import PackScope
from livrables.pack.selectors import standing_packs
from livrables.pack.services import may_build_pack, period_label

# Packs listed on the panel (the register keeps every one).
PACKS_SHOWN = 5
# Session key: the dates and errors of a refused build, shown once in the panel.
PENDING = "audit_pack_pending_form"


def audit_pack_panel(request, formation):
    user = request.user
    if not may_build_pack(user=user, formation=formation):
        return None
    job = None
    try:
        asked = uuid.UUID(request.GET.get("dossier", ""))
    except ValueError:
        asked = None
    if asked is not None:
        job = jobs_visible_to(user=user).filter(scope=job_scope(formation), pk=asked).first()
    if job is None:
        running = running_job(scope=job_scope(formation))
        if running is not None and jobs_visible_to(user=user).filter(pk=running.pk).exists():
            job = running
    pending = request.session.pop(PENDING, None) if hasattr(request, "session") else None
    if not isinstance(pending, dict) or pending.get("formation") != formation.pk:
        pending = None
    form = PackPeriodForm(
        initial={"du": pending.get("du"), "au": pending.get("au")} if pending else None
    )
    packs = list(standing_packs(formation=formation)[:PACKS_SHOWN])
    for pack in packs:
        scope = PackScope(formation=formation, date_from=pack.covers_from, date_to=pack.covers_to)
        pack.download_url = download_url(scope)
        pack.period_label = period_label(pack.covers_from, pack.covers_to)
        pack.verification_url = verification_url(pack.number)
    return (
        "livrables/panels/audit_pack.html",
        {
            "pack_form": form,
            "pack_errors": pending.get("errors", []) if pending else [],
            "pack_build_url": reverse("livrables:audit_pack_build", args=[formation.pk]),
            "pack_job": job,
            "pack_job_state": job_state(job) if job is not None else None,
            "packs": packs,
        },
    )
