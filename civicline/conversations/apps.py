from django.utils.translation import gettext_lazy as _

from civicline.core import features


class ConversationsConfig(features.FeatureConfig):
    name = "civicline.conversations"
    label = "conversations"
    verbose_name = _("職員との相談")
