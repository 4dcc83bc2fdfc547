"""The export of the session list (`formations.exporting` writes it), values as the
table's (`tests/formations/test_exports.py` compares them)."""

from operator import attrgetter

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from formations.exporting import TableExporter, choice_labels, register
from sessions.models import TrainingSession
from sessions.tables import SessionTable, minutes_to_hours


@register
class SessionExporter(TableExporter):
    identifier = "sessions"
    verbose_name = _("Sessions")
    table_class = SessionTable

    def get_filename(self) -> str:
        return f"sessions-{timezone.localdate():%Y%m%d}"

    def get_values(self):
        table = self.table
        modality = choice_labels(TrainingSession.Modality.choices)
        status = choice_labels(TrainingSession.Status.choices)
        return {
            "code": attrgetter("code"),
            "formation": attrgetter("formation.contract_reference"),
            "dates": table.value_dates,
            "place": attrgetter("place"),
            "modality": lambda session: modality(session.modality),
            "enrolled_count": attrgetter("enrolled_count"),
            "realised_hours": lambda session: minutes_to_hours(session.realised_trainee_minutes),
            "planned_hours": lambda session: minutes_to_hours(session.planned_trainee_minutes),
            "status": lambda session: status(session.status),
        }
