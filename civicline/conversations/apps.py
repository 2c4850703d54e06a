from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "civicline.conversations"
    label = "conversations"
    verbose_name = _("職員との相談")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register

        from . import demo, handlers, selectors, tasks  # noqa: F401 - tasks registers the image retry
        from .liff.views import resident_summary

        handlers.register()
        register(
            Feature(
                key="conversations",
                label=_("職員との相談"),
                console_urls="civicline.conversations.console.urls",
                liff_urls="civicline.conversations.liff.urls",
                nav=(
                    NavItem(_("相談の受信箱"), "conversations:inbox"),
                    NavItem(_("相談の種類と受付時間"), "conversations:topic-list"),
                    NavItem(_("定型文"), "conversations:canned-list"),
                ),
                menu_actions=(
                    # In the talk: the topics as buttons, then the talk or the LIFF page as the topic needs.
                    MenuAction(
                        "ask", _("職員と話す"), postback="feature=conversations&action=start", icon="chat"
                    ),
                    MenuAction(
                        "list", _("相談の一覧（専用画面）"), liff_path="/liff/conversations/", icon="chat"
                    ),
                ),
                demo_seed=demo.seed,
                liff_summary=resident_summary,
                resident_history=selectors.resident_history,
            )
        )
