from django.urls import path

from . import views

app_name = "preview"
urlpatterns = [
    path("", views.preview_send, name="send"),
    path("devices/", views.recipient_list, name="recipient-list"),
    path("devices/new/", views.recipient_create, name="recipient-create"),
    path("devices/pairing/<int:pk>/", views.pairing_detail, name="pairing-detail"),
    path("devices/<int:pk>/delete/", views.recipient_delete, name="recipient-delete"),
]
