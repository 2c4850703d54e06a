from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "civicline.line"
    label = "line"
    verbose_name = _("LINE連携")

    def ready(self) -> None:
        from civicline.core.features import Feature, NavItem, register

        from . import handlers, tasks  # noqa: F401 - tasks registers the worker's jobs

        handlers.register_defaults()
        # The staff preview is the line app's console section; resident pages (/liff/) are
        # core routes mounted by civicline.urls, not a feature's.
        register(
            Feature(
                key="preview",
                label=_("プレビュー"),
                console_urls="civicline.line.console.urls",
                nav=(NavItem(_("プレビュー（テスト端末）"), "preview:send"),),
            )
        )
