from django.urls import path

from . import views

app_name = "surveys_liff"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.start, name="start"),
    path("<int:pk>/p/<int:number>", views.page, name="page"),
    path("<int:pk>/confirm", views.confirm, name="confirm"),
    path("<int:pk>/done", views.done, name="done"),
]
