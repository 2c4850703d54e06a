from django.urls import path

from . import views

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("export", views.conversation_export, name="conversation-export"),
    path("<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path("<int:pk>/updates", views.conversation_updates, name="conversation-updates"),
    path("<int:pk>/reply", views.conversation_reply, name="conversation-reply"),
    path("<int:pk>/note", views.conversation_note, name="conversation-note"),
    path("<int:pk>/status", views.conversation_status, name="conversation-status"),
    path("<int:pk>/assign", views.conversation_assign, name="conversation-assign"),
    path("<int:pk>/images/<int:message_pk>", views.message_image, name="message-image"),
    path("topics/", views.topic_list, name="topic-list"),
    path("topics/new", views.topic_create, name="topic-create"),
    path("topics/<int:pk>/edit", views.topic_update, name="topic-update"),
    path("canned/", views.canned_list, name="canned-list"),
    path("canned/new", views.canned_create, name="canned-create"),
    path("canned/<int:pk>/edit", views.canned_update, name="canned-update"),
    path("canned/<int:pk>/delete", views.canned_delete, name="canned-delete"),
]
