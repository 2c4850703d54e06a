"""Reading and writing the open-data files departments already keep (MP-2).

Files come in the national standard formats (自治体標準オープンデータセット: 公共施設一覧,
指定緊急避難場所一覧, 指定避難所一覧, 子育て施設一覧) as CSV — UTF-8 with or without BOM, or
Shift_JIS — or as the GeoJSON the 国土地理院 publishes. Columns are found by name, whichever
version of the standard (or older 推奨データセット) the file follows; the ones we do not model are
kept per row so that an export gives the same columns back.

Nothing here touches the database: ``parse_file`` turns bytes into rows and per-row errors.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from .models import DisasterKind, Facility, FacilityDataset

Kind = FacilityDataset.Kind

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # some files put a title or a date above the header
# Japan, generously: a coordinate outside is a typo or a swapped pair, not a facility.
LATITUDE_RANGE = (20.0, 46.0)
LONGITUDE_RANGE = (122.0, 154.0)

# Column names per field, first match wins: the current standard, older versions, GSI's names.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("ID", "共通ID", "NO", "No.", "番号"),
    "name": ("名称", "施設・場所名", "施設名"),
    "kana": ("名称_カナ", "名称カナ", "ふりがな", "フリガナ"),
    "address": ("住所", "所在地_連結表記", "所在地"),
    "latitude": ("緯度",),
    "longitude": ("経度",),
    "phone": ("電話番号",),
    "hours": ("利用可能日時特記事項", "利用時間", "開館時間"),
    "url": ("URL", "ホームページ"),
    "capacity": ("想定収容人数", "収容人数", "定員"),
    "accessibility": ("バリアフリー情報",),
    "description": ("説明",),
    "notes": ("備考",),
}
REQUIRED_FIELDS = ("key", "name", "latitude", "longitude")
# The standard prefixes 災害種別_; GSI's files use the bare names.
KIND_SUFFIX = {
    DisasterKind.FLOOD: "洪水",
    DisasterKind.LANDSLIDE: "崖崩れ、土石流及び地滑り",
    DisasterKind.STORM_SURGE: "高潮",
    DisasterKind.EARTHQUAKE: "地震",
    DisasterKind.TSUNAMI: "津波",
    DisasterKind.FIRE: "大規模な火事",
    DisasterKind.INLAND_FLOOD: "内水氾濫",
    DisasterKind.VOLCANO: "火山現象",
}
KIND_COLUMNS = {kind: (f"災害種別_{suffix}", suffix) for kind, suffix in KIND_SUFFIX.items()}
TRUE_MARKS = {"1", "○", "〇", "◯", "●", "◎", "true", "有", "可", "yes"}
FALSE_MARKS = {"", "0", "×", "-", "－", "false", "無", "不可", "no"}

# Columns of each standard dataset, used for a dataset that has never been imported.
_CSV_HEAD = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ", "名称_英字"]
_SHELTER_TAIL = [*(f"災害種別_{s}" for s in KIND_SUFFIX.values())]
STANDARD_COLUMNS: dict[str, list[str]] = {
    Kind.PUBLIC_FACILITIES: [
        *_CSV_HEAD,
        "住所",
        "方書",
        "緯度",
        "経度",
        "電話番号",
        "内線番号",
        "法人番号",
        "団体名",
        "利用可能曜日",
        "開始時間",
        "終了時間",
        "利用可能日時特記事項",
        "説明",
        "バリアフリー情報",
        "URL",
        "備考",
    ],
    Kind.EVACUATION_SPACES: [
        *_CSV_HEAD,
        "住所",
        "方書",
        "緯度",
        "経度",
        "標高",
        "電話番号",
        "内線番号",
        *_SHELTER_TAIL,
        "指定避難所との重複",
        "想定収容人数",
        "対象となる町会・自治会",
        "URL",
        "備考",
    ],
    Kind.SHELTERS: [
        *_CSV_HEAD,
        "住所",
        "方書",
        "緯度",
        "経度",
        "標高",
        "電話番号",
        "内線番号",
        *_SHELTER_TAIL,
        "指定緊急避難場所との重複",
        "想定収容人数",
        "対象となる町会・自治会",
        "URL",
        "備考",
    ],
    Kind.CHILDCARE: [
        *_CSV_HEAD,
        "種別",
        "住所",
        "方書",
        "緯度",
        "経度",
        "電話番号",
        "内線番号",
        "FAX番号",
        "法人番号",
        "団体名",
        "利用可能曜日",
        "開始時間",
        "終了時間",
        "利用可能日時特記事項",
        "定員",
        "受入年齢",
        "URL",
        "備考",
    ],
}
# Columns only one kind of list has: a file with them cannot be another kind's list.
_SHELTERS_MARKS = ("指定緊急避難場所との重複", "指定緊急避難場所との住所同一", "受入対象者")
_SHELTER_KINDS = {Kind.EVACUATION_SPACES, Kind.SHELTERS}


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, format, header); nothing of it is used."""


