"""The Alertes pages, one module per part, all under `/alertes/<structure>/` (a structure
out of the user's reach is a 404): home, members (registration, profile, import, merge),
groups, administrative dates and reminders, campaigns, the structure's team accounts,
statistics, and the notice d'utilisation (with the public unsubscribe link)."""

from alertes import (
    urls_campaigns,
    urls_groups,
    urls_home,
    urls_members,
    urls_notice,
    urls_staff,
    urls_stats,
    urls_steps,
)

app_name = "alertes"

urlpatterns = [
    *urls_home.urlpatterns,
    *urls_members.urlpatterns,
    *urls_groups.urlpatterns,
    *urls_steps.urlpatterns,
    *urls_campaigns.urlpatterns,
    *urls_staff.urlpatterns,
    *urls_stats.urlpatterns,
    *urls_notice.urlpatterns,
]
