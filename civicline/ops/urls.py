from django.urls import path

from .views import metrics_view

app_name = "ops-metrics"
urlpatterns = [path("", metrics_view, name="metrics")]
