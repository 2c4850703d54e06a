"""The public facility map page and its data (MP-1, MP-3)."""

import gzip
import json

import pytest

from civicline.facilities import services
from civicline.facilities.models import Shelter
from tests.facilities.factories import FacilityFactory, shelter_at

pytestmark = pytest.mark.django_db
XSS = '</script><script>alert("x")</script>'


def config_of(page):
    marker = '<script id="facility-map-config" type="application/json">'
    return json.loads(page.split(marker, 1)[1].split("</script>", 1)[0])


def test_mp1_map_page_opens_without_a_resident_session(client, settings):
    settings.MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    response = client.get("/liff/facilities/?facility=12")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="/static/facilities/vendor/leaflet/leaflet.js"' in page  # served by us, no CDN
    config = config_of(page)
    assert config["tileUrl"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert config["focus"] == 12 and config["dataUrl"] == "/liff/facilities/facilities.geojson?lang=ja"
    assert config["statuses"]["open"] == "開設中" and config["kinds"]["landslide"] == "崖崩れ・土石流・地滑り"
    assert "no-cache" in response["Cache-Control"]


def test_mp1_focus_parameter_must_be_a_number(client):
    assert config_of(client.get("/liff/facilities/?facility=1;alert(1)").content.decode())["focus"] is None


def test_mp1_map_data_is_cached_by_revision_and_revalidated(client, staff_user):
    shelter = shelter_at("第一小学校", 0, department=staff_user.department, status=Shelter.Status.CLOSED)

    first = client.get("/liff/facilities/facilities.geojson")
    unchanged = client.get("/liff/facilities/facilities.geojson", HTTP_IF_NONE_MATCH=first["ETag"])
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.OPEN, actor=staff_user)
    changed = client.get("/liff/facilities/facilities.geojson", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Content-Type"] == "application/geo+json" and "max-age=5" in first["Cache-Control"]
    assert unchanged.status_code == 304
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert json.loads(changed.content)["features"][0]["properties"]["s"] == "open"


def test_mp1_map_data_is_compressed_for_phones(client):
    for n in range(50):
        FacilityFactory(name=f"公民館{n}", address="大阪府豊中市中桜塚3-1-1")

    response = client.get("/liff/facilities/facilities.geojson", HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.content))["features"]) == 50


def test_xss_names_travel_as_json_data_never_as_markup(client):
    FacilityFactory(name=XSS)

    page = client.get("/liff/facilities/").content.decode()
    data = client.get("/liff/facilities/facilities.geojson")

    assert XSS not in page
    assert json.loads(data.content)["features"][0]["properties"]["n"] == XSS
    assert data["Content-Type"] == "application/geo+json"  # never rendered as HTML by a browser


def test_mp4_shelter_list_is_rendered_once_per_revision_and_shows_a_change_at_once(
    client, staff_user, django_assert_num_queries
):
    shelter = shelter_at("第一小学校", 0, department=staff_user.department, status=Shelter.Status.OPEN)
    opened, full = '<span class="sl-status">開設中</span>', '<span class="sl-status">満員</span>'
    assert opened in client.get("/liff/facilities/shelters/").content.decode()

    with django_assert_num_queries(1):  # the map's revision; the list itself is the one rendered above
        again = client.get("/liff/facilities/shelters/").content.decode()
    services.shelter_status_set(shelter=shelter, status=Shelter.Status.FULL, actor=staff_user)
    changed = client.get("/liff/facilities/shelters/").content.decode()

    assert "第一小学校" in again and opened in again
    assert full in changed and opened not in changed
