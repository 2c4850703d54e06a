from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicCommentConfig(AppConfig):
    name = "civicline.publiccomment"
    label = "publiccomment"
    verbose_name = _("パブリックコメント")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register

        from . import demo, handlers, selectors, tasks  # noqa: F401 - tasks registers the email job
        from .liff.views import resident_summary

        handlers.register()
        register(
            Feature(
                key="publiccomment",
                label=_("意見募集（パブリックコメント）"),
                console_urls="civicline.publiccomment.console.urls",
                liff_urls="civicline.publiccomment.liff.urls",
                nav=(NavItem(_("意見募集"), "publiccomment:consultation-list"),),
                demo_seed=demo.seed,
                liff_summary=resident_summary,
                resident_history=selectors.resident_history,
                menu_actions=(
                    MenuAction(
                        "list",
                        _("意見募集（パブリックコメント）"),
                        liff_path="/liff/publiccomment/",
                        icon="megaphone",
                    ),
                ),
            )
        )
