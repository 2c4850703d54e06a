from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "civicline.surveys"
    label = "surveys"
    verbose_name = _("アンケート")

    def ready(self) -> None:
        from civicline.core.features import Feature, MenuAction, NavItem, register
        from civicline.delivery import conditions

        from . import demo, handlers
        from .conditions import AnsweredSurvey

        conditions.register(AnsweredSurvey())
        handlers.register()
        register(
            Feature(
                key="surveys",
                label=_("アンケート"),
                console_urls="civicline.surveys.console.urls",
                liff_urls="civicline.surveys.liff.urls",
                nav=(NavItem(_("アンケート"), "surveys:survey-list"),),
                demo_seed=demo.seed,
                menu_actions=(
                    MenuAction("list", _("アンケート"), liff_path="/liff/surveys/", icon="checklist"),
                ),
            )
        )
