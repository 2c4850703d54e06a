from django.utils.translation import gettext_lazy as _

from civicline.core import features


class DeliveryConfig(features.FeatureConfig):
    name = "civicline.delivery"
    label = "delivery"
    verbose_name = _("セグメント配信")
