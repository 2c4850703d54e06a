from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "civicline.alerts"
    label = "alerts"
    verbose_name = _("防災情報（気象庁）")

    def ready(self) -> None:
        from civicline.core.features import Feature, NavItem, register

        from . import tasks  # noqa: F401 - registers the worker's feed poll
        from .console.views import banner

        register(
            Feature(
                key="alerts",
                label=_("防災情報"),
                console_urls="civicline.alerts.console.urls",
                nav=(
                    NavItem(_("防災情報（気象庁）"), "alerts:event-list"),
                    NavItem(_("防災情報の対応方針"), "alerts:settings", system_admin_only=True),
                ),
                console_banner=banner,
            )
        )
