from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "civicline.line"
    label = "line"
    verbose_name = _("LINE連携")

    def ready(self) -> None:
        from civicline.core.features import Feature, NavItem, register

        from . import handlers, preview, registry, tasks  # noqa: F401 - tasks registers the worker's jobs

        handlers.register_defaults()
        # Before every feature's message handler (lowest priority runs first): a pairing code must
        # not land in an open conversation with staff, a public comment or the chatbot.
        registry.on_event("message", preview.pairing_on_message, priority=preview.PAIRING_PRIORITY)
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
