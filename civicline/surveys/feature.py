"""The surveys' manifest: surveys on the form engine, 「アンケート」 in the talk, a segment condition."""

from django.utils.translation import gettext_lazy as _

from civicline.core.features import Feature, MenuAction, NavItem, OnText

from . import demo, handlers
from .conditions import AnsweredSurvey

FEATURE = Feature(
    key="surveys",
    label=_("アンケート"),
    console_urls="civicline.surveys.console.urls",
    liff_urls="civicline.surveys.liff.urls",
    nav=(NavItem(_("アンケート"), "surveys:survey-list"),),
    demo_seed=demo.seed,
    menu_actions=(MenuAction("list", _("アンケート"), liff_path="/liff/surveys/", icon="checklist"),),
    line_handlers=(OnText(handlers.KEYWORDS, handlers.on_keyword, priority=handlers.PRIORITY),),
    segment_conditions=(AnsweredSurvey(),),
)
