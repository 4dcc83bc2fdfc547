"""The statistics' charts: `evaluations.charts.build_chart` geometry (server-drawn SVG bars,
each value written beside its bar and in the chart's description, never by colour alone),
drawn by `templates/evaluations/results/chart.html`. The tables beside them are the text
alternative."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alertes.selectors_stats import StructureStats
from evaluations.charts import BLUE, GREEN, LIGHT_BLUE, Chart, build_chart

RED = "#a4262c"  # 7.1:1 on white


def _people(count: int) -> str:
    return ngettext("%(count)s personne", "%(count)s personnes", count) % {"count": count}


def _sent(count: int) -> str:
    return ngettext("%(count)s envoyé", "%(count)s envoyés", count) % {"count": count}


def _failed(count: int) -> str:
    # Failed and abandoned together (the table tells them apart); short enough to be read
    # beside its bar on a phone.
    return _("%(count)s en échec") % {"count": count}


def _count_chart(chart_id: str, title: str, rows) -> Chart:
    maximum = max((row.count for row in rows), default=0)
    return build_chart(
        chart_id=chart_id,
        title=title,
        rows=[(row.label, [(row.count, _people(row.count), BLUE)]) for row in rows],
        maximum=maximum or 1,
    )


def stats_charts(stats: StructureStats) -> dict[str, Chart]:
    charts = {
        "by_group": _count_chart("stats-groups", _("Adhérent·es par groupe"), stats.by_group),
        "by_kind": _count_chart("stats-kinds", _("Adhérent·es par type"), stats.by_kind),
        "by_age": _count_chart("stats-ages", _("Adhérent·es par tranche d'âge"), stats.by_age),
    }
    consent_rows = []
    for row in stats.consents:
        consent_rows.append(
            (
                consent_label(row.channel, row.purpose),
                [
                    (
                        row.given,
                        ngettext("%(count)s accord donné", "%(count)s accords donnés", row.given)
                        % {"count": row.given},
                        GREEN,
                    ),
                    (
                        row.withdrawn,
                        ngettext("%(count)s retiré", "%(count)s retirés", row.withdrawn)
                        % {"count": row.withdrawn},
                        RED,
                    ),
                    (
                        row.never,
                        ngettext("%(count)s jamais demandé", "%(count)s jamais demandés", row.never)
                        % {"count": row.never},
                        LIGHT_BLUE,
                    ),
                ],
            )
        )
    charts["consents"] = build_chart(
        chart_id="stats-consents",
        title=_("Accords par canal"),
        rows=consent_rows,
        maximum=stats.members or 1,
    )
    maximum = max((row.written for row in stats.messages_by_month), default=0)
    charts["messages"] = build_chart(
        chart_id="stats-messages",
        title=_("Messages par mois : envoyés, en échec ou abandonnés"),
        rows=[
            (
                row.label,
                [
                    (row.sent, _sent(row.sent), BLUE),
                    (
                        row.failed + row.abandoned,
                        _failed(row.failed + row.abandoned),
                        RED,
                    ),
                ],
            )
            for row in stats.messages_by_month
        ],
        maximum=maximum or 1,
    )
    maximum = max((row.due for row in stats.reminders_by_month), default=0)
    charts["reminders"] = build_chart(
        chart_id="stats-reminders",
        title=_("Rappels de démarches par mois"),
        rows=[
            (
                row.label,
                [
                    (
                        row.due,
                        ngettext("%(count)s dû", "%(count)s dus", row.due) % {"count": row.due},
                        LIGHT_BLUE,
                    ),
                    (
                        row.sent,
                        ngettext("%(count)s envoyé", "%(count)s envoyés", row.sent)
                        % {"count": row.sent},
                        BLUE,
                    ),
                ],
            )
            for row in stats.reminders_by_month
        ],
        maximum=maximum or 1,
    )
    return charts


def consent_label(channel: str, purpose: str) -> str:
    names = {
        ("sms", "structure_news"): _("SMS — actualité de la structure"),
        ("email", "structure_news"): _("E-mail — actualité de la structure"),
        ("sms", "admin_reminders"): _("SMS — rappels demandés"),
        ("email", "admin_reminders"): _("E-mail — rappels demandés"),
    }
    return names.get((channel, purpose), f"{channel} — {purpose}")
