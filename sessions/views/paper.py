from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from sessions.exceptions import AttendanceError, SessionsError
from sessions.forms_paper import PaperKeyInForm, PaperScanUploadForm
from sessions.selectors.signing import (
    slot_attendances,
    slot_enrolments,
    slot_scans,
    slots_with_scans_for,
)
from sessions.selectors.visibility import slots_run_by
from sessions.services.paper import paper_scan_store, paper_sheet_key_in, scan_content_type

SEALED_MESSAGE = gettext_lazy(
    "Cette demi-journée est scellée : la feuille papier ne peut plus être déposée ni saisie. "
    "Pour corriger un statut, passez par une rectification."
)


class SlotPaperView(View):
    template_name = "sessions/paper/slot_paper.html"
    upload_field = "file"  # formations.uploads: the only file this page accepts

    def dispatch(self, request, *args, **kwargs):
        self.slot = get_object_or_404(
            slots_run_by(user=request.user).select_related("seal"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render_page()

    def post(self, request, pk):
        if self.slot.is_sealed:
            messages.error(request, SEALED_MESSAGE)
            return redirect("sessions:slot_paper", pk=self.slot.pk)
        action = request.POST.get("action")
        if action == "upload":
            return self.post_upload()
        if action == "key_in":
            return self.post_key_in()
        return redirect("sessions:slot_paper", pk=self.slot.pk)

    def post_upload(self):
        form = PaperScanUploadForm(self.request.POST, self.request.FILES)
        if form.is_valid():
            try:
                scan = paper_scan_store(
                    slot=self.slot, uploaded_file=form.cleaned_data["file"], actor=self.request.user
                )
            except SessionsError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(
                    self.request,
                    _("Scan « %(name)s » déposé. Vous pouvez maintenant saisir les statuts.")
                    % {"name": scan.original_name},
                )
                return redirect("sessions:slot_paper", pk=self.slot.pk)
        return self.render_page(upload_form=form)

    def post_key_in(self):
        form = self.key_in_form(data=self.request.POST)
        if form is None:
            messages.error(self.request, _("Déposez d'abord le scan de la feuille papier."))
            return redirect("sessions:slot_paper", pk=self.slot.pk)
        if form.is_valid():
            try:
                attendances = paper_sheet_key_in(
                    slot=self.slot,
                    scan=form.cleaned_data["scan"],
                    entries=form.entries(),
                    actor=self.request.user,
                )
            except AttendanceError as exc:
                enrolment = getattr(exc, "enrolment", None)
                if enrolment is not None:
                    form.add_row_error(enrolment, exc.message)
                else:
                    form.add_error(None, exc.message)
            else:
                count = len(attendances)
                messages.success(
                    self.request,
                    ngettext(
                        "%(count)d émargement saisi depuis la feuille papier.",
                        "%(count)d émargements saisis depuis la feuille papier.",
                        count,
                    )
                    % {"count": count},
                )
                return redirect("sessions:slot_paper", pk=self.slot.pk)
        return self.render_page(key_in_form=form)

    def scans(self):
        return slot_scans(slot=self.slot)

    def key_in_form(self, data=None):
        if self.slot.is_sealed:
            return None
        scans = self.scans()
        if not scans.exists():
            return None
        enrolments = slot_enrolments(slot=self.slot)
        attendances = slot_attendances(slot=self.slot)
        return PaperKeyInForm(
            data, slot=self.slot, enrolments=enrolments, attendances=attendances, scans=scans
        )

    def render_page(self, *, upload_form=None, key_in_form=None):
        sealed = self.slot.is_sealed
        if not sealed:
            upload_form = upload_form or PaperScanUploadForm()
            key_in_form = key_in_form or self.key_in_form()
        return render(
            self.request,
            self.template_name,
            {
                "slot": self.slot,
                "session": self.slot.session,
                "sealed": sealed,
                "sealed_message": SEALED_MESSAGE,
                "scans": list(self.scans()),
                "upload_form": upload_form if not sealed else None,
                "key_in_form": key_in_form if not sealed else None,
            },
        )


class SlotPaperScanView(View):
    """Serves a stored scan after checking that the user may see its half-day: never
    through the public MEDIA_URL, the sheet carries people's names and signatures."""

    def get(self, request, pk, scan_pk):
        slot = get_object_or_404(slots_with_scans_for(user=request.user), pk=pk)
        scan = get_object_or_404(slot_scans(slot=slot), pk=scan_pk)
        try:
            handle = scan.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("Fichier introuvable.")) from None
        return FileResponse(
            handle,
            content_type=scan_content_type(scan.file.name),
            as_attachment=request.GET.get("telecharger") == "1",
            filename=scan.original_name,
        )
