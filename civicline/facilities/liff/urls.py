from django.urls import path

from . import views

app_name = "facilities_liff"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("facilities.geojson", views.map_data, name="data"),
    path("shelters/", views.shelter_list, name="shelter-list"),
    path("checkin/<str:key>/", views.checkin_page, name="checkin"),
]
