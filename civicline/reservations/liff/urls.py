from django.urls import path

from . import views

app_name = "reservations_liff"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine", views.mine, name="mine"),
    path("s/<int:pk>/", views.service, name="service"),
    path("s/<int:pk>/<int:year>-<int:month>-<int:day>/", views.day, name="day"),
    path("s/<int:pk>/form", views.booking_form, name="form"),
    path("s/<int:pk>/confirm", views.booking_confirm, name="confirm"),
    path("b/<str:receipt>/", views.done, name="done"),
    path("b/<str:receipt>/cancel", views.cancel, name="cancel"),
]
