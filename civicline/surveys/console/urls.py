from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="survey-list"),
    path("new", views.survey_create, name="survey-create"),
    path("<int:pk>/", views.survey_detail, name="survey-detail"),
    path("<int:pk>/edit", views.survey_update, name="survey-update"),
    path("<int:pk>/questions", views.survey_questions, name="survey-questions"),
    path("<int:pk>/preview", views.survey_preview, name="survey-preview"),
    path("<int:pk>/invite", views.survey_invite, name="survey-invite"),
    path("<int:pk>/results", views.survey_results, name="survey-results"),
    path("<int:pk>/export", views.survey_export, name="survey-export"),
    path("<int:pk>/export/summary", views.survey_export_summary, name="survey-export-summary"),
]
