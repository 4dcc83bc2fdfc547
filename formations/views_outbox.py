"""The outbox page (« Envois »): every e-mail and SMS with its status, for coordinators
(a structure's Alertes team: its own structure's); the demo mailbox of old. And the
progress of a long job, as JSON for its page to poll."""

import binascii

import django_filters
from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from formations import outbox
from formations.jobs import job_state, jobs_visible_to
from formations.models import OutboxMessage, User
from formations.permissions import RoleRequiredMixin, can_manage


def demo_mailbox() -> bool:
    return bool(getattr(settings, "SUIVI_DEMO_MAILBOX", False))


def purpose_choices():
    return [(code, str(purpose.label)) for code, purpose in outbox.PURPOSES.items()]


ALL = gettext_lazy("Tous")


class OutboxFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Canal"), choices=OutboxMessage.Channel.choices, empty_label=ALL
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Statut"), choices=OutboxMessage.Status.choices, empty_label=ALL
    )
    purpose = django_filters.ChoiceFilter(
        label=gettext_lazy("Motif"), choices=purpose_choices, empty_label=ALL
    )
    q = django_filters.CharFilter(
        label=gettext_lazy("Destinataire ou objet"), method="filter_search"
    )

    class Meta:
        model = OutboxMessage
        fields = ["channel", "status", "purpose", "q"]

    def filter_search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(recipient__icontains=word)
                | Q(recipient_name__icontains=word)
                | Q(subject__icontains=word)
            )
        return queryset


# A structure's Alertes team sees its own structure's messages (`outbox_messages_visible_to`).
OUTBOX_ROLES = (User.Role.STRUCTURE_ADMIN, User.Role.STRUCTURE_STAFF)


class OutboxListView(RoleRequiredMixin, FilterView):
    allowed_roles = OUTBOX_ROLES
    template_name = "formations/outbox/list.html"
    filterset_class = OutboxFilter
    paginate_by = 50
    context_object_name = "outbox_messages"
    # A value the filters do not know (an old link) is ignored and said, not an empty list.
    strict = False

    def paginate_queryset(self, queryset, page_size):
        """A page number past the end or not a number shows the nearest page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_queryset(self):
        return (
            outbox.outbox_messages_visible_to(user=self.request.user)
            .defer("body", "html_body", "attachments")
            .order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for message in context["outbox_messages"]:
            message.purpose_label = outbox.purpose_label(message.purpose)
        context["demo_mailbox"] = demo_mailbox()
        return context


class OutboxMessageMixin(RoleRequiredMixin):
    allowed_roles = OUTBOX_ROLES

    def get_queryset(self):
        return outbox.outbox_messages_visible_to(user=self.request.user)


class OutboxMessageView(OutboxMessageMixin, DetailView):
    template_name = "formations/outbox/detail.html"
    context_object_name = "message"

    def get_context_data(self, **kwargs):
        message = self.object
        return super().get_context_data(
            purpose_label=outbox.purpose_label(message.purpose),
            # Outside the demo a password link is for its recipient's eyes only.
            show_body=demo_mailbox() or not outbox.is_confidential(message),
            can_retry=message.status == OutboxMessage.Status.FAILED
            and can_manage(self.request.user),
            **kwargs,
        )


class OutboxAttachmentView(OutboxMessageMixin, DetailView):
    def get(self, request, *args, **kwargs):
        message = self.get_object()
        if not (demo_mailbox() or not outbox.is_confidential(message)):
            raise Http404(_("Pièce jointe introuvable."))
        try:
            attachments = outbox.decoded_attachments(message)
        except (binascii.Error, ValueError):
            raise Http404(_("Pièce jointe illisible.")) from None
        index = kwargs["index"]
        if index >= len(attachments):
            raise Http404(_("Pièce jointe introuvable."))
        filename, content, mimetype = attachments[index]
        response = HttpResponse(content, content_type=mimetype)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class OutboxRetryView(OutboxMessageMixin, View):
    """Coordinators only: a structure's team reads its messages but retries none."""

    allowed_roles = ()
    http_method_names = ["post"]

    def post(self, request, pk):
        message = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            outbox.outbox_retry(message=message, actor=request.user)
        except outbox.OutboxError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Le message est remis en file d'envoi."))
        return redirect("formations:outbox_message", pk=message.pk)


class JobProgressView(View):
    """JSON for `static/js/job-progress.js`: the job's counts and one sentence. A job is
    visible to coordinators and to whoever started it; otherwise 404."""

    def get(self, request, pk):
        job = get_object_or_404(jobs_visible_to(user=request.user), pk=pk)
        response = JsonResponse(job_state(job))
        response["Cache-Control"] = "no-store"
        return response
