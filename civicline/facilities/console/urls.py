from django.urls import path

from . import views

app_name = "facilities"
urlpatterns = [
    path("", views.facility_list, name="facility-list"),
    path("export.csv", views.facility_export, name="facility-export"),
    path("new/", views.facility_create, name="facility-create"),
    path("<int:pk>/", views.facility_update, name="facility-update"),
    path("<int:pk>/delete/", views.facility_delete, name="facility-delete"),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/new/", views.dataset_create, name="dataset-create"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:pk>/edit/", views.dataset_update, name="dataset-update"),
    path("datasets/<int:pk>/delete/", views.dataset_delete, name="dataset-delete"),
    path("datasets/<int:pk>/export.csv", views.dataset_export, name="dataset-export"),
    path("imports/<int:pk>/", views.import_preview, name="import-preview"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import-apply"),
    path("categories/", views.category_list, name="category-list"),
    path("categories/new/", views.category_create, name="category-create"),
    path("categories/<int:pk>/", views.category_update, name="category-update"),
    path("shelters/", views.shelter_board, name="shelter-board"),
    path("shelters/<int:pk>/status/", views.shelter_status, name="shelter-status"),
    path("shelters/disaster-kind/", views.disaster_kind, name="disaster-kind"),
    path("shelters/occupancy/", views.shelter_occupancy, name="shelter-occupancy"),
    path("shelters/occupancy.csv", views.shelter_occupancy_export, name="shelter-occupancy-export"),
    path("shelters/<int:pk>/desk/", views.shelter_desk, name="shelter-desk"),
    path("shelters/<int:pk>/poster/", views.shelter_poster, name="shelter-poster"),
    path("checkins/<int:pk>/checkout/", views.checkin_checkout, name="checkin-checkout"),
]