@dataclass(frozen=True)
class RowError:
    line: int  # CSV: the line the record starts on; GeoJSON: the feature's position; 0: the file
    message: str
    is_geojson: bool = False

    @property
    def where(self) -> str:
        if self.line == 0:
            return _("ファイル全体")
        return (_("%(n)d件目") if self.is_geojson else _("%(n)d行目")) % {"n": self.line}


@dataclass
class Row:
    line: int
    key: str
    values: dict[str, Any]  # Facility fields
    kinds: dict[str, bool] | None  # None: the file says nothing about disaster kinds
    extra: dict[str, str]


@dataclass
class ParsedFile:
    format: str = "csv"
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    detected_kind: str = ""
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize_header(name: Any) -> str:
    """Header cells compare after NFKC (full-width letters, ＿) and without spaces or case."""
    text = unicodedata.normalize("NFKC", str(name or "")).replace("\ufeff", "")
    return "".join(text.split()).casefold()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- reading -------------------------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """The text and a label of its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, Shift_JIS."""
    if content.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "UTF-8 (BOM付き)")]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", "UTF-16")]
    else:
        # Shift_JIS bytes almost never form valid UTF-8, so trying UTF-8 first is a safe test.
        candidates = [("utf-8", "UTF-8"), ("cp932", "Shift_JIS")]
    for codec, label in candidates:
        try:
            return content.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("文字コードを判別できません。UTF-8 または Shift_JIS で保存したファイルを選んでください。")
    )


def parse_file(content: bytes) -> ParsedFile:
    """Rows and every invalid row's reason; a file-level problem is one error at line 0."""
    result = ParsedFile()
    try:
        if len(content) > MAX_FILE_BYTES:
            raise ImportFileError(
                _("ファイルが大きすぎます（上限 %(mb)d MB）。") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        if not content.strip():
            raise ImportFileError(_("ファイルが空です。"))
        text, result.encoding = decode(content)
        if text.lstrip().startswith("{"):
            result.format = "geojson"
            records = _geojson_records(text, result)
        else:
            records = _csv_records(text, result)
        _read_rows(records, result)
    except ImportFileError as exc:
        result.rows = []
        result.errors = [RowError(0, str(exc))]
    return result


@dataclass
class _Record:
    line: int
    cells: dict[str, str]  # original column name → cell text
    point: tuple[float, float] | None = None  # GeoJSON geometry (lat, lng)
    problem: str = ""


def _csv_records(text: str, result: ParsedFile) -> Iterator[_Record]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                if _looks_like_header(cells):
                    header = [c.strip().replace("\ufeff", "") for c in cells]
                    _set_columns(result, header)
                elif start > HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(c.strip() for c in cells):
                continue
            problem = ""
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                problem = _("項目の数（%(n)d）が見出しの列数（%(m)d）より多くなっています。") % {
                    "n": len(cells),
                    "m": len(header),
                }
            yield _Record(
                start,
                dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False)),
                problem=problem,
            )
    except csv.Error as exc:
        raise ImportFileError(
            _("%(line)d行目付近をCSVとして読めません（%(error)s）。") % {"line": line, "error": exc}
        ) from exc
    if header is None:
        hint = _("（Shift_JIS として読みました）") if result.encoding == "Shift_JIS" else ""
        raise ImportFileError(
            _(
                "見出し行が見つかりません%(hint)s。先頭付近に「ID」「名称」「緯度」「経度」などの列名の行が必要です。"
                "文字コード（UTF-8 または Shift_JIS）とファイルの種類を確認してください。"
            )
            % {"hint": hint}
        )


def _looks_like_header(cells: Sequence[str]) -> bool:
    names = {normalize_header(c) for c in cells}
    has = lambda fieldname: any(normalize_header(a) in names for a in FIELD_COLUMNS[fieldname])  # noqa: E731
    return has("name") and (has("key") or has("latitude"))


def _geojson_records(text: str, result: ParsedFile) -> Iterator[_Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            _("GeoJSONとして読めません（%(line)d行目: %(error)s）。") % {"line": exc.lineno, "error": exc.msg}
        ) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise ImportFileError(_("GeoJSONの FeatureCollection（features の一覧）ではありません。"))
    columns: dict[str, None] = {}
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if isinstance(properties, dict):
            columns.update(dict.fromkeys(properties))
    _set_columns(result, list(columns))
    for position, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
        coordinates = geometry.get("coordinates")
        point, problem = None, ""
        if (
            geometry.get("type") == "Point"
            and isinstance(coordinates, list)
            and len(coordinates) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates[:2])
        ):
            point = (float(coordinates[1]), float(coordinates[0]))  # GeoJSON is [longitude, latitude]
        else:
            problem = _("位置（Point の座標）がありません。")
        yield _Record(position, {name: _cell(properties.get(name)) for name in columns}, point, problem)


