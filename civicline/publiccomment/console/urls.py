from django.urls import path

from . import views

app_name = "publiccomment"
urlpatterns = [
    path("", views.consultation_list, name="consultation-list"),
    path("new", views.consultation_create, name="consultation-create"),
    path("<int:pk>/", views.consultation_detail, name="consultation-detail"),
    path("<int:pk>/edit", views.consultation_update, name="consultation-update"),
    path("<int:pk>/questions", views.consultation_questions, name="consultation-questions"),
    path("<int:pk>/documents/<int:document_pk>", views.document_file, name="document-file"),
    path("<int:pk>/documents/<int:document_pk>/delete", views.document_delete, name="document-delete"),
    path("<int:pk>/submissions/", views.submission_list, name="submission-list"),
    path("<int:pk>/submissions/export", views.submission_export, name="submission-export"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/message", views.submission_message, name="submission-message"),
]
