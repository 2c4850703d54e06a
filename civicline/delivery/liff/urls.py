from django.urls import path

from . import views

app_name = "delivery_liff"
urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("mail/", views.email_subscribe, name="email-subscribe"),
    path("mail/confirm/<str:token>/", views.email_confirm, name="email-confirm"),
    path("mail/unsubscribe/<str:token>/", views.email_unsubscribe, name="email-unsubscribe"),
    path("l/<str:token>", views.link, name="link"),
    path("images/<str:filename>", views.image, name="image"),
]
