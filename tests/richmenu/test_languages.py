"""The rich menu in each resident's language, the emergency menu too (issue 21).

What residents see is read back from the emulator (``richmenu_for``: the per-user menu, else the
default one), so the tests check LINE's state, not our records of it.
"""

from __future__ import annotations

import pytest

from civicline.line import services as line_services
from civicline.line.models import Friend
from civicline.line.registry import LineContext
from civicline.linesim.models import RichMenu as LineRichMenu
from civicline.linesim.models import RichMenuAlias, RichMenuLink
from civicline.richmenu import handlers, line_api, selectors, services
from civicline.richmenu.models import EmergencySwitch, Menu, MenuVersion
from tests.fixtures.line import FriendFactory, PreviewRecipientFactory
from tests.fixtures.linesim import linesim_db

from .factories import editor, emergency_menu, nine_tile_menu

pytestmark = linesim_db

ENGLISH_MAIN = {
    "tabs": ["Booking", "Living"],
    "labels": [
        ["Book 1", "Book 2", "Book 3", "Book 4", "Book 5", "Book 6"],
        ["Shelters", "Map", "FAQ"],
    ],
}


@pytest.fixture
def koho():
    return editor(username="koho", display_name="広報 みどり")


def translate(menu: Menu, language: str, *, tabs: list[str], labels: list[list[str]], **menu_texts) -> Menu:
    """Staff's words for ``language``: each tab's title, each tile's label, the menu's own texts."""
    for tab, title, tab_labels in zip(menu.tabs.order_by("position"), tabs, labels, strict=True):
        tab.translations = {**tab.translations, language: {"title": title}}
        tab.save()
        for tile, label in zip(tab.tiles.order_by("position"), tab_labels, strict=True):
            tile.translations = {**tile.translations, language: {"label": label}}
            tile.save()
    if menu_texts:
        menu.translations = {**menu.translations, language: menu_texts}
        menu.save()
    return menu


def resident(linesim, name: str, language: str = "ja") -> str:
    """A friend whose LINE app is in ``language``, known both to LINE (the emulator) and to civicline."""
    user = linesim.client.create_user(name, language=language, follow=True)
    FriendFactory(user_id=user["userId"], language=language)
    return user["userId"]


def shown(linesim, user_id: str) -> str:
    return linesim.client.richmenu_for(user_id)["richMenuId"]


def tab_ids(menu: Menu, language: str = "ja") -> list[str]:
    return [tab.line_rich_menu_id for tab in selectors.live_version(menu).tabs_in(language)]


def labels_of(rich_menu_id: str) -> list[str]:
    return [
        area["action"]["label"] for area in LineRichMenu.objects.get(rich_menu_id=rich_menu_id).body["areas"]
    ]


def test_publish_draws_a_menu_only_for_the_languages_staff_wrote(linesim, koho):
    """issue 21: English has its own words → its own menus and tab aliases; the other languages have
    none and share the Japanese (LINE's default) menu instead of an identical copy."""
    menu = translate(nine_tile_menu(name="通常メニュー"), "en", **ENGLISH_MAIN, chat_bar_text="Menu")

    version = services.menu_publish(actor=koho, menu=menu)

    assert version.menu_languages == ["ja", "en"]
    assert version.seen_as == {
        "ja": "ja",
        "en": "en",
        "ja-easy": "ja",
        "zh-hans": "ja",
        "ko": "ja",
        "vi": "ja",
    }
    assert LineRichMenu.objects.count() == 4  # two tabs, two languages
    en_a, en_b = tab_ids(menu, "en")
    english = LineRichMenu.objects.get(rich_menu_id=en_a).body
    assert english["chatBarText"] == "Menu"
    # The strip's tab opens the English second tab; the tiles read out their English labels.
    assert (
        english["areas"][0]["action"]["richMenuAliasId"] == menu.alias_id(1, "en") == f"cl-m{menu.pk}-en-t2"
    )
    assert english["areas"][0]["action"]["label"] == "Living"
    assert labels_of(en_b)[1:] == ["Shelters", "Map", "FAQ"]
    aliases = {a.alias_id: a.rich_menu_id for a in RichMenuAlias.objects.all()}
    assert aliases[menu.alias_id(1, "en")] == en_b and aliases[menu.alias_id(1)] == tab_ids(menu)[1]
    # LINE's default menu stays the Japanese one.
    assert LineRichMenu.objects.get(is_default=True).rich_menu_id == tab_ids(menu)[0]


def test_a_language_without_words_of_its_own_shares_its_fallbacks_menu(linesim, koho):
    """issue 21: the city's fallback is やさしい日本語: English residents, with no English written, see
    the やさしい日本語 menu, which exists once on LINE."""
    menu = translate(
        nine_tile_menu(),
        "ja-easy",
        tabs=["よやく", "くらし"],
        labels=[
            ["よやく1", "よやく2", "よやく3", "よやく4", "よやく5", "よやく6"],
            ["ひなんじょ", "ちず", "しつもん"],
        ],
    )
    english = resident(linesim, "Emma", "en")

    version = services.menu_publish(actor=koho, menu=menu)

    assert version.menu_languages == ["ja", "ja-easy"]
    assert version.seen_as["en"] == "ja-easy" and version.seen_as["ko"] == "ja-easy"
    assert shown(linesim, english) == tab_ids(menu, "ja-easy")[0]
    assert labels_of(shown(linesim, english))[0] == "くらし"


