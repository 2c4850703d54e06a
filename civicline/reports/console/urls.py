from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("triage", views.triage, name="triage"),
    path("<int:pk>/", views.report_detail, name="report-detail"),
    path("<int:pk>/photos/<int:photo_pk>", views.photo, name="photo"),
    path("<int:pk>/photos/<int:photo_pk>/thumb", views.photo, {"thumbnail": True}, name="photo-thumb"),
    path("<int:pk>/status", views.report_status, name="report-status"),
    path("<int:pk>/reply", views.report_reply, name="report-reply"),
    path("<int:pk>/reassign", views.report_reassign, name="report-reassign"),
    path("<int:pk>/notes", views.report_note, name="report-note"),
    path("settings/", views.category_list, name="category-list"),
    path("settings/categories/new", views.category_edit, name="category-new"),
    path("settings/categories/<int:pk>/", views.category_edit, name="category-edit"),
    path("settings/rules/new", views.rule_edit, name="rule-new"),
    path("settings/rules/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("settings/areas/new", views.area_edit, name="area-new"),
    path("settings/areas/<int:pk>/", views.area_edit, name="area-edit"),
    path("settings/messages/<str:status>/", views.template_edit, name="template-edit"),
    path("settings/<str:kind>/<int:pk>/delete", views.setting_delete, name="setting-delete"),
]
