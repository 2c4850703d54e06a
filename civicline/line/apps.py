from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "civicline.line"
    label = "line"
    verbose_name = _("LINE連携")

    def ready(self) -> None:
        from . import handlers, tasks  # noqa: F401 - tasks registers the worker's jobs

        handlers.register_defaults()
