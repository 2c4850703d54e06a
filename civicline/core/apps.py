from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "civicline.core"
    label = "core"
    verbose_name = _("基盤")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the audit receivers)
