from django.urls import path

from alertes import views_stats

urlpatterns = [
    path("<int:structure>/statistiques/", views_stats.stats_page, name="stats"),
]
