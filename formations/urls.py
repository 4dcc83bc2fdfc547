from django.urls import include, path

app_name = "formations"

urlpatterns = [
    path("", include("formations.urls_import")),
]
