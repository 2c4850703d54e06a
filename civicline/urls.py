"""Root URLs: /line/ (LINE platform), /console/ (staff), /liff/ (residents), health checks.

Features' console and LIFF URLs are mounted from the feature registry.
"""

from django.urls import include, path

from civicline.core import health
from civicline.core.features import all_features

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", include("civicline.ops.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("line/", include("civicline.line.urls")),
    path("console/", include("civicline.core.console.urls")),
    path("liff/", include("civicline.line.liff.urls")),
]
for _feature in all_features():
    if _feature.console_urls:
        urlpatterns.append(path(f"console/{_feature.key}/", include(_feature.console_urls)))
    if _feature.liff_urls:
        urlpatterns.append(path(f"liff/{_feature.key}/", include(_feature.liff_urls)))

# Japanese error pages in the console's or the LIFF page's frame (core/errors.py).
handler404 = "civicline.core.errors.page_not_found"
handler500 = "civicline.core.errors.server_error"
