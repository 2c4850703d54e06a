from django.urls import path

from . import views

app_name = "ops"
urlpatterns = [
    path("", views.status, name="status"),
    path("handover/", views.handover, name="handover"),
    path("handover/download/", views.handover_download, name="handover-download"),
]
