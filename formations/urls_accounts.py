from django.urls import path

from formations import views_accounts as views

urlpatterns = [
    path("comptes/", views.AccountListView.as_view(), name="account_list"),
    path("comptes/nouveau/", views.AccountFormView.as_view(), name="account_create"),
    path("comptes/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("comptes/<int:pk>/modifier/", views.AccountFormView.as_view(), name="account_edit"),
    path(
        "comptes/<int:pk>/desactiver/",
        views.AccountDeactivateView.as_view(),
        name="account_deactivate",
    ),
    path(
        "comptes/<int:pk>/reactiver/",
        views.AccountReactivateView.as_view(),
        name="account_reactivate",
    ),
    path(
        "comptes/<int:pk>/renvoyer-le-lien/",
        views.AccountSendLinkView.as_view(),
        name="account_send_link",
    ),
    # Public: the link of the e-mail, and « mot de passe oublié ».
    path(
        "mot-de-passe/<str:uidb64>/<str:token>/",
        views.PasswordSetView.as_view(),
        name="password_set",
    ),
    path(
        "mot-de-passe-oublie/",
        views.PasswordForgottenView.as_view(),
        name="password_forgotten",
    ),
    path(
        "mot-de-passe-oublie/envoye/",
        views.PasswordForgottenDoneView.as_view(),
        name="password_forgotten_done",
    ),
]
