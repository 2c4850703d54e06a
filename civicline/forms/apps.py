from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    """The shared form engine; features (surveys, public comments…) own its forms and pages."""

    name = "civicline.forms"
    label = "forms"
    verbose_name = _("入力フォーム")
