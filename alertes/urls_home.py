from django.urls import path

from alertes import views_home

urlpatterns = [
    path("alertes/", views_home.alertes_home, name="home"),
    path("alertes/<int:structure>/", views_home.structure_home, name="structure_home"),
]