def test_an_english_friend_gets_the_english_menu_and_its_tabs(linesim, koho):
    """issue 21: an English-language friend is linked to the English menu (a per-user link made in
    bulk by the worker); a Japanese friend keeps LINE's default; tabs stay in each one's language."""
    emma, hanako = resident(linesim, "Emma", "en"), resident(linesim, "花子")
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)

    services.menu_publish(actor=koho, menu=menu)

    assert shown(linesim, emma) == tab_ids(menu, "en")[0]
    assert shown(linesim, hanako) == tab_ids(menu)[0]
    assert not RichMenuLink.objects.filter(user__user_id=hanako).exists()
    tapped = linesim.client.switch_richmenu(emma, menu.alias_id(1, "en"), "feature=richmenu&action=tab&tab=2")
    assert tapped["richMenu"]["richMenuId"] == tab_ids(menu, "en")[1]


def test_publishing_again_moves_english_friends_to_the_new_english_menu(linesim, koho):
    """The replaced English menus are deleted only after English friends were linked to the new ones."""
    emma = resident(linesim, "Emma", "en")
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    services.menu_publish(actor=koho, menu=menu)
    old = tab_ids(menu, "en")

    tile = menu.tabs.get(position=0).tiles.get(position=0)
    tile.translations = {"en": {"label": "Book a counter"}}
    tile.save()
    services.menu_publish(actor=koho, menu=menu)

    assert shown(linesim, emma) == tab_ids(menu, "en")[0] != old[0]
    assert labels_of(shown(linesim, emma))[1] == "Book a counter"
    assert not LineRichMenu.objects.filter(rich_menu_id__in=old).exists()


def test_a_language_change_relinks_the_resident(linesim, koho):
    """issue 21: the resident switches language in 受信設定 (resident_language_changed): the menu follows."""
    hanako = resident(linesim, "花子")
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    translate(
        menu, "ja-easy", tabs=["よやく", "くらし"], labels=[["よやく"] * 6, ["ひなん", "ちず", "しつもん"]]
    )
    services.menu_publish(actor=koho, menu=menu)
    friend = Friend.objects.get(user_id=hanako)
    assert shown(linesim, hanako) == tab_ids(menu)[0]

    line_services.friend_language_set(friend=friend, language="ja-easy")
    assert shown(linesim, hanako) == tab_ids(menu, "ja-easy")[0]

    line_services.friend_language_set(friend=friend, language="en")
    assert shown(linesim, hanako) == tab_ids(menu, "en")[0]

    line_services.friend_language_set(friend=friend, language="ja")
    assert shown(linesim, hanako) == tab_ids(menu)[0]
    assert not RichMenuLink.objects.filter(user__user_id=hanako).exists()


def test_a_follower_whose_line_is_in_english_gets_the_english_menu_once_the_profile_is_read(linesim, koho):
    """issue 21: at follow the profile tells LINE's language; the signal then links the English menu."""
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    services.menu_publish(actor=koho, menu=menu)
    user = linesim.client.create_user("Emma", language="en", follow=True)
    friend = FriendFactory(user_id=user["userId"])  # followed; the profile is not read yet
    assert shown(linesim, friend.user_id) == tab_ids(menu)[0]

    assert line_services.friend_profile_refresh(friend=friend)

    assert shown(linesim, friend.user_id) == tab_ids(menu, "en")[0]


def _main_and_emergency(koho):
    main = translate(nine_tile_menu(name="通常メニュー"), "en", **ENGLISH_MAIN)
    emergency = translate(
        emergency_menu(),
        "en",
        tabs=["Emergency"],
        labels=[["Shelter", "Shelter map", "Disaster info", "Warnings", "Contacts"]],
        heading="Emergency menu",
    )
    services.menu_publish(actor=koho, menu=main)
    services.menu_publish(actor=koho, menu=emergency)
    return main, emergency


