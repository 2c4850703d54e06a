from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "civicline.ops"
    label = "ops"
    verbose_name = _("運用")

    def ready(self) -> None:
        from civicline.core.features import Feature, NavItem, register

        from . import checks, signals  # noqa: F401  (registers the production checks and receivers)

        register(
            Feature(
                key="ops",
                label=_("運用"),
                console_urls="civicline.ops.console.urls",
                nav=(
                    NavItem(_("運用状況"), "ops:status", system_admin_only=True),
                    NavItem(_("データの引き渡し"), "ops:handover", system_admin_only=True),
                ),
            )
        )
