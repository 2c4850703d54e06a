from django.utils.translation import gettext_lazy as _

from civicline.core import features


class RichMenuConfig(features.FeatureConfig):
    name = "civicline.richmenu"
    label = "richmenu"
    verbose_name = _("リッチメニュー")
