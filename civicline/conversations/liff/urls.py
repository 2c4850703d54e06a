from django.urls import path

from . import views

app_name = "conversations_liff"
urlpatterns = [
    path("", views.index, name="index"),
    path("t/<int:pk>/", views.start, name="start"),
    path("c/<str:receipt>/", views.chat, name="chat"),
    path("c/<str:receipt>/updates", views.updates, name="updates"),
    path("c/<str:receipt>/end", views.end, name="end"),
    path("c/<str:receipt>/images/<int:pk>", views.image, name="image"),
]
