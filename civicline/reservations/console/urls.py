from django.urls import path

from . import views

app_name = "reservations"
urlpatterns = [
    path("", views.counter_list, name="counter-list"),
    path("counters/new", views.counter_create, name="counter-create"),
    path("counters/<int:pk>/edit", views.counter_update, name="counter-update"),
    path("counters/<int:counter_pk>/services/new", views.service_create, name="service-create"),
    path("services/<int:pk>/", views.service_detail, name="service-detail"),
    path("services/<int:pk>/edit", views.service_update, name="service-update"),
    path("services/<int:pk>/questions", views.service_questions, name="service-questions"),
    path(
        "services/<int:pk>/special-days/<int:special_pk>/delete",
        views.special_day_delete,
        name="special-day-delete",
    ),
    path("services/<int:pk>/calendar", views.calendar, name="calendar"),
    path("services/<int:pk>/phone", views.booking_phone, name="booking-phone"),
    path("bookings/", views.booking_list, name="booking-list"),
    path("bookings/export", views.booking_export, name="booking-export"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking-detail"),
    path("bookings/<int:pk>/attendance", views.booking_mark, name="booking-mark"),
    path("bookings/<int:pk>/cancel", views.booking_cancel, name="booking-cancel"),
    path("bookings/<int:pk>/photos/<int:photo_pk>", views.booking_photo, name="booking-photo"),
]
