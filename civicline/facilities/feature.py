"""The facility map's manifest: shelters, the emergency answers in the talk, the disaster kind."""

from django.utils.translation import gettext_lazy as _

from civicline.core.features import EmergencyAction, Feature, MenuAction, NavItem, OnEvent, OnPostback, OnText

from . import demo, emergency, handlers, selectors

FEATURE = Feature(
    key="facilities",
    label=_("施設マップ"),
    console_urls="civicline.facilities.console.urls",
    liff_urls="civicline.facilities.liff.urls",
    nav=(
        NavItem(_("施設"), "facilities:facility-list"),
        NavItem(_("避難所の開設状況"), "facilities:shelter-board"),
        NavItem(_("避難所の受付状況"), "facilities:shelter-occupancy"),
        NavItem(_("施設のデータセット"), "facilities:dataset-list"),
        NavItem(_("施設の分類"), "facilities:category-list", system_admin_only=True),
    ),
    demo_seed=demo.seed,
    emergency_active=selectors.disaster_declared,
    emergency_actions=(
        EmergencyAction(
            "disaster_kind",
            _("現在の災害種別を設定"),
            run=emergency.disaster_kind_on,
            undo=emergency.disaster_kind_back,
            order=20,
        ),
    ),
    menu_actions=(
        MenuAction("map", _("施設マップ"), liff_path="/liff/facilities/", icon="map"),
        MenuAction(
            "nearest",
            _("近くの避難所"),
            postback="feature=facilities&action=nearest",
            icon="shelter",
        ),
    ),
    line_handlers=(
        OnEvent("message", handlers.on_emergency_message, priority=handlers.EMERGENCY_PRIORITY),
        OnEvent("message", handlers.on_location, priority=handlers.LOCATION_PRIORITY),
        OnText(handlers.ASK_SHELTER, handlers.ask_location, priority=handlers.LOCATION_PRIORITY),
        OnPostback(handlers.FEATURE_KEY, handlers.ask_location, action=handlers.NEAREST_ACTION),
    ),
)
