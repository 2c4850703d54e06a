"""The conversations' manifest: residents talking with staff, in the talk or on a LIFF page."""

from django.utils.translation import gettext_lazy as _

from civicline.core.features import Feature, MenuAction, NavItem, OnEvent, OnPostback, OnText

from . import demo, handlers, line_messages, selectors
from .liff.views import resident_summary

FEATURE = Feature(
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
        MenuAction("ask", _("職員と話す"), postback="feature=conversations&action=start", icon="chat"),
        MenuAction("list", _("相談の一覧（専用画面）"), liff_path="/liff/conversations/", icon="chat"),
    ),
    demo_seed=demo.seed,
    liff_summary=resident_summary,
    resident_history=selectors.resident_history,
    line_handlers=(
        OnEvent("message", handlers.on_message, priority=handlers.CAPTURE_PRIORITY),
        OnText(handlers.ASK_STAFF, handlers.on_ask_staff, priority=handlers.ASK_PRIORITY),
        OnPostback(line_messages.FEATURE, handlers.on_ask_staff, action="start"),
        OnPostback(line_messages.FEATURE, handlers.on_topic, action="topic"),
        OnPostback(line_messages.FEATURE, handlers.on_end, action="end"),
    ),
)
