"""The chatbot's manifest: what it adds to the console, the rich menu and the LINE talk."""

from django.utils.translation import gettext_lazy as _

from civicline.core.features import Feature, MenuAction, NavItem, OnPostback, OnText

from . import demo, handlers, signals

FEATURE = Feature(
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
    line_handlers=(
        OnText(r"\S", handlers.on_question, priority=handlers.PRIORITY),
        OnText(handlers.BROWSE_TEXT, handlers.on_scenario, priority=handlers.CHIP_PRIORITY),
        OnText(handlers.CONTACT_TEXT, handlers.on_contact, priority=handlers.CHIP_PRIORITY),
        OnPostback(handlers.FEATURE, handlers.on_answer, action="answer"),
        OnPostback(handlers.FEATURE, handlers.on_feedback, action="feedback"),
        OnPostback(handlers.FEATURE, handlers.on_scenario, action="scenario"),
        OnPostback(handlers.FEATURE, handlers.on_contact, action="contact"),
    ),
    signals=(signals.connect,),
)
