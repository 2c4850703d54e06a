from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "civicline.chatbot"
    label = "chatbot"
    verbose_name = _("チャットボット")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register

        from . import demo, handlers, signals

        signals.connect()
        handlers.register()
        register(
            Feature(
                key="chatbot",
                label=_("チャットボット"),
                console_urls="civicline.chatbot.console.urls",
                nav=(
                    NavItem(_("チャットボット Q&A"), "chatbot:faq-list"),
                    NavItem(_("ウェブから Q&A 取り込み"), "chatbot:web-source-list"),
                    NavItem(_("ごみ分別辞書"), "chatbot:garbage-list"),
                    NavItem(_("シナリオ"), "chatbot:scenario-list"),
                    NavItem(_("質問の分析"), "chatbot:insights"),
                ),
                demo_seed=demo.seed,
                menu_actions=(
                    MenuAction(
                        "guide",
                        _("分野から探す（よくある質問）"),
                        postback="feature=chatbot&action=scenario",
                        icon="question",
                    ),
                    MenuAction(
                        "contact",
                        _("問い合わせ先"),
                        postback="feature=chatbot&action=contact",
                        icon="phone",
                    ),
                ),
            )
        )
