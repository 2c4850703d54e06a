from django.utils.translation import gettext_lazy as _

from civicline.core import features


class PublicCommentConfig(features.FeatureConfig):
    name = "civicline.publiccomment"
    label = "publiccomment"
    verbose_name = _("パブリックコメント")
