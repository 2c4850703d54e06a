from django.utils.translation import gettext_lazy as _

from civicline.core import features


class SurveysConfig(features.FeatureConfig):
    name = "civicline.surveys"
    label = "surveys"
    verbose_name = _("アンケート")
