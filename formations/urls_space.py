from django.urls import path

from formations import views_space

app_name = "space"

urlpatterns = [
    path("", views_space.home, name="home"),
    path("connexion/", views_space.SignInView.as_view(), name="sign_in"),
    path("connexion/envoye/", views_space.SignInSentView.as_view(), name="sign_in_sent"),
    path("lien/<str:token>/", views_space.LinkView.as_view(), name="link"),
    path("deconnexion/", views_space.sign_out, name="sign_out"),
    path("coordonnees/", views_space.contact, name="contact"),
    path("accords/", views_space.consents, name="consents"),
]
