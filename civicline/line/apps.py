from django.utils.translation import gettext_lazy as _

from civicline.core import features


class LineConfig(features.FeatureConfig):
    name = "civicline.line"
    label = "line"
    verbose_name = _("LINE連携")
