from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from formations import views as formations_views
from formations.forms_login import LoginForm

urlpatterns = [
    path("", formations_views.DashboardView.as_view(), name="dashboard"),
    path("connexion/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # The participant's own space (formations.views_space), signed in by a one-time link.
    path("mon-espace/", include("formations.urls_space")),
    path("", include("formations.urls")),
    path("", include("sessions.urls")),
    path("", include("evaluations.urls")),
    path("", include("projects.urls")),
    path("", include("alertes.urls")),
    path("", include("livrables.urls")),
]
# Under /mon-espace/, the participant's space's own page (its layout, no staff menu).
handler404 = "formations.views_space.page_not_found"
# No route serves MEDIA_ROOT as a whole, not even under DEBUG: it holds paper scans.
# Funders' logos have their own public view (formations:funder_emblem).
