from django.utils.translation import gettext_lazy as _

from civicline.core import features


class ChatbotConfig(features.FeatureConfig):
    name = "civicline.chatbot"
    label = "chatbot"
    verbose_name = _("チャットボット")
