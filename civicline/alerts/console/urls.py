from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("actions/<int:pk>/execute/", views.action_execute, name="action-execute"),
    path("actions/<int:pk>/dismiss/", views.action_dismiss, name="action-dismiss"),
    path("actions/<int:pk>/undo/", views.action_undo, name="action-undo"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/areas/<int:pk>/delete/", views.area_code_delete, name="area-delete"),
    path("settings/policies/new/", views.policy_edit, name="policy-create"),
    path("settings/policies/<int:pk>/", views.policy_edit, name="policy-update"),
    path("settings/policies/<int:pk>/delete/", views.policy_delete, name="policy-delete"),
]
