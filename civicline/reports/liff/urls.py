from django.urls import path

from . import views

app_name = "reports_liff"
urlpatterns = [
    path("", views.report_form, name="form"),
    path("photos", views.photo_upload, name="photo-upload"),
    path("photos/discard", views.photo_discard, name="photo-discard"),
    path("mine", views.mine, name="mine"),
    path("r/<str:receipt>/", views.receipt, name="receipt"),
]
