"""Facilities in the resident's language (issue 21): names staff wrote per language on the map, the
shelter list and the talk's shelter cards, with the city's fallback where a language is missing."""

import json

import pytest
from django.utils import translation

from civicline.facilities import services
from civicline.facilities.console.forms import FacilityForm
from civicline.facilities.importing import build_plan
from civicline.facilities.models import Facility, Shelter
from tests.facilities.factories import (
    CITY_HALL,
    DatasetFactory,
    FacilityFactory,
    category,
    csv_bytes,
    shelter_at,
    yaizu_rows,
)
from tests.facilities.test_handlers import bubble_name, bubbles, location_event
from tests.fixtures.line import FriendFactory, text_event

pytestmark = pytest.mark.django_db


def translated_shelter(name, metres_north, **versions):
    shelter = shelter_at(name, metres_north)
    shelter.facility.translations = versions
    shelter.facility.save()
    return shelter


def names_on_map(client, language):
    data = json.loads(client.get(f"/liff/facilities/facilities.geojson?lang={language}").content)
    return sorted(feature["properties"]["n"] for feature in data["features"])


def test_issue21_an_english_friend_gets_the_english_shelter_names_in_the_carousel(reply_to):
    """issue 21: the shelter cards answering a location name each shelter in the resident's language."""
    FriendFactory(user_id="U-en", language="en")
    english = {"name": "Daiichi Elementary School", "address": "3-1 Nakasakurazuka"}
    translated_shelter("第一小学校", -250, en=english)
    shelter_at("第二中学校", 1200)  # written in Japanese only

    cards = bubbles(reply_to(location_event("U-en", *CITY_HALL)))

    assert [bubble_name(card) for card in cards] == ["Daiichi Elementary School", "第二中学校"]
    assert cards[0]["body"]["contents"][2]["text"] == "3-1 Nakasakurazuka"
    map_button = cards[0]["footer"]["contents"][1]["action"]["uri"]
    assert map_button.endswith("&lang=en")  # the map opens in their language too


def test_issue21_a_vietnamese_friend_without_a_vietnamese_name_gets_the_easy_japanese_one(reply_to):
    """issue 21: a missing language falls back in the city's order (やさしい日本語, then Japanese)."""
    FriendFactory(user_id="U-vi", language="vi")
    easy = {"name": "だいいち しょうがっこう"}
    translated_shelter("第一小学校", -250, en={"name": "Daiichi Elementary School"}, **{"ja-easy": easy})
    translated_shelter("第三小学校", 300, vi={"name": "Trường tiểu học số 3"})

    cards = bubbles(reply_to(location_event("U-vi", *CITY_HALL)))

    assert [bubble_name(card) for card in cards] == ["だいいち しょうがっこう", "Trường tiểu học số 3"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Where is the nearest shelter?"),
        ("zh-Hans", "避难所在哪里"),
        ("ko", "대피소 어디"),
        ("vi", "nơi sơ tán"),
    ],
)
def test_issue21_asking_for_a_shelter_in_ones_own_language_asks_for_the_location(reply_to, language, words):
    """issue 21: a resident who cannot write Japanese asks for a shelter in their words and is asked
    for their location, in their language, with LINE's location button."""
    FriendFactory(user_id="U-asks", language=language)

    (message,) = reply_to(text_event("U-asks", words))

    assert message["quickReply"]["items"][0]["action"]["type"] == "location"
    assert message["quickReply"]["items"][1]["action"]["uri"].endswith(f"lang={language.lower()}")


