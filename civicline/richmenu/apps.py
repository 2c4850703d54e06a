from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RichMenuConfig(AppConfig):
    name = "civicline.richmenu"
    label = "richmenu"
    verbose_name = _("リッチメニュー")

    def ready(self) -> None:
        from civicline.core.features import EmergencyAction, Feature, NavItem, register

        from . import demo, emergency, handlers, selectors, tasks  # noqa: F401 - tasks registers the worker's jobs

        handlers.register()
        register(
            Feature(
                key="richmenu",
                label=_("リッチメニュー"),
                console_urls="civicline.richmenu.console.urls",
                nav=(
                    NavItem(_("リッチメニュー"), "richmenu:menu-list"),
                    NavItem(_("緊急メニューの切替"), "richmenu:emergency"),
                    NavItem(_("メニュー担当の課"), "richmenu:grant-list", system_admin_only=True),
                ),
                demo_seed=demo.seed,
                emergency_active=selectors.emergency_menu_on,
                emergency_actions=(
                    EmergencyAction(
                        "emergency_menu",
                        _("緊急メニューに切替"),
                        run=emergency.switch_on,
                        undo=emergency.switch_off,
                        order=10,
                    ),
                ),
            )
        )
