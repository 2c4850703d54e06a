from django.utils.translation import gettext_lazy as _

from civicline.core import features


class AlertsConfig(features.FeatureConfig):
    name = "civicline.alerts"
    label = "alerts"
    verbose_name = _("防災情報（気象庁）")