@pytest.mark.parametrize("batch_usable", [True, False], ids=["batch", "500-at-a-time"])
def test_the_emergency_menu_reaches_every_friend_in_their_language_and_back(
    linesim, koho, monkeypatch, batch_usable
):
    """issue 21, RM-4: switching on gives English friends the English emergency menu and everyone else
    the Japanese one (also a friend on another tab); switching off relinks English friends to their
    normal menu. With LINE's batch and without it (500 friends a request)."""
    emma, hanako, taro = resident(linesim, "Emma", "en"), resident(linesim, "花子"), resident(linesim, "太郎")
    main, emergency = _main_and_emergency(koho)
    linesim.client.switch_richmenu(taro, main.alias_id(1), "feature=richmenu&action=tab&tab=2")
    assert shown(linesim, emma) == tab_ids(main, "en")[0]
    if not batch_usable:

        def refused(*args, **kwargs):
            raise line_api.LineCallFailed("batch", "HTTP 429", 429)

        monkeypatch.setattr(line_api, "menus_unlink_batch", refused)

    switch = services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    switch.refresh_from_db()
    assert switch.status == EmergencySwitch.Status.DONE, switch.error
    assert switch.method == (EmergencySwitch.Method.BATCH if batch_usable else EmergencySwitch.Method.EACH)
    assert shown(linesim, emma) == tab_ids(emergency, "en")[0]
    assert shown(linesim, hanako) == shown(linesim, taro) == tab_ids(emergency)[0]
    assert labels_of(shown(linesim, emma))[0] == "Shelter"
    # An English resident who still had the normal menu open and taps its tab lands on the English one.
    tapped = linesim.client.switch_richmenu(emma, main.alias_id(1, "en"), "feature=richmenu&action=tab&tab=2")
    assert tapped["richMenu"]["richMenuId"] == tab_ids(emergency, "en")[0]

    back = services.emergency_switch_start(actor=koho, direction="off")

    back.refresh_from_db()
    assert back.status == EmergencySwitch.Status.DONE, back.error
    assert shown(linesim, emma) == tab_ids(main, "en")[0]
    assert shown(linesim, hanako) == shown(linesim, taro) == tab_ids(main)[0]


def test_a_language_change_during_the_emergency_gives_the_emergency_menu_in_the_new_language(linesim, koho):
    """issue 21: while the emergency menu is on, a resident who switches to English gets its English copy."""
    hanako = resident(linesim, "花子")
    _main, emergency = _main_and_emergency(koho)
    services.emergency_switch_start(actor=koho, direction="on", menu_id=emergency.pk)

    line_services.friend_language_set(friend=Friend.objects.get(user_id=hanako), language="en")

    assert shown(linesim, hanako) == tab_ids(emergency, "en")[0]


def test_a_translation_too_long_for_its_tile_is_refused_naming_the_language(linesim, koho):
    """Bad input changes nothing: the problem names the language; nothing reaches LINE."""
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    tab = menu.tabs.get(position=1)
    tab.translations = {"en": {"title": "An extremely long tab title " * 4}}
    tab.save()

    with pytest.raises(Exception) as raised:
        services.menu_publish(actor=koho, menu=menu)

    assert "English" in " ".join(raised.value.messages)
    assert not MenuVersion.objects.exists() and not LineRichMenu.objects.exists()


def test_an_english_friend_back_after_a_republish_gets_the_new_english_menu_at_follow(linesim, koho):
    """issue 21: a friend who blocked the account is not relinked by a publish (their old menu is
    deleted with its links); when they follow again, the follow gives them the new English menu."""
    emma = resident(linesim, "Emma", "en")
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    services.menu_publish(actor=koho, menu=menu)
    linesim.client.block(emma)
    Friend.objects.filter(user_id=emma).update(state=Friend.State.BLOCKED)
    services.menu_publish(actor=koho, menu=menu)  # a new version while Emma is away
    linesim.client.follow(emma)
    Friend.objects.filter(user_id=emma).update(state=Friend.State.FOLLOWING)
    assert shown(linesim, emma) == tab_ids(menu)[0]  # LINE's default, the Japanese menu

    handlers.followed(LineContext(event=None, webhook_event=None, friend=Friend.objects.get(user_id=emma)))

    assert shown(linesim, emma) == tab_ids(menu, "en")[0]


def test_the_menu_page_shows_each_languages_menu_and_a_changed_translation_to_publish(
    linesim, koho, console_client
):
    """issue 21: staff see the menu of each language (and who shares it); editing only a translation
    is a change to publish, as editing the Japanese is."""
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)
    services.menu_publish(actor=koho, menu=menu)
    staff = console_client(koho)

    page = staff.get(f"/console/richmenu/{menu.pk}/").content.decode()
    assert 'data-language="en"' in page and 'data-language="ja"' in page
    assert "未公開の変更があります" not in page
    image = staff.get(f"/console/richmenu/versions/{selectors.live_version(menu).pk}/tabs/0.jpg?language=en")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"

    tile = menu.tabs.get(position=1).tiles.get(position=0)
    tile.translations = {"en": {"label": "Shelter nearby"}}
    tile.save()

    assert "未公開の変更があります" in staff.get(f"/console/richmenu/{menu.pk}/").content.decode()


def test_a_test_device_reading_english_previews_the_draft_in_english(linesim, koho):
    """issue 21, X-11: the draft is shown on the test device in the language its resident reads."""
    device = resident(linesim, "広報の端末", "en")
    recipient = PreviewRecipientFactory(
        department=koho.department,
        friend=Friend.objects.get(user_id=device),
        label="広報の iPhone",
        owner=koho,
    )
    menu = translate(nine_tile_menu(), "en", **ENGLISH_MAIN)

    preview = services.menu_preview(actor=koho, menu=menu, recipient_id=recipient.pk)

    assert shown(linesim, device) == preview.line_rich_menu_ids[0]
    assert labels_of(preview.line_rich_menu_ids[0])[:2] == ["Living", "Book 1"]
