import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from alertes.models import AlertCampaign
from alertes.services_campaigns import CampaignData, normalised_body
from alertes.sms_segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    INVISIBLE_NAMES,
    first_name_figures,
    marketing_suffix,
)
from formations.french import time_zone_label
from formations.member_groups import current_groups
from formations.models import MemberGroup, Membership


class MemberChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.participant.last_name.upper()} {obj.participant.first_name}".strip()


class ScheduleFields(forms.Form):
    send_on = forms.DateField(
        label=_("Date d'envoi"), widget=forms.DateInput(attrs={"type": "date"})
    )
    send_time = forms.TimeField(
        label=_("Heure d'envoi"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure = structure
        self.zone = ZoneInfo(structure.time_zone or "Europe/Paris")
        self.fields["send_time"].help_text = capfirst(time_zone_label(self.zone.key)) + "."
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)

    def scheduled_at(self) -> dt.datetime:
        return dt.datetime.combine(
            self.cleaned_data["send_on"], self.cleaned_data["send_time"], tzinfo=self.zone
        )


class CampaignForm(ScheduleFields):
    title = forms.CharField(label=_("Titre de la campagne"), max_length=200)
    category = forms.ChoiceField(label=_("Catégorie"), choices=AlertCampaign.Category.choices)
    send_sms = forms.BooleanField(label=_("Par SMS"), required=False)
    send_email = forms.BooleanField(label=_("Par e-mail"), required=False)
    email_subject = forms.CharField(
        label=_("Objet de l'e-mail"),
        max_length=200,
        required=False,
        help_text=_("Obligatoire pour un envoi par e-mail."),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Écrivez {prénom} là où doit figurer le prénom de la personne."),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groupes destinataires"),
        queryset=MemberGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = MemberChoice(
        label=_("Adhérent·es choisi·es (en plus des groupes)"),
        queryset=Membership.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": _(
                "Une personne choisie ne fait plus partie de la structure : elle est retirée "
                "de la liste. Vérifiez les destinataires et enregistrez de nouveau."
            )
        },
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = [
        "title",
        "category",
        "send_sms",
        "send_email",
        "email_subject",
        "body",
        "groups",
        "members",
        "send_on",
        "send_time",
        "token",
    ]

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, structure=structure, **kwargs)
        self.fields["groups"].queryset = current_groups(structure)
        self.fields["members"].queryset = (
            Membership.objects.filter(structure=structure, ended_at__isnull=True)
            .select_related("participant")
            .order_by("participant__sort_key", "pk")
        )
        body = self.fields["body"].widget.attrs
        body["data-sms-counter"] = "campaign-sms-counter"
        body["data-gsm-basic"] = GSM7_BASIC
        body["data-gsm-extension"] = GSM7_EXTENSION
        # The live figure is the worst case among the structure's members: « {prénom} »
        # as long as the longest first name, Unicode if any first name forces it.
        longest, forcing = first_name_figures(
            self.fields["members"].queryset.values_list("participant__first_name", flat=True)
        )
        self.name_length = longest
        body["data-name-length"] = str(longest)
        body["data-name-forcing"] = forcing
        body["data-suffix"] = marketing_suffix()
        body["data-char-names"] = json.dumps(
            {char: str(name) for char, name in INVISIBLE_NAMES.items()}, ensure_ascii=False
        )
        # Django's own help text link is kept: both are read after the field.
        body["aria-describedby"] = "id_body_helptext campaign-sms-counter"

    def clean_body(self):
        return normalised_body(self.cleaned_data["body"])

    def data_for_service(self) -> CampaignData:
        data = self.cleaned_data
        return CampaignData(
            title=data["title"],
            body=data["body"],
            scheduled_at=self.scheduled_at(),
            category=data["category"],
            email_subject=data["email_subject"],
            send_sms=data["send_sms"],
            send_email=data["send_email"],
            groups=list(data["groups"]),
            members=list(data["members"]),
            token=data.get("token", ""),
        )

    @classmethod
    def initial_from(cls, campaign: AlertCampaign) -> dict:
        zone = ZoneInfo(campaign.structure.time_zone or "Europe/Paris")
        local = campaign.scheduled_at.astimezone(zone)
        return {
            "title": campaign.title,
            "category": campaign.category,
            "send_sms": campaign.send_sms,
            "send_email": campaign.send_email,
            "email_subject": campaign.email_subject,
            "body": campaign.body,
            "groups": list(campaign.groups.filter(archived_at__isnull=True)),
            # A member who left since the campaign was written is no longer offered
            # (the view says so: `ended_members`).
            "members": list(campaign.members.filter(ended_at__isnull=True)),
            "send_on": local.date(),
            "send_time": local.time().replace(second=0, microsecond=0),
        }


def ended_members(campaign: AlertCampaign) -> list[str]:
    """The chosen members of `campaign` who left the structure since: dropped from it."""
    return [
        str(membership.participant)
        for membership in campaign.members.filter(ended_at__isnull=False)
        .select_related("participant")
        .order_by("participant__sort_key")
    ]


class ReuseForm(ScheduleFields):
    pass
