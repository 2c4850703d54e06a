from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "civicline.reservations"
    label = "reservations"
    verbose_name = _("予約")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register

        from . import demo, handlers, selectors, tasks  # noqa: F401 - tasks registers the periodic reminder
        from .liff.views import resident_summary

        handlers.register()
        register(
            Feature(
                key="reservations",
                label=_("予約"),
                console_urls="civicline.reservations.console.urls",
                liff_urls="civicline.reservations.liff.urls",
                nav=(
                    NavItem(_("予約窓口の設定"), "reservations:counter-list"),
                    NavItem(_("予約一覧"), "reservations:booking-list"),
                ),
                demo_seed=demo.seed,
                liff_summary=resident_summary,
                menu_actions=(
                    MenuAction("book", _("窓口予約"), liff_path="/liff/reservations/", icon="calendar"),
                    MenuAction(
                        "mine",
                        _("予約の確認・キャンセル"),
                        liff_path="/liff/reservations/mine",
                        icon="checklist",
                    ),
                ),
                resident_history=selectors.resident_history,
            )
        )