def _set_columns(result: ParsedFile, columns: list[str]) -> None:
    seen: dict[str, str] = {}
    for name in columns:
        key = normalize_header(name)
        if key and key in seen:
            raise ImportFileError(_("列名「%(name)s」が2回あります。") % {"name": name})
        seen[key] = name
    result.columns = columns
    result.detected_kind = detect_kind(columns)
    missing = [
        FIELD_COLUMNS[f][0]
        for f in REQUIRED_FIELDS
        if column_for(columns, f) is None
        and not (result.format == "geojson" and f in ("latitude", "longitude"))
    ]
    if missing:
        raise ImportFileError(_("必要な列がありません: %(columns)s") % {"columns": "、".join(missing)})


def column_for(columns: Sequence[str], fieldname: str) -> str | None:
    """The file's column holding ``fieldname`` (a Facility field, "key", or a disaster kind)."""
    aliases = KIND_COLUMNS[fieldname] if fieldname in KIND_COLUMNS else FIELD_COLUMNS[fieldname]
    by_name = {normalize_header(c): c for c in columns}
    for alias in aliases:
        if normalize_header(alias) in by_name:
            return by_name[normalize_header(alias)]
    return None


def detect_kind(columns: Sequence[str]) -> str:
    names = {normalize_header(c) for c in columns}
    has = lambda *marks: any(normalize_header(m) in names for m in marks)  # noqa: E731
    if has(*_SHELTERS_MARKS):
        return Kind.SHELTERS
    if any(column_for(columns, kind) for kind in KIND_COLUMNS):
        return Kind.EVACUATION_SPACES
    if has("受入年齢", "一時預かりの有無", "定員"):
        return Kind.CHILDCARE
    return Kind.PUBLIC_FACILITIES


def _read_rows(records: Iterator[_Record], result: ParsedFile) -> None:
    geo = result.format == "geojson"
    first_line: dict[str, int] = {}
    for count, record in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(_("行数が多すぎます（上限 %(n)d 行）。") % {"n": MAX_ROWS})
        problems = [record.problem] if record.problem else []
        row = _row(record, result.columns, problems, geo)
        if row.key in first_line:
            problems.append(
                _("ID「%(key)s」が重複しています（%(where)s と同じ）。")
                % {"key": row.key, "where": RowError(first_line[row.key], "", geo).where}
            )
        elif row.key:
            first_line[row.key] = record.line
        if problems:
            result.errors.extend(RowError(record.line, p, geo) for p in problems)
        else:
            result.rows.append(row)


