from django.urls import path

from evaluations import views_answers, views_campaigns, views_results, views_synthesis
from evaluations.urls_questionnaires import urlpatterns as questionnaire_urls

app_name = "evaluations"

# Filled by the pages of questionnaires, campaigns, answers and results.
urlpatterns: list = []

# Syntheses: hiding a comment from the funder's copy, the raw answers' exports.
urlpatterns += [
    path(
        "evaluations/commentaires/<int:pk>/masquer/",
        views_synthesis.comment_hide_view,
        name="comment_hide",
    ),
    path(
        "evaluations/formations/<int:pk>/reponses.<str:export_format>",
        views_synthesis.answers_export,
        name="answers_export",
    ),
]

# Results of a questionnaire on a session, on a formation (evaluations.views_results).
urlpatterns += [
    path(
        "sessions/<int:pk>/resultats/<int:questionnaire_pk>/",
        views_results.SessionResultsView.as_view(),
        name="session_results",
    ),
    path(
        "formations/<int:pk>/resultats/<int:questionnaire_pk>/",
        views_results.FormationResultsView.as_view(),
        name="formation_results",
    ),
]

# Answering: the participant's personal link (public), and à chaud on the trainer's tablet.
ANSWER = "evaluation/<uuid:key>/<str:token>/"
TABLET = "evaluations/campagnes/<int:pk>/tablette/"
urlpatterns += [
    path(ANSWER, views_answers.AnswerWelcomeView.as_view(), name="answer"),
    path(f"{ANSWER}<int:step>/", views_answers.AnswerStepView.as_view(), name="answer_step"),
    path(f"{ANSWER}relecture/", views_answers.AnswerReviewView.as_view(), name="answer_review"),
    path(f"{ANSWER}merci/", views_answers.AnswerDoneView.as_view(), name="answer_done"),
    path(f"{ANSWER}a-plus-tard/", views_answers.AnswerLaterView.as_view(), name="answer_later"),
    path(TABLET, views_answers.TabletListView.as_view(), name="tablet"),
    path(
        f"{TABLET}<int:participant_pk>/",
        views_answers.TabletWelcomeView.as_view(),
        name="tablet_answer",
    ),
    path(
        f"{TABLET}<int:participant_pk>/<int:step>/",
        views_answers.TabletStepView.as_view(),
        name="tablet_answer_step",
    ),
    path(
        f"{TABLET}<int:participant_pk>/relecture/",
        views_answers.TabletReviewView.as_view(),
        name="tablet_answer_review",
    ),
]

urlpatterns += [
    # Campaigns (views_campaigns).
    path(
        "evaluations/sessions/<int:pk>/campagnes/nouvelle/",
        views_campaigns.campaign_create_session,
        name="campaign_create_session",
    ),
    path(
        "evaluations/sessions/<int:pk>/campagnes/a-chaud-et-a-froid/",
        views_campaigns.session_schedule_defaults,
        name="session_schedule_defaults",
    ),
    path(
        "evaluations/formations/<int:pk>/campagnes/nouvelle/",
        views_campaigns.campaign_create_formation,
        name="campaign_create_formation",
    ),
    path(
        "evaluations/campagnes/<int:pk>/", views_campaigns.campaign_detail, name="campaign_detail"
    ),
    path(
        "evaluations/campagnes/<int:pk>/modifier/",
        views_campaigns.campaign_edit,
        name="campaign_edit",
    ),
    path(
        "evaluations/campagnes/<int:pk>/annuler/",
        views_campaigns.campaign_cancel_view,
        name="campaign_cancel",
    ),
]
urlpatterns += questionnaire_urls
