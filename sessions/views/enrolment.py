"""The enrolment page of a session (coordinators): enrol from the list, a whole structure
or a file, remove an enrolment, send the convocations."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from formations.jobs import job_state, jobs_visible_to
from formations.outbox import latest_messages_about
from formations.permissions import ManagerRequiredMixin
from sessions.exceptions import SessionsError
from sessions.forms_enrolment import (
    ConfirmForm,
    ConvocationForm,
    EnrolmentImportForm,
    EnrolParticipantsForm,
    EnrolStructureForm,
)
from sessions.selectors.contract import ENROLMENT_RULES, session_contract_status
from sessions.selectors.enrolment import (
    convocation_enrolments,
    enrolment_candidates,
    session_enrolments,
)
from sessions.selectors.visibility import sessions_visible_to
from sessions.services.enrolment import (
    EnrolmentImportError,
    convocation_recipients,
    enrol_from_file,
    enrol_participants,
    enrol_structure,
    send_convocations,
    unenrol,
)

CANDIDATES_SHOWN = 50
NAMES_SHOWN = 10


def _names(participants) -> str:
    names = [p.full_name for p in participants]
    if len(names) > NAMES_SHOWN:
        rest = len(names) - NAMES_SHOWN
        names = names[:NAMES_SHOWN] + [
            ngettext("et %(n)s autre", "et %(n)s autres", rest) % {"n": rest}
        ]
    return ", ".join(names)


class SessionEnrolmentsView(ManagerRequiredMixin, View):
    template_name = "sessions/enrolment/enrolments.html"

    def get_session(self):
        return get_object_or_404(sessions_visible_to(user=self.request.user), pk=self.kwargs["pk"])

    def get(self, request, pk):
        return self.render_page(self.get_session())

    def render_page(self, session, *, status=200, **forms):
        user = self.request.user
        # NUL dropped: PostgreSQL refuses it in a query parameter.
        query = self.request.GET.get("q", "").replace("\x00", "").strip()[:100]
        candidates = enrolment_candidates(session=session, user=user, query=query)
        shown = list(candidates[: CANDIDATES_SHOWN + 1])
        enrolments = list(session_enrolments(session=session, user=user))
        # Counts per structure are what the page lists; whether they break the contract
        # comes from the one contract selector, as on the formation page.
        rules = session_contract_status(session=session, rules=ENROLMENT_RULES).by_code
        per_structure_rule = rules.get("attendees_per_structure")
        offences = {
            offence.structure_id: offence
            for offence in (per_structure_rule.offences if per_structure_rule else ())
        }
        per_structure = {}
        for enrolment in enrolments:
            structure = enrolment.participant.structure
            per_structure.setdefault(structure.pk, [structure, 0])[1] += 1
        structure_rows = [
            {"name": structure.name, "count": count, "offence": offences.get(structure.pk)}
            for structure, count in sorted(
                per_structure.values(), key=lambda row: (row[0].sort_key, row[0].pk)
            )
        ]
        # Then the formation's structures with nobody here, once the session has begun
        # (the contract rule judges them from then on), in the rule's order.
        structure_rows += [
            {"name": offence.structure_name, "count": 0, "offence": offence}
            for structure_id, offence in offences.items()
            if structure_id not in per_structure
        ]
        convocations = latest_messages_about(objects=enrolments, purpose="convocation")
        for enrolment in enrolments:
            enrolment.convocation_message = convocations.get(enrolment.pk)
        job = self.shown_job()
        context = {
            "session": session,
            "formation": session.formation,
            "job": job,
            "job_state": job_state(job) if job else None,
            "group_rule": rules.get("group_size"),
            "structure_rule": per_structure_rule,
            "enrolments": enrolments,
            "query": query,
            "candidates": shown[:CANDIDATES_SHOWN],
            "more_candidates": len(shown) > CANDIDATES_SHOWN,
            "structure_rows": structure_rows,
            "unsent_count": sum(1 for e in enrolments if e.convocation_sent_at is None),
            "without_email": [e.participant for e in enrolments if not e.participant.email],
            "participants_form": forms.get("participants_form") or EnrolParticipantsForm(user=user),
            "structure_form": forms.get("structure_form") or EnrolStructureForm(user=user),
            "import_form": forms.get("import_form") or EnrolmentImportForm(),
            "convocation_form": forms.get("convocation_form") or ConvocationForm(),
            "import_errors": forms.get("import_errors", []),
        }
        return render(self.request, self.template_name, context, status=status)

    def report(self, result):
        if result.enrolled:
            messages.success(
                self.request,
                ngettext(
                    "%(n)s personne inscrite : %(names)s",
                    "%(n)s personnes inscrites : %(names)s",
                    len(result.enrolled),
                )
                % {"n": len(result.enrolled), "names": _names(result.enrolled)},
            )
        if result.already_enrolled:
            messages.info(
                self.request,
                _("Déjà inscrit·es (inchangé) : %(names)s")
                % {"names": _names(result.already_enrolled)},
            )
        if not result.enrolled and not result.already_enrolled:
            messages.info(self.request, _("Personne à inscrire."))
        for warning in result.warnings:
            messages.warning(self.request, warning.message)

    def shown_job(self):
        """The sending job named in the address (`?envoi=<id>`, after « Envoyer »)."""
        try:
            job_id = uuid.UUID(self.request.GET.get("envoi", ""))
        except ValueError:
            return None
        return jobs_visible_to(user=self.request.user).filter(pk=job_id).first()

    def back(self, session, *, job=None):
        url = reverse("sessions:session_enrolments", args=[session.pk])
        if job is not None:
            url += "?" + urlencode({"envoi": job.pk})
        return redirect(url)


class EnrolParticipantsView(SessionEnrolmentsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        session = self.get_session()
        form = EnrolParticipantsForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(session, participants_form=form)
        try:
            result = enrol_participants(
                session=session, participants=form.cleaned_data["participants"], actor=request.user
            )
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            self.report(result)
        return self.back(session)


class EnrolStructureView(SessionEnrolmentsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        session = self.get_session()
        form = EnrolStructureForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_page(session, structure_form=form)
        try:
            result = enrol_structure(
                session=session, structure=form.cleaned_data["structure"], actor=request.user
            )
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            self.report(result)
        return self.back(session)


class EnrolImportView(SessionEnrolmentsView):
    http_method_names = ["post"]
    upload_field = "file"  # formations.uploads: the only file this page accepts

    def post(self, request, pk):
        session = self.get_session()
        form = EnrolmentImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(session, import_form=form)
        upload = form.cleaned_data["file"]
        try:
            result = enrol_from_file(
                session=session, file_name=upload.name, content=upload.read(), actor=request.user
            )
        except EnrolmentImportError as exc:
            form.add_error("file", exc.message)
            return self.render_page(session, import_form=form, import_errors=exc.errors)
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            self.report(result)
        return self.back(session)


class ConvocationsView(SessionEnrolmentsView):
    http_method_names = ["post"]

    def post(self, request, pk):
        session = self.get_session()
        form = ConvocationForm(request.POST)
        if not form.is_valid():
            return self.render_page(session, convocation_form=form)
        enrolments = convocation_enrolments(
            session=session, unsent_only=form.cleaned_data["scope"] == ConvocationForm.UNSENT
        )
        _with_email, without_email = convocation_recipients(session=session, enrolments=enrolments)
        try:
            queued = send_convocations(session=session, enrolments=enrolments, actor=request.user)
        except SessionsError as exc:
            messages.error(request, exc.message)
            return self.back(session)
        if queued.count:
            messages.success(
                request,
                ngettext(
                    "%(n)s convocation en file d'envoi.",
                    "%(n)s convocations en file d'envoi.",
                    queued.count,
                )
                % {"n": queued.count},
            )
        elif not without_email:
            messages.info(
                request, _("Personne à convoquer : toutes les personnes inscrites l'ont déjà été.")
            )
        if without_email:
            messages.warning(
                request,
                _("Sans adresse e-mail, donc non convoqué·es : %(names)s")
                % {"names": _names(e.participant for e in without_email)},
            )
        return self.back(session, job=queued.job)


class UnenrolView(SessionEnrolmentsView):
    confirm_template_name = "sessions/enrolment/unenrol_confirm.html"

    def get_enrolment(self, session):
        return get_object_or_404(
            session_enrolments(session=session, user=self.request.user),
            pk=self.kwargs["enrolment_pk"],
        )

    def get(self, request, pk, enrolment_pk):
        session = self.get_session()
        enrolment = self.get_enrolment(session)
        return render(
            request,
            self.confirm_template_name,
            {"session": session, "enrolment": enrolment, "form": ConfirmForm()},
        )

    def post(self, request, pk, enrolment_pk):
        session = self.get_session()
        enrolment = self.get_enrolment(session)
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            return render(
                request,
                self.confirm_template_name,
                {"session": session, "enrolment": enrolment, "form": form},
            )
        try:
            unenrol(enrolment=enrolment, actor=request.user)
        except SessionsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s n'est plus inscrit·e à la session.")
                % {"name": enrolment.participant.full_name},
            )
        return self.back(session)
