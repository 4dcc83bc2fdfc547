"""The exports of the formations lists, one per page (`formations.exporting` writes them).

Each is the page's own table (`TableExporter`: same columns, headers and exclusions); the
`get_values()` functions read each record directly or call the table's `value_<column>`
methods, so the values are those of the table, without django-tables2's per-cell cost
(`tests/formations/test_exports.py` compares them with the table's)."""

from operator import attrgetter

from django.utils.translation import gettext_lazy as _

from formations import tables
from formations.consent import given_purposes
from formations.exporting import TableExporter, choice_labels, register
from formations.models import Channel, Formation, Funder, Purpose, Structure, User


@register
class ProgrammeExporter(TableExporter):
    identifier = "programmes"
    verbose_name = _("Programmes")
    table_class = tables.ProgrammeTable

    def get_values(self):
        table = self.table
        return {
            "reference": attrgetter("reference"),
            "title": attrgetter("title"),
            "carrier": attrgetter("carrier"),
            "period": table.value_period,
            "funders": table.value_funders,
        }


@register
class FormationExporter(TableExporter):
    identifier = "formations"
    verbose_name = _("Formations")
    table_class = tables.FormationTable

    def get_values(self):
        pricing_mode = choice_labels(Formation.PricingMode.choices)
        return {
            "contract_reference": attrgetter("contract_reference"),
            "title": attrgetter("title"),
            "programme": attrgetter("programme.reference"),
            "pricing_mode": lambda formation: pricing_mode(formation.pricing_mode),
            "amount": attrgetter("amount"),
        }


@register
class StructureExporter(TableExporter):
    identifier = "structures"
    verbose_name = _("Structures")
    table_class = tables.StructureTable

    def get_values(self):
        table = self.table
        kind = choice_labels(Structure.Kind.choices)
        return {
            "name": attrgetter("name"),
            "kind": lambda structure: table.render_kind(kind(structure.kind), structure),
            "commune": attrgetter("commune"),
            "territory": attrgetter("territory"),
            "participant_count": attrgetter("participant_count"),
        }


@register
class ParticipantExporter(TableExporter):
    identifier = "participants"
    verbose_name = _("Participant·es")
    table_class = tables.ParticipantTable

    def get_values(self):
        kind = choice_labels(Structure.Kind.choices)
        # Translated once, not per row.
        no = str(_("non"))
        purposes = {p: str(label) for p, label in Purpose.choices}

        def consents(channel):
            def value(participant):
                given = given_purposes(participant, channel)
                return ", ".join(purposes[p] for p in given) if given else no

            return value

        return {
            "last_name": attrgetter("last_name"),
            "first_name": attrgetter("first_name"),
            "email": attrgetter("email"),
            "phone": attrgetter("phone"),
            "job_title": attrgetter("job_title"),
            "structure": attrgetter("structure.name"),
            "structure_kind": lambda participant: kind(participant.structure.kind),
            "commune": attrgetter("structure.commune"),
            "post_taken_on": attrgetter("post_taken_on"),
            "consent_email": consents(Channel.EMAIL),
            "consent_sms": consents(Channel.SMS),
        }


@register
class FunderExporter(TableExporter):
    identifier = "financeurs"
    verbose_name = _("Financeurs")
    table_class = tables.FunderTable

    def get_values(self):
        kind = choice_labels(Funder.Kind.choices)
        return {
            "name": attrgetter("name"),
            "kind": lambda funder: kind(funder.kind),
            "publicity_sentence": attrgetter("publicity_sentence"),
            "programme_count": attrgetter("programme_count"),
        }


@register
class AccountExporter(TableExporter):
    identifier = "comptes"
    verbose_name = _("Comptes")
    table_class = tables.AccountTable

    def get_values(self):
        table = self.table
        role = choice_labels(User.Role.choices)
        return {
            "name": table.value_name,
            "username": attrgetter("username"),
            "email": attrgetter("email"),
            "role": lambda user: role(user.role),
            "scope": table.value_scope,
            "is_active": lambda user: table.value_is_active(user.is_active),
            "last_login": lambda user: table.value_last_login(user.last_login),
        }
