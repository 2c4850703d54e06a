from django.utils.translation import gettext_lazy as _

from civicline.core import features


class OpsConfig(features.FeatureConfig):
    name = "civicline.ops"
    label = "ops"
    verbose_name = _("運用")
