"""Tables of the formations lists (django-tables2). Formatting lives in `render_<column>`
(HTML page) and `value_<column>` (CSV / XLSX exports); no table runs a query per row:
the views hand over querysets with `select_related`, `prefetch_related` and annotations."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from formations.consent import given_purposes
from formations.models import (
    Channel,
    Formation,
    Funder,
    Participant,
    Programme,
    Purpose,
    Structure,
    User,
)
from formations.phones import format_national


def consent_summary(participant, channel: str) -> str:
    """« suivi des évaluations, actualités et campagnes », or « non »."""
    purposes = given_purposes(participant, channel)
    return ", ".join(str(Purpose(p).label) for p in purposes) if purposes else str(_("non"))


def euros(value) -> str:
    if value is None:
        return ""
    return f"{number_format(value, decimal_pos=2, force_grouping=True)} €"


class EditColumn(tables.TemplateColumn):
    """The « Modifier » link of coordinators: never exported, never sorted."""

    def __init__(self, url_name: str, **kwargs):
        super().__init__(
            template_name="formations/_edit_cell.html",
            extra_context={"url_name": url_name},
            verbose_name=_("Actions"),
            orderable=False,
            exclude_from_export=True,
            empty_values=(),
            **kwargs,
        )


class BaseTable(tables.Table):
    caption = ""
    empty_text = _("Aucun résultat.")

    class Meta:
        attrs = {"class": "table"}
        template_name = "tables/table.html"


class ProgrammeTable(BaseTable):
    caption = _("Programmes")

    reference = tables.Column(linkify=True)
    title = tables.Column()
    carrier = tables.Column()
    period = tables.Column(
        verbose_name=_("Période"), accessor="start_date", order_by=("start_date", "end_date")
    )
    funders = tables.ManyToManyColumn(verbose_name=_("Financeurs"))
    actions = EditColumn("formations:programme_edit")

    class Meta(BaseTable.Meta):
        model = Programme
        fields = ("reference", "title", "carrier", "period", "funders", "actions")

    def render_period(self, record):
        return format_html(
            "{} – {}",
            date_format(record.start_date, "SHORT_DATE_FORMAT"),
            date_format(record.end_date, "SHORT_DATE_FORMAT"),
        )

    def value_period(self, record):
        return f"{record.start_date:%d/%m/%Y} – {record.end_date:%d/%m/%Y}"

    def value_funders(self, record):
        return ", ".join(funder.name for funder in record.funders.all())


class FormationTable(BaseTable):
    caption = _("Formations")

    contract_reference = tables.Column(linkify=True)
    title = tables.Column()
    programme = tables.Column(
        verbose_name=_("Programme"),
        order_by=("programme__reference",),
        accessor="programme__reference",
    )
    pricing_mode = tables.Column()
    amount = tables.Column(attrs={"td": {"class": "number"}, "th": {"class": "number"}})
    actions = EditColumn("formations:formation_edit")

    class Meta(BaseTable.Meta):
        model = Formation
        fields = ("contract_reference", "title", "programme", "pricing_mode", "amount", "actions")

    def render_programme(self, record):
        return format_html(
            '<a href="{}">{}</a>', record.programme.get_absolute_url(), record.programme.reference
        )

    def value_programme(self, record):
        return record.programme.reference

    def render_amount(self, value):
        return euros(value)

    def value_amount(self, value):
        return value


class StructureTable(BaseTable):
    caption = _("Structures")

    name = tables.Column(linkify=True, order_by=("sort_key", "pk"))
    kind = tables.Column()
    commune = tables.Column()
    territory = tables.Column()
    participant_count = tables.Column(
        verbose_name=_("Participant·es"),
        attrs={"td": {"class": "number"}, "th": {"class": "number"}},
    )
    actions = EditColumn("formations:structure_edit")

    class Meta(BaseTable.Meta):
        model = Structure
        fields = ("name", "kind", "commune", "territory", "participant_count", "actions")

    def render_kind(self, value, record):
        # A type unknown at import stays visible until a coordinator reclassifies it.
        if record.kind_label:
            return _("%(kind)s (déclaré « %(label)s »)") % {
                "kind": value,
                "label": record.kind_label,
            }
        return value


# Participants' contact columns, left out for people who may not see them
# (`formations.permissions.can_see_contact_details`): on the page and in its exports. The
# consents go with them: whether a person may be contacted is no part of an audit.
CONTACT_COLUMNS = ("email", "phone", "consent_email", "consent_sms")


class ParticipantTable(BaseTable):
    caption = _("Participant·es")

    last_name = tables.Column(linkify=True, order_by=("sort_key", "pk"))
    first_name = tables.Column()
    email = tables.EmailColumn()
    phone = tables.Column()
    job_title = tables.Column()
    structure = tables.Column(order_by=("structure__sort_key", "structure_id", "sort_key", "pk"))
    structure_kind = tables.Column(
        verbose_name=_("Type de structure"),
        accessor="structure__kind",
        order_by=("structure__kind",),
    )
    commune = tables.Column(
        verbose_name=_("Commune"), accessor="structure__commune", order_by=("structure__commune",)
    )
    post_taken_on = tables.DateColumn(short=True)
    # From `consent.annotate_current_consents` (the views annotate the queryset).
    consent_email = tables.Column(verbose_name=_("Accord e-mail"), empty_values=(), orderable=False)
    consent_sms = tables.Column(verbose_name=_("Accord SMS"), empty_values=(), orderable=False)
    actions = EditColumn("formations:participant_edit")

    class Meta(BaseTable.Meta):
        model = Participant
        fields = (
            "last_name",
            "first_name",
            "email",
            "phone",
            "job_title",
            "structure",
            "structure_kind",
            "commune",
            "post_taken_on",
            "consent_email",
            "consent_sms",
            "actions",
        )

    def render_structure(self, record):
        return format_html(
            '<a href="{}">{}</a>', record.structure.get_absolute_url(), record.structure.name
        )

    def value_structure(self, record):
        return record.structure.name

    def render_phone(self, value):
        return format_national(value)

    def value_phone(self, value):
        return value  # E.164 in exports: one format a spreadsheet or another tool reads

    def render_consent_email(self, record):
        return consent_summary(record, Channel.EMAIL)

    def render_consent_sms(self, record):
        return consent_summary(record, Channel.SMS)

    def value_consent_email(self, record):
        return consent_summary(record, Channel.EMAIL)

    def value_consent_sms(self, record):
        return consent_summary(record, Channel.SMS)

    def value_post_taken_on(self, value):
        return value


class FunderTable(BaseTable):
    caption = _("Financeurs")

    name = tables.Column(linkify=("formations:funder_detail", {"pk": tables.A("pk")}))
    kind = tables.Column()
    publicity_sentence = tables.Column()
    programme_count = tables.Column(
        verbose_name=_("Programmes"), attrs={"td": {"class": "number"}, "th": {"class": "number"}}
    )
    actions = EditColumn("formations:funder_edit")

    class Meta(BaseTable.Meta):
        model = Funder
        fields = ("name", "kind", "publicity_sentence", "programme_count", "actions")


class AccountTable(BaseTable):
    """The accounts page (coordinators). The view prefetches structure and funders."""

    caption = _("Comptes")

    name = tables.Column(
        verbose_name=_("Nom"),
        accessor="last_name",
        order_by=("last_name", "first_name", "username"),
        linkify=("formations:account_detail", {"pk": tables.A("pk")}),
        empty_values=(),
    )
    username = tables.Column(verbose_name=_("Nom d’utilisateur"))
    email = tables.EmailColumn(verbose_name=_("E-mail"))
    role = tables.Column()
    scope = tables.Column(verbose_name=_("Périmètre"), empty_values=(), orderable=False)
    is_active = tables.Column(verbose_name=_("État"))
    last_login = tables.Column(verbose_name=_("Dernière connexion"), default=_("jamais"))
    actions = tables.TemplateColumn(
        template_name="formations/accounts/_actions_cell.html",
        verbose_name=_("Actions"),
        orderable=False,
        exclude_from_export=True,
        empty_values=(),
    )

    class Meta(BaseTable.Meta):
        model = User
        fields = (
            "name",
            "username",
            "email",
            "role",
            "scope",
            "is_active",
            "last_login",
            "actions",
        )

    def render_name(self, record):
        return f"{record.last_name.upper()} {record.first_name}".strip() or record.username

    def value_name(self, record):
        return self.render_name(record)

    def value_scope(self, record):
        if record.role == User.Role.FUNDER_AUDITOR:
            return ", ".join(funder.name for funder in record.funders.all())
        if record.role in User.STRUCTURE_ROLES and record.structure_id:
            return record.structure.name
        return ""

    def render_scope(self, record):
        return self.value_scope(record) or "—"

    def render_is_active(self, value):
        return _("actif") if value else _("désactivé")

    def value_is_active(self, value):
        return str(_("actif") if value else _("désactivé"))

    def render_last_login(self, value):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    def value_last_login(self, value):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""