def test_issue21_the_map_data_is_built_per_language(client):
    """issue 21: the map's data names facilities in the page's language, each language cached apart."""
    facility = FacilityFactory(name="豊中市役所", translations={"en": {"name": "Toyonaka City Hall"}})
    FacilityFactory(name="公民館")

    english = names_on_map(client, "en")
    japanese = names_on_map(client, "ja")
    korean = names_on_map(client, "ko")  # no Korean name: the Japanese master

    assert english == ["Toyonaka City Hall", "公民館"]
    assert japanese == korean == ["公民館", "豊中市役所"]
    assert facility.pk  # the same facility, three answers
    first = client.get("/liff/facilities/facilities.geojson?lang=en")
    other = client.get("/liff/facilities/facilities.geojson?lang=ja", HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200  # another language is not "not modified"


def test_issue21_the_map_page_asks_for_the_data_in_its_language(client):
    """issue 21: a link from the talk names the resident's language; the page and its data follow it."""
    page = client.get("/liff/facilities/?lang=vi")

    assert page["Content-Language"] == "vi"
    assert "facilities.geojson?lang=vi" in page.content.decode()


def test_issue21_the_category_names_on_the_map_follow_the_language(client):
    """issue 21: the map's filter chips (categories) are named in the resident's language."""
    shelters = category("shelter")
    shelters.translations = {"en": {"name": "Evacuation shelter"}}
    shelters.save()

    data = json.loads(client.get("/liff/facilities/facilities.geojson?lang=en").content)

    assert {c["key"]: c["name"] for c in data["categories"]}["shelter"] == "Evacuation shelter"


def test_issue21_the_shelter_list_shows_names_and_statuses_in_the_language(client):
    """issue 21: the public shelter list (no LINE needed) in the language its link names."""
    translated_shelter("第一小学校", 0, en={"name": "Daiichi Elementary School"})

    english = client.get("/liff/facilities/shelters/?lang=en").content.decode()
    japanese = client.get("/liff/facilities/shelters/?lang=ja").content.decode()

    assert "Daiichi Elementary School" in english and "第一小学校" not in english
    assert "第一小学校" in japanese
    with translation.override("en"):
        open_label = str(Shelter.Status.OPEN.label)
    assert open_label in english  # 開設中 from the catalogue (itself where not translated yet)


def test_issue21_staff_write_a_facility_name_per_language_in_the_console(staff_client, staff_user):
    """issue 21: the facility form has a field per language; the list marks what is missing."""
    facility = FacilityFactory(department=staff_user.department, name="中央公民館")
    form = FacilityForm(instance=facility, staff=staff_user)
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"category": facility.category_id, "name__en": "Central Community Center"})

    response = staff_client.post(f"/console/facilities/{facility.pk}/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    facility.refresh_from_db()
    assert facility.translations == {"en": {"name": "Central Community Center"}}
    listing = staff_client.get("/console/facilities/").content.decode()
    assert "未翻訳" in listing  # Korean, Chinese, Vietnamese and やさしい日本語 still lack a name


# --- imports keep their interface: per-language name columns are read where a city publishes them --


def import_file(dataset, content, actor):
    upload = services.facility_import_upload(
        dataset=dataset, actor=actor, filename="data.csv", content=content
    )
    return services.facility_import_apply(facility_import=upload, actor=actor)


@pytest.mark.parametrize("column", ["名称_英語", "name_en", "名称_英字"])
def test_issue21_a_name_column_per_language_becomes_the_facilitys_translation(staff_user, column):
    """issue 21: a city's file with English names (名称_英語, name_en, the standard's 名称_英字) fills the
    facilities' English names; residents then see them on the map."""
    dataset = DatasetFactory(department=staff_user.department, name="公共施設一覧")
    header, rows = yaizu_rows()
    header.append(column)
    for row in rows:
        row.append("")
    rows[0][-1] = "Deep Sea Water Museum"

    import_file(dataset, csv_bytes(header, rows), staff_user)

    museum = Facility.objects.get(dataset=dataset, dataset_key=rows[0][header.index("NO")])
    assert museum.translations == {"en": {"name": "Deep Sea Water Museum"}}
    assert "Deep Sea Water Museum" not in museum.extra.values()  # read, not kept as an unknown column


def test_issue21_a_changed_english_name_is_previewed_applied_and_exported(staff_user, staff_client):
    """issue 21: a re-import shows the changed English name, keeps staff's other languages, and the
    dataset's export gives the column back with the current names."""
    dataset = DatasetFactory(department=staff_user.department, name="公共施設一覧")
    header, rows = yaizu_rows()
    header.append("名称_英語")
    for row in rows:
        row.append("")
    rows[0][-1] = "Deep Sea Water Museum"
    import_file(dataset, csv_bytes(header, rows), staff_user)
    museum = Facility.objects.get(dataset=dataset, dataset_key=rows[0][header.index("NO")])
    museum.translations = {**museum.translations, "vi": {"name": "Bảo tàng nước biển sâu"}}
    museum.save()
    rows[0][-1] = "Deep Seawater Museum"
    content = csv_bytes(header, rows)

    (change,) = build_plan(dataset, content).changed
    import_file(dataset, content, staff_user)

    assert [(f.before, f.after) for f in change.fields] == [("Deep Sea Water Museum", "Deep Seawater Museum")]
    museum.refresh_from_db()
    assert museum.translations == {
        "en": {"name": "Deep Seawater Museum"},
        "vi": {"name": "Bảo tàng nước biển sâu"},
    }
    exported = staff_client.get(f"/console/facilities/datasets/{dataset.pk}/export.csv")
    header_line, first_line = b"".join(exported.streaming_content).decode("utf-8-sig").splitlines()[:2]
    assert header_line.endswith(",名称_英語") and first_line.endswith(",Deep Seawater Museum")


def test_issue21_a_name_a_spreadsheet_would_run_is_exported_escaped_and_imported_as_written(
    staff_user, staff_client
):
    """issue 21: an English name starting with "=" goes out escaped ('=…, text in Excel), and the
    exported file imported again keeps the name as staff wrote it."""
    dataset = DatasetFactory(department=staff_user.department, name="公共施設一覧")
    header, rows = yaizu_rows()
    header.append("名称_英語")
    for row in rows:
        row.append("")
    rows[0][-1] = "=Museum"
    import_file(dataset, csv_bytes(header, rows), staff_user)

    exported = staff_client.get(f"/console/facilities/datasets/{dataset.pk}/export.csv")
    content = b"".join(exported.streaming_content)
    assert ",'=Museum" in content.decode("utf-8-sig")
    import_file(dataset, content, staff_user)

    museum = Facility.objects.get(dataset=dataset, dataset_key=rows[0][header.index("NO")])
    assert museum.translations == {"en": {"name": "=Museum"}}
