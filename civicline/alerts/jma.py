"""Reading the Japan Meteorological Agency's disaster XML (気象庁防災情報XML) and its Atom feeds.

Only what concerns a city is read: for each kind the policy acts on, the areas a report names
(by JMA's area codes) and the level in force there. Everything else in a report stays unread.

Parsing is XXE-safe: ``defusedxml`` refuses DTDs, entity declarations and external references
before any is expanded, so a hostile or broken feed cannot read files or exhaust memory.

Levels are one scale per kind (``LEVELS``). Warnings read both formats in use: the older names
(大雨警報, 大雨特別警報 — VPWW53/54) and the revised warning system's level names (レベル３大雨警報,
レベル４大雨危険警報, レベル５大雨特別警報 — the R06 format, VPWW55–61), and river flood forecasts
both 氾濫危険情報 and レベル４氾濫危険警報.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _


class Kind:
    WARNING = "warning"
    LANDSLIDE = "landslide"
    RECORD_RAIN = "record_rain"
    FLOOD = "flood"
    QUAKE = "quake"
    TSUNAMI = "tsunami"

    CHOICES = [
        (WARNING, _("気象警報・注意報")),
        (LANDSLIDE, _("土砂災害警戒情報")),
        (RECORD_RAIN, _("記録的短時間大雨情報")),
        (FLOOD, _("指定河川洪水予報")),
        (QUAKE, _("震度")),
        (TSUNAMI, _("津波警報・注意報")),
    ]


class CodeType:
    """JMA's code spaces: the same digits mean different places in different spaces (大阪府 is 510
    as a tsunami forecast region and 520 is 大阪府北部 as an earthquake area), so a city's codes are
    kept with their space."""

    CITY = "city"
    REGION = "region"
    SEISMIC = "seismic"
    TSUNAMI = "tsunami"
    RIVER = "river"

    CHOICES = [
        (CITY, _("市町村等（警報・土砂災害・震度など。例: 豊中市 2720300）")),
        (REGION, _("府県予報区・細分区域（例: 大阪府 270000）")),
        (SEISMIC, _("地震情報の細分区域（例: 大阪府北部 520）")),
        (TSUNAMI, _("津波予報区（例: 大阪府 510）")),
        (RIVER, _("河川・洪水予報区域（指定河川洪水予報）")),
    ]


# (value, label) per kind: what a policy's threshold is chosen from.
LEVELS: dict[str, list[tuple[int, str]]] = {
    Kind.WARNING: [
        (2, "レベル２（注意報）"),
        (3, "レベル３（警報）"),
        (4, "レベル４（危険警報）"),
        (5, "レベル５（特別警報）"),
    ],
    Kind.LANDSLIDE: [(4, "レベル４（土砂災害警戒情報・土砂災害危険警報）")],
    Kind.RECORD_RAIN: [(4, "発表（記録的短時間大雨）")],
    Kind.FLOOD: [
        (2, "レベル２（氾濫注意）"),
        (3, "レベル３（氾濫警戒）"),
        (4, "レベル４（氾濫危険）"),
        (5, "レベル５（氾濫発生）"),
    ],
    Kind.QUAKE: [
        (1, "震度1"),
        (2, "震度2"),
        (3, "震度3"),
        (4, "震度4"),
        (5, "震度5弱"),
        (6, "震度5強"),
        (7, "震度6弱"),
        (8, "震度6強"),
        (9, "震度7"),
    ],
    Kind.TSUNAMI: [(1, "津波予報"), (2, "津波注意報"), (3, "津波警報"), (4, "大津波警報")],
}

INTENSITY = {"1": 1, "2": 2, "3": 3, "4": 4, "5-": 5, "5+": 6, "6-": 7, "6+": 8, "7": 9}
TSUNAMI_CODES = {"52": 4, "53": 4, "51": 3, "62": 2, "71": 1, "72": 1, "73": 1}

# Control/Title of the reports read, by kind (a prefix: 気象警報・注意報（Ｒ０６）（大雨）…).
TITLES: list[tuple[str, str]] = [
    ("気象特別警報・警報・注意報", Kind.WARNING),
    ("気象警報・注意報", Kind.WARNING),
    ("土砂災害警戒情報", Kind.LANDSLIDE),
    ("記録的短時間大雨情報", Kind.RECORD_RAIN),
    ("指定河川洪水予報", Kind.FLOOD),
    ("震度速報", Kind.QUAKE),
    ("震源・震度に関する情報", Kind.QUAKE),
    ("津波警報・注意報・予報", Kind.TSUNAMI),
]
# Kinds that are one report each, never lifted: an earthquake's reports, a record rainfall.
ONE_SHOT = {Kind.QUAKE, Kind.RECORD_RAIN}
MAX_BYTES = 5 * 1024 * 1024  # the largest reports (震源・震度情報 of a great earthquake) are ~1 MB
NOT_IN_FORCE = {"解除", "発表警報・注意報はなし", "なし", ""}
_LEVEL_IN_NAME = re.compile(r"レベル([1-5])")


class ReportError(ValueError):
    """The bytes are not a JMA report this module can read (said in Japanese for staff)."""


def kind_of_title(title: str) -> str:
    for prefix, kind in TITLES:
        if title.startswith(prefix):
            return kind
    return ""


def level_label(kind: str, level: int) -> str:
    if level <= 0:
        return "なし"
    return dict(LEVELS.get(kind, [])).get(level, str(level))


@dataclass(frozen=True)
class AreaLevel:
    """One area a report names, in one code space, with the level in force there (0: none)."""

    code_type: str
    code: str
    name: str
    level: int
    phenomena: tuple[str, ...] = ()  # the warnings in force there (大雨特別警報…), for messages


@dataclass
class Report:
    control_title: str
    status: str  # 通常, 訓練, 試験
    office: str
    head_title: str
    report_datetime: datetime | None
    event_id: str
    serial: str
    info_type: str  # 発表, 訂正, 取消
    headline: str
    kind: str
    areas: list[AreaLevel] = field(default_factory=list)
    # Rivers named in a flood forecast: its level applies to the cities the forecast names.
    whole_report_level: int = 0

    @property
    def dedupe_key(self) -> str:
        """The same report, whichever feed or file brought it: its identity per JMA's Head."""
        parts = [
            self.control_title,
            self.office,
            self.head_title,
            self.event_id,
            self.serial,
            self.info_type,
            self.report_datetime.isoformat() if self.report_datetime else "",
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    @property
    def event_key(self) -> str:
        """Reports of one situation share it: later ones update (or lift, or cancel) the earlier.

        Warnings of one office form one situation whatever the format (the same warning arrives as
        VPWW53, VPWW54 and, in the revised system, per phenomenon); the others carry an EventID.
        """
        if self.kind == Kind.WARNING:
            return f"{self.kind}:{self.office}"
        if self.kind == Kind.TSUNAMI:
            return f"{self.kind}:{self.office}"
        return f"{self.kind}:{self.event_id or self.head_title}"

    @property
    def source_key(self) -> str:
        """Which part of the situation this report states (in the revised system, one phenomenon)."""
        if self.kind == Kind.WARNING and "（Ｒ" in self.control_title:
            return self.control_title
        if self.kind == Kind.WARNING:
            return "気象警報・注意報"
        return self.control_title


# --- XML helpers (namespace-blind: JMA uses a different namespace per part) ---------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(element: Element | None, name: str) -> Iterator[Element]:
    if element is None:
        return iter(())
    return (child for child in element if _local(child.tag) == name)


def _kid(element: Element | None, *path: str) -> Element | None:
    for name in path:
        element = next(_kids(element, name), None)
        if element is None:
            return None
    return element


def _text(element: Element | None, *path: str) -> str:
    found = _kid(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def parse_xml(data: bytes) -> Element:
    if len(data) > MAX_BYTES:
        raise ReportError("XMLが大きすぎます。")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ReportError(f"XMLとして読めません: {exc}") from exc


def parse_report(data: bytes) -> Report:
    root = parse_xml(data)
    if _local(root.tag) != "Report":
        raise ReportError("気象庁防災情報XMLの電文ではありません。")
    control, head, body = _kid(root, "Control"), _kid(root, "Head"), _kid(root, "Body")
    if control is None or head is None:
        raise ReportError("電文の Control または Head がありません。")
    control_title = _text(control, "Title")
    report = Report(
        control_title=control_title,
        status=_text(control, "Status"),
        office=_text(control, "EditorialOffice") or _text(control, "PublishingOffice"),
        head_title=_text(head, "Title"),
        report_datetime=parse_datetime(_text(head, "ReportDateTime")),
        event_id=_text(head, "EventID"),
        serial=_text(head, "Serial"),
        info_type=_text(head, "InfoType"),
        headline=_text(head, "Headline", "Text"),
        kind=kind_of_title(control_title),
    )
    if report.info_type == "取消" or body is None:
        return report
    reader = _READERS.get(report.kind)
    if reader is not None:
        reader(report, head, body)
    return report


# --- per kind -------------------------------------------------------------------------------------


def warning_level(name: str) -> int:
    """The level of a warning's name in either format (0 for none or 解除)."""
    name = unicodedata.normalize("NFKC", name)
    match = _LEVEL_IN_NAME.search(name)
    if match:
        return int(match.group(1))
    if "特別警報" in name:
        return 5
    if "危険警報" in name:
        return 4
    if "警報" in name:
        return 3
    if "注意報" in name:
        return 2
    return 0


def _read_warnings(report: Report, head: Element, body: Element) -> None:
    for warning in _kids(body, "Warning"):
        kind_type = warning.get("type", "")
        code_type = CodeType.CITY if kind_type.endswith("（市町村等）") else CodeType.REGION
        for item in _kids(warning, "Item"):
            area = _kid(item, "Area")
            in_force = [
                _text(kind, "Name")
                for kind in _kids(item, "Kind")
                if _text(kind, "Status") not in NOT_IN_FORCE and _text(kind, "Name")
            ]
            levels = [warning_level(name) for name in in_force]
            top = max(levels, default=0)
            report.areas.append(
                AreaLevel(
                    code_type,
                    _text(area, "Code"),
                    _text(area, "Name"),
                    top,
                    # The warnings that make the level: 「大雨特別警報」, not the 雷注意報 beside it.
                    tuple(n for n, lv in zip(in_force, levels, strict=True) if lv and lv == top),
                )
            )


def _read_landslide(report: Report, head: Element, body: Element) -> None:
    for warning in _kids(body, "Warning"):
        for item in _kids(warning, "Item"):
            kind, area = _kid(item, "Kind"), _kid(item, "Area")
            in_force = _text(kind, "Status") in {"発表", "継続"}
            report.areas.append(
                AreaLevel(
                    CodeType.CITY,
                    _text(area, "Code"),
                    _text(area, "Name"),
                    4 if in_force else 0,
                    ("土砂災害警戒情報",) if in_force else (),
                )
            )


def _read_record_rain(report: Report, head: Element, body: Element) -> None:
    for warning in _kids(body, "Warning"):
        for item in _kids(warning, "Item"):
            kind, area = _kid(item, "Kind"), _kid(item, "Area")
            code = _text(area, "Code")
            issued = _text(kind, "Status") == "発表"
            report.areas.append(
                AreaLevel(
                    CodeType.CITY if len(code) == 7 else CodeType.REGION,
                    code,
                    _text(area, "Name"),
                    4 if issued else 0,
                    ("記録的短時間大雨情報",) if issued else (),
                )
            )


def flood_level(name: str) -> int:
    name = unicodedata.normalize("NFKC", name)
    if "解除" in name:
        return 0
    match = _LEVEL_IN_NAME.search(name)
    if match:
        return int(match.group(1))
    for word, level in (("氾濫発生", 5), ("氾濫危険", 4), ("氾濫警戒", 3), ("氾濫注意", 2)):
        if word in name:
            return level
    return 0


def _read_flood(report: Report, head: Element, body: Element) -> None:
    headline = _kid(head, "Headline")
    top = 0
    for information in _kids(headline, "Information"):
        if information.get("type") not in {"指定河川洪水予報（河川）", "指定河川洪水予報（予報区域）"}:
            continue
        for item in _kids(information, "Item"):
            name = _text(item, "Kind", "Name")
            level = flood_level(name)
            top = max(top, level)
            for area in _kids(_kid(item, "Areas"), "Area"):
                report.areas.append(
                    AreaLevel(
                        CodeType.RIVER,
                        _text(area, "Code"),
                        _text(area, "Name"),
                        level,
                        (name,) if level else (),
                    )
                )
    report.whole_report_level = top
    # The cities the forecast says may be flooded (浸水想定地区) get the forecast's level.
    for warning in _kids(body, "Warning"):
        for item in _kids(warning, "Item"):
            if _text(item, "Kind", "Name") != "浸水想定地区":
                continue
            for area in _kids(_kid(item, "Areas"), "Area"):
                code = _text(area, "CityCode")
                if code:
                    report.areas.append(
                        AreaLevel(
                            CodeType.CITY,
                            code,
                            _text(area, "City"),
                            top,
                            (report.head_title,) if top else (),
                        )
                    )


def _read_quake(report: Report, head: Element, body: Element) -> None:
    observation = _kid(body, "Intensity", "Observation")
    for pref in _kids(observation, "Pref"):
        for area in _kids(pref, "Area"):
            level = INTENSITY.get(_text(area, "MaxInt"), 0)
            label = (level_label(Kind.QUAKE, level),) if level else ()
            report.areas.append(
                AreaLevel(CodeType.SEISMIC, _text(area, "Code"), _text(area, "Name"), level, label)
            )
            for city in _kids(area, "City"):
                level = INTENSITY.get(_text(city, "MaxInt"), 0)
                label = (level_label(Kind.QUAKE, level),) if level else ()
                report.areas.append(
                    AreaLevel(CodeType.CITY, _text(city, "Code"), _text(city, "Name"), level, label)
                )


def _read_tsunami(report: Report, head: Element, body: Element) -> None:
    forecast = _kid(body, "Tsunami", "Forecast")
    for item in _kids(forecast, "Item"):
        area, kind = _kid(item, "Area"), _kid(item, "Category", "Kind")
        level = TSUNAMI_CODES.get(_text(kind, "Code"), 0)
        report.areas.append(
            AreaLevel(
                CodeType.TSUNAMI,
                _text(area, "Code"),
                _text(area, "Name"),
                level,
                (_text(kind, "Name"),) if level else (),
            )
        )


_READERS = {
    Kind.WARNING: _read_warnings,
    Kind.LANDSLIDE: _read_landslide,
    Kind.RECORD_RAIN: _read_record_rain,
    Kind.FLOOD: _read_flood,
    Kind.QUAKE: _read_quake,
    Kind.TSUNAMI: _read_tsunami,
}


# --- what concerns the city ------------------------------------------------------------------------


@dataclass(frozen=True)
class CityCode:
    code_type: str
    code: str
    name: str = ""


def _matches(area: AreaLevel, code: CityCode) -> bool:
    if area.code_type != code.code_type or not area.code:
        return False
    if area.code == code.code:
        return True
    # A city split for landslide alerts (横浜市北部 1410011) lies within the city's code (1410000).
    return (
        code.code_type == CodeType.CITY
        and len(code.code) == 7
        and code.code.endswith("00")
        and len(area.code) == 7
        and area.code[:5] == code.code[:5]
    )


@dataclass(frozen=True)
class Concern:
    """What a report means for the city: whether it names the city's areas at all, the highest level
    in force there, which of the city's areas, and which warnings."""

    named: bool
    level: int
    areas: tuple[CityCode, ...]
    phenomena: tuple[str, ...]


def concern(report: Report, codes: list[CityCode]) -> Concern:
    named, level, areas, phenomena = False, 0, [], []
    for area in report.areas:
        for code in codes:
            if not _matches(area, code):
                continue
            named = True
            if area.level > level:
                level, phenomena = area.level, list(area.phenomena)
            elif area.level == level and area.level:
                phenomena += [p for p in area.phenomena if p not in phenomena]
            if area.level and code not in areas:
                areas.append(code)
    return Concern(named, level, tuple(areas), tuple(phenomena))


# --- Atom feeds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    entry_id: str
    title: str  # the report's Control/Title: 気象特別警報・警報・注意報…
    link: str
    updated: str
    author: str


def parse_feed(data: bytes) -> list[FeedEntry]:
    root = parse_xml(data)
    if _local(root.tag) != "feed":
        raise ReportError("Atomフィードではありません。")
    entries = []
    for entry in _kids(root, "entry"):
        link = next((e.get("href", "") for e in _kids(entry, "link") if e.get("href")), "")
        entries.append(
            FeedEntry(
                entry_id=_text(entry, "id") or link,
                title=_text(entry, "title"),
                link=link,
                updated=_text(entry, "updated"),
                author=_text(entry, "author", "name"),
            )
        )
    return entries
