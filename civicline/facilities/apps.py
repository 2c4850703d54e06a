from django.utils.translation import gettext_lazy as _

from civicline.core import features


class FacilitiesConfig(features.FeatureConfig):
    name = "civicline.facilities"
    label = "facilities"
    verbose_name = _("施設マップ")
