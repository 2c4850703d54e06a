from django.urls import path

from . import views

app_name = "delivery"
urlpatterns = [
    path("", views.delivery_list, name="delivery-list"),
    path("new/", views.delivery_create, name="delivery-create"),
    path("<int:pk>/", views.delivery_detail, name="delivery-detail"),
    path("<int:pk>/edit/", views.delivery_update, name="delivery-update"),
    path("<int:pk>/test/", views.delivery_test, name="delivery-test"),
    path("<int:pk>/schedule/", views.delivery_schedule, name="delivery-schedule"),
    path("<int:pk>/unschedule/", views.delivery_unschedule, name="delivery-unschedule"),
    path("<int:pk>/delete/", views.delivery_delete, name="delivery-delete"),
    path("<int:pk>/insight/", views.delivery_insight, name="delivery-insight"),
    path("segments/", views.segment_list, name="segment-list"),
    path("segments/new/", views.segment_create, name="segment-create"),
    path("segments/<int:pk>/", views.segment_update, name="segment-update"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment-delete"),
    path("grants/", views.grant_list, name="grant-list"),
    path("grants/<int:department_pk>/", views.grant_update, name="grant-update"),
    path("topics/", views.topic_list, name="topic-list"),
    path("topics/new/", views.topic_create, name="topic-create"),
    path("topics/<int:pk>/", views.topic_update, name="topic-update"),
    path("topics/areas/new/", views.area_create, name="topic-area-create"),
    path("topics/areas/<int:pk>/", views.area_update, name="topic-area-update"),
]
