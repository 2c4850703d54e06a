from django.urls import path

from . import views

app_name = "liff"
urlpatterns = [
    path("", views.me, name="me"),
    path("session", views.session_open, name="session"),
]