def _row(record: _Record, columns: list[str], problems: list[str], geo: bool) -> Row:
    mapped = {f: column_for(columns, f) for f in FIELD_COLUMNS}
    text = {f: record.cells.get(c, "").strip() if c else "" for f, c in mapped.items()}
    values: dict[str, Any] = {f: text[f] for f in FIELD_COLUMNS if f not in ("key", "latitude", "longitude")}
    key = text["key"]
    if not key:
        problems.append(_("IDが空欄です。"))
    if not values["name"]:
        problems.append(_("名称が空欄です。"))
    if record.point is not None:
        values["latitude"], values["longitude"] = record.point
        _check_coordinates(*record.point, problems)
    elif not geo:
        values["latitude"], values["longitude"] = _coordinates(text["latitude"], text["longitude"], problems)
    values["capacity"] = _capacity(text["capacity"], mapped["capacity"], problems)
    if values["url"]:
        try:
            URLValidator(schemes=["http", "https"])(values["url"])
        except ValidationError:
            problems.append(
                _("URL「%(url)s」は http:// または https:// で始まるアドレスではありません。")
                % {"url": values["url"]}
            )
    for name, value in values.items():
        limit = getattr(Facility._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            problems.append(
                _("%(column)sが長すぎます（%(limit)d文字まで）。") % {"column": mapped[name], "limit": limit}
            )
    if len(key) > Facility._meta.get_field("dataset_key").max_length:
        problems.append(_("IDが長すぎます。"))
    kinds = _kinds(record.cells, columns, problems)
    used = {c for c in mapped.values() if c} | {column_for(columns, k) for k in KIND_COLUMNS}
    if geo:
        used -= {mapped["latitude"], mapped["longitude"]}  # geometry wins; keep what the file said
    extra = {c: record.cells.get(c, "") for c in columns if c not in used and record.cells.get(c, "")}
    return Row(record.line, key, values, kinds, extra)


def _number(text: str) -> float | None:
    try:
        value = float(unicodedata.normalize("NFKC", text).replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _coordinates(lat_text: str, lng_text: str, problems: list[str]) -> tuple[float | None, float | None]:
    if not lat_text or not lng_text:
        problems.append(_("緯度・経度が空欄です。"))
        return None, None
    lat, lng = _number(lat_text), _number(lng_text)
    if lat is None or lng is None:
        problems.append(
            _("緯度「%(lat)s」・経度「%(lng)s」が数値ではありません。") % {"lat": lat_text, "lng": lng_text}
        )
        return None, None
    _check_coordinates(lat, lng, problems)
    return lat, lng


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _check_coordinates(lat: float, lng: float, problems: list[str]) -> None:
    if _within(lat, LATITUDE_RANGE) and _within(lng, LONGITUDE_RANGE):
        return
    if _within(lng, LATITUDE_RANGE) and _within(lat, LONGITUDE_RANGE):
        problems.append(
            _("緯度と経度が入れ替わっているようです（緯度 %(lat)s、経度 %(lng)s）。")
            % {"lat": lat, "lng": lng}
        )
    else:
        problems.append(
            _("緯度 %(lat)s・経度 %(lng)s は日本国内の位置ではありません。") % {"lat": lat, "lng": lng}
        )


def _capacity(text: str, column: str | None, problems: list[str]) -> int | None:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace("人", "").strip()
    if not cleaned:
        return None
    if not cleaned.isdigit():
        problems.append(
            _("%(column)s「%(value)s」が人数（数字）ではありません。") % {"column": column, "value": text}
        )
        return None
    return int(cleaned)


def _kinds(cells: dict[str, str], columns: list[str], problems: list[str]) -> dict[str, bool] | None:
    found = {kind: column_for(columns, kind) for kind in KIND_COLUMNS}
    if not any(found.values()):
        return None
    kinds = {}
    for kind, column in found.items():
        mark = unicodedata.normalize("NFKC", cells.get(column, "") if column else "").strip().casefold()
        if mark in TRUE_MARKS:
            kinds[kind.value] = True
        elif mark in FALSE_MARKS:
            kinds[kind.value] = False
        else:
            problems.append(
                _("%(column)s の値「%(value)s」は「1」「○」または空欄で指定してください。")
                % {"column": column, "value": cells.get(column, "")}
            )
    return kinds


# --- writing -------------------------------------------------------------------------------------


def export_columns(dataset: FacilityDataset | None) -> list[str]:
    """The columns a dataset is exported with: those of its last import, else its kind's standard."""
    if dataset is None:
        return STANDARD_COLUMNS[Kind.PUBLIC_FACILITIES]
    columns = list(dataset.columns) or STANDARD_COLUMNS[dataset.kind]
    # A GeoJSON's position is its geometry; in CSV it needs columns of its own.
    for fieldname in ("latitude", "longitude"):
        if column_for(columns, fieldname) is None:
            columns.append(FIELD_COLUMNS[fieldname][0])
    return columns


def export_row(facility: Facility, columns: Sequence[str]) -> list[Any]:
    """One facility as cells under ``columns`` (the inverse of reading a row)."""
    shelter = getattr(facility, "shelter", None)
    by_column: dict[str, Any] = {}
    for fieldname in FIELD_COLUMNS:
        column = column_for(columns, fieldname)
        if column is not None and column not in by_column:
            by_column[column] = facility.dataset_key if fieldname == "key" else getattr(facility, fieldname)
    for kind in KIND_COLUMNS:
        column = column_for(columns, kind)
        if column is not None and shelter is not None:
            by_column[column] = "1" if getattr(shelter, kind.value) else ""
    return [by_column[c] if c in by_column else facility.extra.get(c, "") for c in columns]


def kind_mismatch(dataset_kind: str, detected_kind: str) -> str | None:
    """Why a file of ``detected_kind`` must not go into a dataset of ``dataset_kind``, if it must not.

    Only shelter lists are told apart from the rest: a wrong file would replace every shelter.
    """
    if dataset_kind == detected_kind:
        return None
    if dataset_kind in _SHELTER_KINDS or detected_kind in _SHELTER_KINDS:
        return _(
            "このファイルは「%(found)s」の形式です。データセットの種類「%(expected)s」と一致しません。"
        ) % {"found": Kind(detected_kind).label, "expected": Kind(dataset_kind).label}
    return None
