from django.utils.translation import gettext_lazy as _

from civicline.core import features


class ReportsConfig(features.FeatureConfig):
    name = "civicline.reports"
    label = "reports"
    verbose_name = _("通報")
