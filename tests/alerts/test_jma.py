"""Reading JMA's real sample reports: kinds, levels in both warning formats, areas, and safety."""

from __future__ import annotations

import pytest

from civicline.alerts import jma
from civicline.alerts.jma import CityCode, CodeType, Kind

from .factories import sample


def concern(name: str, *codes: CityCode) -> jma.Concern:
    return jma.concern(jma.parse_report(sample(name)), list(codes))


def test_special_heavy_rain_warning_old_format_gives_level_5_for_the_city():
    report = jma.parse_report(sample("15_08_01_130412_VPWW53.xml"))

    assert (report.kind, report.info_type, report.office) == (Kind.WARNING, "発表", "奈良地方気象台")
    city = jma.concern(report, [CityCode(CodeType.CITY, "2920100")])
    assert (city.named, city.level) == (True, 5)
    assert city.phenomena == ("大雨特別警報",)  # the 雷注意報 beside it is not what makes the level


def test_lifting_names_the_city_with_nothing_at_the_special_level():
    city = concern("15_08_05_130412_VPWW53.xml", CityCode(CodeType.CITY, "2920100"))

    assert city.named and city.level < 5


def test_revised_warning_system_level_names_are_read():
    """The R06 format (レベル４大雨危険警報) of the revised warning system."""
    report = jma.parse_report(sample("15_16_03_241226_VPWW55.xml"))
    levels = {a.level for a in report.areas if a.code_type == CodeType.CITY}

    assert report.kind == Kind.WARNING and report.source_key.startswith("気象警報・注意報（Ｒ０６）")
    assert 4 in levels
    assert any("レベル４大雨危険警報" in a.phenomena for a in report.areas)


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("大雨特別警報", 5),
        ("レベル５大雨特別警報", 5),
        ("レベル４大雨危険警報", 4),
        ("レベル３大雨警報", 3),
        ("大雨警報", 3),
        ("レベル２大雨注意報", 2),
        ("雷注意報", 2),
        ("解除", 0),
    ],
)
def test_warning_levels_in_both_formats(name, level):
    assert jma.warning_level(name) == level


def test_another_city_is_not_concerned():
    city = concern("15_08_01_130412_VPWW53.xml", CityCode(CodeType.CITY, "2720300"))  # 豊中市

    assert (city.named, city.level) == (False, 0)


def test_landslide_alert_matches_a_city_and_is_lifted():
    issued = jma.parse_report(sample("17_04_01_250630_VXWW50.xml"))
    code = next(a for a in issued.areas if a.level).code

    assert jma.concern(issued, [CityCode(CodeType.CITY, code)]).level == 4
    lifted = jma.concern(
        jma.parse_report(sample("17_04_03_250630_VXWW50.xml")), [CityCode(CodeType.CITY, code)]
    )
    assert (lifted.named, lifted.level) == (True, 0)
    assert issued.event_key == jma.parse_report(sample("17_04_03_250630_VXWW50.xml")).event_key


def test_record_rainfall_matches_a_region_code():
    assert concern("18_01_01_100806_VPOA50.xml", CityCode(CodeType.REGION, "270000")).level == 4
    assert not concern("18_01_01_100806_VPOA50.xml", CityCode(CodeType.CITY, "2720300")).named


def test_river_flood_forecast_by_river_code():
    assert concern("16_06_01_220728_VXKOii.xml", CityCode(CodeType.RIVER, "1234567890")).level == 4
    assert not concern("16_02_02_220728_VXKOii.xml", CityCode(CodeType.RIVER, "1234567890")).named
    assert jma.flood_level("レベル３氾濫警報") == 3 and jma.flood_level("氾濫注意情報解除") == 0


def test_intensity_by_seismic_area_and_by_city():
    shizuoka = concern("32-35_07_02_100915_VXSE51.xml", CityCode(CodeType.SEISMIC, "442"))
    osaka = concern("32-35_07_02_100915_VXSE51.xml", CityCode(CodeType.SEISMIC, "520"))
    oshu = concern("32-35_06_03_240613_VXSE53.xml", CityCode(CodeType.CITY, "0321500"))

    assert (shizuoka.level, shizuoka.phenomena) == (7, ("震度6弱",))
    assert osaka.level == 3
    assert (oshu.level, oshu.phenomena) == (8, ("震度6強",))


def test_same_digits_in_another_code_space_do_not_match():
    """大阪府北部 is 520 as an earthquake area; 520 as a tsunami region is elsewhere."""
    assert not concern("32-35_07_02_100915_VXSE51.xml", CityCode(CodeType.TSUNAMI, "520")).named


def test_tsunami_advisory_and_its_lifting():
    issued = concern("38-39_02_01_250206_VTSE41.xml", CityCode(CodeType.TSUNAMI, "771"))
    lifted = concern("38-39_02_04_250206_VTSE41.xml", CityCode(CodeType.TSUNAMI, "771"))

    assert (issued.level, issued.phenomena) == (2, ("津波注意報",))
    assert (lifted.named, lifted.level) == (True, 0)


def test_cancellation_carries_the_event():
    issued = jma.parse_report(sample("32-35_06_03_240613_VXSE53.xml"))
    cancelled = jma.parse_report(sample("32-35_06_06_100915_VXSE53.xml"))

    assert cancelled.info_type == "取消" and cancelled.areas == []
    assert cancelled.event_key == issued.event_key
    assert cancelled.dedupe_key != issued.dedupe_key


def test_drill_status_is_read():
    assert jma.parse_report(sample("32-39_13_02_250206_VTSE41.xml")).status == "訓練"


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Report>&x;</Report>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Report>&b;</Report>',
        b"not xml at all",
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
    ],
)
def test_hostile_or_foreign_documents_are_refused(payload):
    with pytest.raises(jma.ReportError):
        jma.parse_report(payload)


def test_atom_feed_entries():
    feed = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" lang="ja"><title>高頻度（随時）</title>
<entry><title>気象特別警報・警報・注意報</title><id>urn:uuid:1</id><updated>2026-07-01T00:00:00Z</updated>
<author><name>奈良地方気象台</name></author><link type="application/xml" href="https://www.data.jma.go.jp/developer/xml/data/a.xml"/>
<content type="text">【特別警報（大雨）】</content></entry>
<entry><title>府県天気予報（Ｒ１）</title><id>urn:uuid:2</id><updated>2026-07-01T00:00:00Z</updated>
<author><name>奈良地方気象台</name></author><link type="application/xml" href="https://www.data.jma.go.jp/developer/xml/data/b.xml"/></entry>
</feed>""".encode()
    entries = jma.parse_feed(feed)

    assert (entries[0].title, entries[0].author) == ("気象特別警報・警報・注意報", "奈良地方気象台")
    assert [jma.kind_of_title(e.title) for e in entries] == [Kind.WARNING, ""]
