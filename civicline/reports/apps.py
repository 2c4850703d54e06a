from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "civicline.reports"
    label = "reports"
    verbose_name = _("通報")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register

        from . import demo, handlers, selectors, tasks  # noqa: F401 - tasks registers the periodic clean-up
        from .liff.views import resident_summary

        handlers.register()
        register(
            Feature(
                key="reports",
                label=_("通報"),
                console_urls="civicline.reports.console.urls",
                liff_urls="civicline.reports.liff.urls",
                nav=(
                    NavItem(_("通報の受付"), "reports:report-list"),
                    NavItem(_("通報の振り分け待ち"), "reports:triage", system_admin_only=True),
                    NavItem(_("通報の設定"), "reports:category-list", system_admin_only=True),
                ),
                demo_seed=demo.seed,
                liff_summary=resident_summary,
                menu_actions=(
                    MenuAction(
                        "report", _("通報する（道路・公園など）"), liff_path="/liff/reports/", icon="camera"
                    ),
                    MenuAction(
                        "how", _("通報のしかた"), postback="feature=reports&action=start", icon="warning"
                    ),
                    MenuAction("mine", _("通報の状況"), liff_path="/liff/reports/mine", icon="checklist"),
                ),
                resident_history=selectors.resident_history,
            )
        )
