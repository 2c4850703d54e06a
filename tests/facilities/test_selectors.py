"""Nearest-shelter search (MP-4), department scoping (MP-2, X-4) and the map data (MP-1)."""

import json

import pytest
from django.http import Http404

from civicline.facilities import selectors, services
from civicline.facilities.models import MapState, Shelter
from tests.facilities.factories import CITY_HALL, FacilityFactory, category, shelter_at

pytestmark = pytest.mark.django_db


def nearest_names(**kwargs):
    found = selectors.facility_nearest(latitude=CITY_HALL[0], longitude=CITY_HALL[1], **kwargs)
    return [n.name for n in found]


def test_mp4_nearest_open_shelters_come_nearest_first_with_distances():
    shelter_at("中", 900)
    shelter_at("近", -300)
    shelter_at("遠", 2500)

    found = selectors.facility_nearest(
        latitude=CITY_HALL[0], longitude=CITY_HALL[1], limit=3, open_shelters_for=""
    )

    assert [n.name for n in found] == ["近", "中", "遠"]
    assert [round(n.distance_m, -1) for n in found] == [300, 900, 2500]
    assert {n.status for n in found} == {Shelter.Status.OPEN}


def test_mp4_closed_and_full_shelters_are_skipped():
    shelter_at("閉鎖中の近い所", 100, status=Shelter.Status.CLOSED)
    shelter_at("満員の近い所", 200, status=Shelter.Status.FULL)
    shelter_at("開設中", 1500)

    assert nearest_names(open_shelters_for="") == ["開設中"]


def test_mp4_shelters_for_another_disaster_kind_are_skipped():
    shelter_at("地震用の公園", 100, kinds=["earthquake"], key="evacuation_space")
    shelter_at("洪水にも対応", 400, kinds=["flood", "earthquake"], key="evacuation_space")
    shelter_at("種別指定なしの避難所", 700)

    assert nearest_names(open_shelters_for="flood") == ["洪水にも対応", "種別指定なしの避難所"]
    assert nearest_names(open_shelters_for="earthquake") == [
        "地震用の公園",
        "洪水にも対応",
        "種別指定なしの避難所",
    ]


def test_mp4_current_disaster_kind_applies_to_the_residents_search(staff_user):
    shelter_at("地震用の公園", 100, kinds=["earthquake"], department=staff_user.department)
    shelter_at("津波避難タワー", 300, kinds=["tsunami"], department=staff_user.department)
    services.disaster_kind_set(kind="tsunami", actor=staff_user)

    found, kind = selectors.nearest_open_shelters(latitude=CITY_HALL[0], longitude=CITY_HALL[1])

    assert kind == "tsunami" and [n.name for n in found] == ["津波避難タワー"]


def test_mp1_non_shelters_are_never_offered_as_shelters():
    FacilityFactory(name="市役所", category=category("city"))

    assert nearest_names(open_shelters_for="") == []
    assert nearest_names() == ["市役所"]


def test_mp4_search_widens_until_enough_are_found_and_stops_at_100_km():
    shelter_at("25km先", 25_000)
    shelter_at("90km先", 90_000)
    shelter_at("150km先", 150_000)

    assert nearest_names(open_shelters_for="", limit=5) == ["25km先", "90km先"]


def test_mp4_nearest_order_is_exact_within_the_box():
    # Closer by latitude difference is not closer: the east-west neighbour wins.
    FacilityFactory(name="北へ800m", latitude=CITY_HALL[0] + 800 / 111_195)
    FacilityFactory(name="東へ600m", longitude=CITY_HALL[1] + 600 / (111_195 * 0.8215))

    assert nearest_names(limit=2) == ["東へ600m", "北へ800m"]


def test_x4_staff_lists_hold_only_their_department(staff_user, other_staff_user, system_admin):
    mine = FacilityFactory(name="こども館", department=staff_user.department)
    theirs = FacilityFactory(name="清掃工場", department=other_staff_user.department)
    shelter_at("第一小学校", 0, department=other_staff_user.department)

    assert list(selectors.facility_list_for(fetched_by=staff_user)) == [mine]
    assert list(selectors.shelter_list_for(fetched_by=staff_user)) == []
    assert {f.name for f in selectors.facility_list_for(fetched_by=system_admin)} == {
        mine.name,
        theirs.name,
        "第一小学校",
    }
    with pytest.raises(Http404):
        selectors.access_facility(fetched_by=staff_user, pk=theirs.pk)


def test_mp4_only_departments_with_shelters_may_set_the_disaster_kind(
    staff_user, other_staff_user, system_admin
):
    shelter_at("第一小学校", 0, department=staff_user.department)

    assert selectors.can_set_disaster_kind(staff_user)
    assert not selectors.can_set_disaster_kind(other_staff_user)
    assert selectors.can_set_disaster_kind(system_admin)


def test_mp1_map_data_is_compact_geojson_and_renewed_after_a_change(staff_user):
    shelter = shelter_at(
        "第一小学校", 0, department=staff_user.department, status=Shelter.Status.CLOSED, kinds=["flood"]
    )
    FacilityFactory(name="市役所", phone="06-6858-5050")

    first = json.loads(selectors.map_geojson())
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff_user)
    second = json.loads(selectors.map_geojson())

    assert first["type"] == "FeatureCollection" and len(first["features"]) == 2
    school = next(f for f in first["features"] if f["properties"]["n"] == "第一小学校")
    assert school["properties"]["s"] == "closed" and school["properties"]["dk"] == ["flood"]
    hall = next(f for f in first["features"] if f["properties"]["n"] == "市役所")
    assert hall["properties"]["t"] == "06-6858-5050" and "s" not in hall["properties"]
    assert hall["geometry"]["coordinates"] == [CITY_HALL[1], CITY_HALL[0]]
    assert [c["key"] for c in first["categories"]][:2] == ["shelter", "evacuation_space"]
    assert second["revision"] == MapState.current().revision != first["revision"]
    assert next(f for f in second["features"] if f["id"] == school["id"])["properties"]["s"] == "open"
