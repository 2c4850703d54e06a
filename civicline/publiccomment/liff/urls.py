from django.urls import path

from . import views

app_name = "publiccomment_liff"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/p/<int:number>", views.page, name="page"),
    path("<int:pk>/confirm", views.confirm, name="confirm"),
    path("<int:pk>/resume", views.resume, name="resume"),
    path("<int:pk>/talk", views.talk, name="talk"),
    path("<int:pk>/documents/<int:document_pk>", views.document, name="document"),
    path("r/<str:receipt>/", views.done, name="done"),
]
