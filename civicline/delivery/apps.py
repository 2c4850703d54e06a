from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "civicline.delivery"
    label = "delivery"
    verbose_name = _("セグメント配信")

    def ready(self) -> None:
        from civicline.core.features import EmergencyAction, Feature, MenuAction, NavItem, register

        from . import demo, emergency, handlers, tasks  # noqa: F401 - tasks registers the worker's jobs
        from .liff.views import resident_summary

        handlers.register()
        register(
            Feature(
                key="delivery",
                label=_("お知らせの受信設定"),
                console_urls="civicline.delivery.console.urls",
                liff_urls="civicline.delivery.liff.urls",
                nav=(
                    NavItem(_("配信"), "delivery:delivery-list"),
                    NavItem(_("セグメント"), "delivery:segment-list"),
                    NavItem(_("受信設定の項目"), "delivery:topic-list", system_admin_only=True),
                    NavItem(_("配信権限"), "delivery:grant-list", system_admin_only=True),
                ),
                demo_seed=demo.seed,
                liff_summary=resident_summary,
                menu_actions=(
                    MenuAction(
                        "settings", _("受信設定"), liff_path="/liff/delivery/settings/", icon="settings"
                    ),
                ),
                emergency_actions=(
                    EmergencyAction(
                        "emergency_delivery",
                        _("緊急配信（LINE・メール）"),
                        run=emergency.send_alert,
                        undo=emergency.withdraw_alert,
                        order=30,
                        prepares=True,
                        per_level=True,
                    ),
                ),
            )
        )
