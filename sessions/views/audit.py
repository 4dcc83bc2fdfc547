"""The control page of one half-day, read-only, for funder auditors and coordinators."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from formations.french import user_name
from formations.models import User
from formations.permissions import RoleRequiredMixin, can_manage, is_funder_auditor
from formations.selectors import formations_visible_to
from sessions.exceptions import SessionsError
from sessions.presence import attendance_text, signed_as_text, values_text
from sessions.selectors.audit import slot_audit_records
from sessions.selectors.visibility import slots_visible_to
from sessions.services import audit_risk_acknowledge
from sessions.signatures import signature_svg

# A device clock this far from the server's (or a signature uploaded this late) is pointed
# out on the page: it is what an auditor would ask about.
NOTABLE_GAP = dt.timedelta(minutes=5)


def local_time(value: dt.datetime | None, tz) -> str:
    """« 04/10/2021 09:12:05 (UTC+02:00) »: the session's local time, offset written out."""
    if value is None:
        return ""
    local = timezone.localtime(value, tz)
    return f"{local:%d/%m/%Y %H:%M:%S} (UTC{local:%:z})"


def gap_text(gap: dt.timedelta) -> str:
    """A signed duration in words: « +1 min 05 s », « −3 h 02 min », « 0 s »."""
    seconds = round(gap.total_seconds())
    sign = "+" if seconds > 0 else "−" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min {secs:02d} s"
    return f"{sign}{secs} s"


class SlotAuditView(RoleRequiredMixin, View):
    """Everything recorded on one half-day of a session the user may see; coordinators and
    funder auditors (of that programme's funders: anyone else's half-day is a 404)."""

    allowed_roles = (User.Role.FUNDER_AUDITOR,)
    template_name = "sessions/audit/slot_audit.html"

    def get(self, request, pk):
        slot = get_object_or_404(
            slots_visible_to(user=request.user).select_related(
                "seal__sealed_by", "countersigned_by"
            ),
            pk=pk,
        )
        audit = slot_audit_records(slot=slot)
        session = slot.session
        tz = session.tzinfo
        planned = slot.planned_minutes
        rows, rectifications = [], []
        for row in audit.rows:
            attendance = row.attendance
            participant = row.enrolment.participant
            entry = {
                "participant": participant,
                "attendance": attendance,
                "counted_minutes": row.counted_minutes,
                "rectified": bool(row.rectifications),
                "same_phone_as": ", ".join(row.same_phone_as),
            }
            if attendance is not None:
                gap = None
                if attendance.signed_at and attendance.device_signed_at:
                    gap = attendance.device_signed_at - attendance.signed_at
                entry.update(
                    status=attendance_text(attendance, slot),
                    signed_as=signed_as_text(attendance, participant),
                    signed_at=local_time(attendance.signed_at, tz),
                    device_signed_at=local_time(attendance.device_signed_at, tz),
                    gap=gap_text(gap) if gap is not None else "",
                    notable_gap=gap is not None and abs(gap) >= NOTABLE_GAP,
                    signature=signature_svg(attendance.signature),
                    recorded_by=user_name(attendance.recorded_by),
                )
            rows.append(entry)
            for rect in row.rectifications:
                rectifications.append(
                    {
                        "participant": participant,
                        "old": values_text(rect.old_values, slot) or "—",
                        "new": values_text(rect.new_values, slot) or "—",
                        "reason": rect.reason,
                        "author": user_name(rect.author),
                        "at": local_time(rect.created_at, tz),
                        "digest": rect.digest,
                    }
                )
        seal = audit.seal
        context = {
            "slot": slot,
            "session": session,
            "audit": audit,
            "rows": rows,
            "rectifications": rectifications,
            "planned_minutes": planned,
            "start": local_time(slot.starts_at, tz),
            "end": local_time(slot.ends_at, tz),
            "signed_count": sum(
                1 for r in audit.rows if r.attendance is not None and r.attendance.is_signed
            ),
            "counted_total": sum(r.counted_minutes for r in audit.rows),
            "countersigned_at": local_time(slot.countersigned_at, tz),
            "countersigned_by": user_name(slot.countersigned_by),
            "countersignature": signature_svg(slot.countersignature),
            "sealed_at": local_time(seal.sealed_at, tz) if seal else "",
            "sealed_by": user_name(seal.sealed_by) if seal else "",
            "scans": [
                {"scan": scan, "uploaded_at": local_time(scan.uploaded_at, tz)}
                for scan in audit.scans
            ],
        }
        return render(request, self.template_name, context)


class AuditRiskAcknowledgeView(RoleRequiredMixin, View):
    """Posts a coordinator's explanation of one audit risk of a formation (the form is in
    the formation page's « Risques d'audit » panel), then goes back to the panel. A
    formation or a panel out of the user's reach is 404, as on every page; in reach (a
    funder's auditor reads the panel) but not theirs to write, 403."""

    allowed_roles = None
    http_method_names = ["post"]

    def post(self, request, pk):
        formation = get_object_or_404(formations_visible_to(user=request.user), pk=pk)
        if not can_manage(request.user):
            # The auditor reads the risks (in reach, 403); a trainer of the formation
            # does not see them (out of reach, 404).
            raise PermissionDenied if is_funder_auditor(request.user) else Http404
        try:
            audit_risk_acknowledge(
                actor=request.user,
                formation=formation,
                risk_key=request.POST.get("risk_key", ""),
                explanation=request.POST.get("explanation", ""),
            )
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Explication enregistrée : le dossier d'audit la porte."))
        return redirect(reverse("formations:formation_detail", args=[pk]) + "#audit-risks")
