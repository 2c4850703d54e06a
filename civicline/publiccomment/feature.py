"""The public comments' manifest: consultations on the form engine, answered by LIFF or in the talk."""

from django.utils.translation import gettext_lazy as _

from civicline.core.features import Feature, MenuAction, NavItem, OnEvent, OnPostback, OnText

from . import demo, handlers, selectors
from .liff.views import resident_summary
from .line_messages import FEATURE as KEY

FEATURE = Feature(
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
    line_handlers=(
        OnText(handlers.KEYWORDS, handlers.on_keyword, priority=handlers.KEYWORD_PRIORITY),
        OnEvent("message", handlers.on_message, priority=handlers.TALK_PRIORITY),
        OnPostback(KEY, handlers.on_start, action="talk"),
        OnPostback(KEY, handlers.on_answer, action="talk_answer"),
        OnPostback(KEY, handlers.on_skip, action="talk_skip"),
        OnPostback(KEY, handlers.on_done, action="talk_done"),
        OnPostback(KEY, handlers.on_stop, action="talk_stop"),
    ),
)
