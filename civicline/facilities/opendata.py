"""Reading and writing the open-data files departments already keep (MP-2).

Files come in the national standard formats (自治体標準オープンデータセット: 公共施設一覧,
指定緊急避難場所一覧, 指定避難所一覧, 子育て施設一覧, AED設置箇所一覧…) as CSV — UTF-8 with or
without BOM, or Shift_JIS — or as the GeoJSON the 国土地理院 publishes. Columns are found by name,
whichever version of the standard (or older 推奨データセット, GSI's names, English names) the
file follows, forgiving spelling variants; the ones we do not model are kept per row so that an
export gives the same columns back.

Files as cities really publish them are read as far as they can be: a blank or repeated ID column
gives way to another column or to a key made from name and address, yes-marks with notes
(``○(2階)``) count as yes, numbers mangled by Excel are repaired. Each repair is a warning shown in
the preview; a row is refused only when it cannot be used (no name, no usable position).

Nothing here touches the database: ``parse_file`` turns bytes into rows, refused rows and warnings.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from civicline.core.exports import unescaped_cell

from .models import DisasterKind, Facility, FacilityDataset

Kind = FacilityDataset.Kind

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # some files put a title or a date above the header
# Japan, generously: a coordinate outside is a typo or a swapped pair, not a facility.
LATITUDE_RANGE = (20.0, 46.0)
LONGITUDE_RANGE = (122.0, 154.0)
# Fewer decimals than this puts a point more than about 100 m off: worth a look by staff.
MIN_COORDINATE_DECIMALS = 3
# Fewer than this (0.1° ≈ 11 km, as when Excel shows 3.48E+01) and the point cannot be used.
MIN_USABLE_DECIMALS = 2
DERIVED_KEY_PREFIX = "auto-"
KEY_DERIVED = "derived"
KEY_COLUMN = "column:"
WARNING_LINES_SHOWN = 10

# Column names per field, in order of preference: the current standard, older versions, GSI's
# names, names cities commonly use, and the English names of some cities' open-data sites.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("ID", "共通ID", "NO", "No.", "番号", "通し番号", "施設ID", "施設番号", "#property"),
    "name": (
        "名称",
        "施設・場所名",
        "施設名",
        "施設名称",
        "避難所名",
        "避難所名称",
        "避難場所名",
        "避難場所名称",
        "name",
    ),
    "kana": (
        "名称_カナ",
        "名称カナ",
        "名称(カナ)",
        "名称_かな",
        "ふりがな",
        "フリガナ",
        "よみがな",
        "ヨミガナ",
        "furigana",
        "nameKana",
    ),
    "address": ("住所", "所在地_連結表記", "所在地", "所在地住所", "住所(所在地)", "address"),
    "latitude": ("緯度", "北緯", "latitude", "lat"),
    "longitude": ("経度", "東経", "longitude", "lng", "lon", "long"),
    "phone": ("電話番号", "電話", "TEL", "telephoneNumber", "phone"),
    "hours": ("利用可能日時特記事項", "利用時間", "開館時間", "営業時間", "availableDateNote"),
    "url": ("URL", "ホームページ", "ホームページURL", "HP"),
    "capacity": ("想定収容人数", "収容人数", "収容可能人数", "定員", "capacity"),
    "accessibility": ("バリアフリー情報", "バリアフリー"),
    "description": ("説明", "概要"),
    "notes": ("備考", "note", "notes"),
}
REQUIRED_FIELDS = ("name", "latitude", "longitude")
# The name in other languages, as some cities publish it beside the Japanese (issue 21): the
# standard's 名称_英字, and the words cities use. Read into the facility's translations.
NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "en": ("名称_英字", "名称_英語", "名称(英語)", "英語名称", "英語名", "name_en", "nameEn", "name_english"),
    "zh-hans": (
        "名称_中国語",
        "名称_簡体字",
        "名称(中国語)",
        "中国語名称",
        "name_zh",
        "nameZh",
        "name_zh-hans",
    ),
    "ko": ("名称_韓国語", "名称_ハングル", "名称(韓国語)", "韓国語名称", "name_ko", "nameKo"),
    "vi": ("名称_ベトナム語", "名称(ベトナム語)", "ベトナム語名称", "name_vi", "nameVi"),
    "ja-easy": ("名称_やさしい日本語", "名称(やさしい日本語)", "name_ja-easy"),
}


def name_target(language: str) -> str:
    """How a column of the name in ``language`` is told apart among the file's fields."""
    return f"name@{language}"


NAME_TARGETS = {name_target(code): aliases for code, aliases in NAME_COLUMNS.items()}
# The standard prefixes 災害種別_; GSI's files use the bare names; some cities their own words.
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
_KIND_OTHER_NAMES = {
    # flood_L2 (the largest assumed flood) before flood_L1: a shelter safe only in the smaller
    # flood must not be offered in the larger one.
    DisasterKind.FLOOD: ("flood", "flood_L2", "flood_L1"),
    DisasterKind.LANDSLIDE: ("土砂災害", "sedimentDisaster", "landslide"),
    DisasterKind.STORM_SURGE: ("stormSurge",),
    DisasterKind.EARTHQUAKE: ("earthquake",),
    DisasterKind.TSUNAMI: ("tsunami", "tunami"),
    DisasterKind.FIRE: ("大規模火災", "火災", "fire"),
    DisasterKind.INLAND_FLOOD: ("内水", "inundation", "inlandFlood"),
    DisasterKind.VOLCANO: ("火山", "volcano"),
}
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    kind: (f"災害種別_{suffix}", suffix, *_KIND_OTHER_NAMES[kind]) for kind, suffix in KIND_SUFFIX.items()
}
# Columns holding a local government code, whose leading zero Excel drops (01… 北海道 – 09… 栃木県).
CODE_COLUMNS = (
    "全国地方公共団体コード",
    "所在地_全国地方公共団体コード",
    "都道府県コード又は市区町村コード",
    "市区町村コード",
    "団体コード",
)

# A yes-mark, then anything after it is a note (``○(2階)``, ``〇（グ）``, ``1 2階以上``). Longer
# words first; a digit mark must not be the start of a longer number.
_YES_MARK = re.compile(
    r"(?P<mark>○|〇|◯|●|◎|△|あり|有り|可能|対応|有|可|true|yes|1(?:\.0+)?(?![\d.]))\s*(?P<note>.*)",
    re.IGNORECASE | re.DOTALL,
)
_CONDITIONAL_MARK = "△"
# Read after NFKC and casefold: ー and － are written for "none" as often as ×.
FALSE_MARKS = {"", "0", "0.0", "×", "✕", "✖", "x", "-", "−", "‐", "―", "—", "–", "ー", "無", "無し"}
FALSE_MARKS |= {"なし", "不可", "否", "非対応", "対象外", "false", "no"}
_NOTE_BRACKETS = "()[]{}「」【】〔〕<>《》※:;・ "

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
    """Why a row is refused (or, at line 0, why the whole file is)."""

    line: int  # CSV: the line the record starts on; GeoJSON: the feature's position; 0: the file
    message: str
    is_geojson: bool = False

    @property
    def where(self) -> str:
        return _where(self.line, self.is_geojson)


def _where(line: int, is_geojson: bool) -> str:
    if line == 0:
        return _("ファイル全体")
    return (_("%(n)d件目") if is_geojson else _("%(n)d行目")) % {"n": line}


@dataclass(frozen=True)
class ImportWarning:
    """Something repaired or guessed while reading, and the rows it concerns (none: the header)."""

    message: str
    lines: tuple[int, ...] = ()
    is_geojson: bool = False

    @property
    def where(self) -> str:
        if not self.lines:
            return _("見出し")
        shown = "、".join(_where(line, self.is_geojson) for line in self.lines[:WARNING_LINES_SHOWN])
        rest = len(self.lines) - WARNING_LINES_SHOWN
        return shown + (_(" ほか%(n)d件") % {"n": rest} if rest > 0 else "")


@dataclass
class Row:
    line: int
    key: str
    values: dict[str, Any]  # Facility fields
    kinds: dict[str, bool] | None  # None: the file says nothing about disaster kinds
    extra: dict[str, str]
    # The name in the languages the file has a column for ("" where its cell is blank) (issue 21).
    names: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        return identity(self.values.get("name", ""), self.values.get("address", ""))


@dataclass(frozen=True)
class RefusedRow:
    line: int
    reasons: tuple[str, ...]
    key: str  # "" when the row gave no key (no name and no ID)
    identity: str
    is_geojson: bool = False

    @property
    def where(self) -> str:
        return _where(self.line, self.is_geojson)

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


@dataclass
class ParsedFile:
    format: str = "csv"
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    detected_kind: str = ""
    rows: list[Row] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    key_source: str = ""  # "column:<name>" or "derived"
    key_note: str = ""  # how facilities are told apart, for the preview

    @property
    def errors(self) -> list[RowError]:
        """Every reason, file-level first, then per refused row."""
        geo = self.format == "geojson"
        return [
            *self.file_errors,
            *(RowError(r.line, reason, geo) for r in self.refused for reason in r.reasons),
        ]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.refused

    @property
    def key_column(self) -> str | None:
        return self.key_source.removeprefix(KEY_COLUMN) if self.key_source.startswith(KEY_COLUMN) else None


# --- names and values ---------------------------------------------------------------------------


def normalize_header(name: Any) -> str:
    """Header cells compare after NFKC (full-width letters, ＿) and without spaces or case."""
    text = unicodedata.normalize("NFKC", str(name or "")).replace("\ufeff", "")
    return "".join(text.split()).casefold()


_LOOSE_DROP = re.compile(r"[_・･、,，.。()\[\]{}「」【】〔〕\-‐－―/:#'\"*※]")
_LOOSE_WORDS = (
    ("災害種別", ""),
    ("及び", ""),
    ("がけ", "崖"),
    ("くずれ", "崩れ"),
    ("すべり", "滑り"),
    ("はん濫", "氾濫"),
    ("火災", "火事"),
)
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|「[^」]*」|〔[^〕]*〕")


@lru_cache(maxsize=4096)
def _loose(name: str) -> str:
    """A header with punctuation, the 災害種別 prefix and spelling variants taken away."""
    text = normalize_header(name)
    for old, new in _LOOSE_WORDS:
        text = text.replace(old, new)
    return _LOOSE_DROP.sub("", text)


_CODE_COLUMNS_LOOSE = frozenset(_loose(c) for c in CODE_COLUMNS)


def _unbracketed(name: str) -> str:
    """``緯度(世界測地系)`` → ``緯度``: a note in brackets after the name."""
    return _loose(_BRACKETED.sub("", unicodedata.normalize("NFKC", str(name or ""))))


_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]+")


def widen_kana(text: str) -> str:
    """Half-width katakana (ｼﾐﾝｶｲｶﾝ) in full width; nothing else changes (digits, letters stay)."""
    return _HALF_WIDTH_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def clean_key(value: str) -> str:
    """An ID as the city wrote it, less what spreadsheets add: full width, spaces, ``12.0``."""
    text = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if re.fullmatch(r"\d+\.0+", text):
        return text.split(".")[0]
    return text


def normalize_key(value: str) -> str:
    """IDs compare as the city meant them: ``１２``, ``12.0`` (Excel) and ``012`` are all ``12``."""
    text = clean_key(value)
    return text.lstrip("0") or text if text.isdigit() else text


def _identity_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"(?<=\d)[ー‐―−–—](?=\d)", "-", text)  # 1ー2, 1−2 → 1-2 in addresses
    text = re.sub(r"^(北海道|東京都|京都府|大阪府|\S{2,3}県)", "", text)  # with or without the prefecture
    return re.sub(r"[\s・･,、.。()\[\]「」]", "", text)


def identity(name: str, address: str) -> str:
    """What makes a facility the same one when the file has no usable ID: name and address."""
    return f"{_identity_text(name)}\x1f{_identity_text(address)}"


def derived_key(identity_text: str) -> str:
    return DERIVED_KEY_PREFIX + hashlib.sha256(identity_text.encode()).hexdigest()[:12]


# --- columns ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[str, str]  # field name or disaster kind → the file's column
    key_columns: tuple[str, ...]  # every column that could hold IDs, best first
    guessed: tuple[tuple[str, str], ...] = ()  # (column, standard name) matched by similarity


@lru_cache(maxsize=128)
def map_columns(columns: tuple[str, ...]) -> ColumnMap:
    """Which column holds which field: exact names first, then loosely, then by similarity."""
    targets: dict[str, tuple[str, ...]] = {**FIELD_COLUMNS, **KIND_COLUMNS, **NAME_TARGETS}
    found: dict[str, str] = {}
    claimed: set[str] = set()
    guessed: list[tuple[str, str]] = []
    stages = (normalize_header, _loose, _unbracketed)
    for stage in stages:
        by_name: dict[str, str] = {}
        for column in columns:
            if column not in claimed and stage(column):
                by_name.setdefault(stage(column), column)
        for target, aliases in targets.items():
            if target in found:
                continue
            for alias in aliases:
                column = by_name.get(stage(alias))
                if column is not None and column not in claimed:
                    found[target] = column
                    claimed.add(column)
                    break
    # Misspellings (想定収容人員, 災害種別_崖崩れ、土石流及び地滑) by similarity, for longer names only:
    # two-letter names such as 緯度 and 経度 are too alike to guess between.
    choices = {
        _loose(alias): (target, alias)
        for target, aliases in targets.items()
        if target not in found
        for alias in aliases
        if len(_loose(alias)) >= 4
    }
    for column in columns:
        loose = _loose(column)
        if column in claimed or len(loose) < 4:
            continue
        for match in difflib.get_close_matches(loose, list(choices), n=1, cutoff=0.8):
            target, alias = choices[match]
            if target not in found:
                found[target] = column
                claimed.add(column)
                guessed.append((column, alias))
                choices = {k: v for k, v in choices.items() if v[0] != target}
    key_columns = []
    for stage in stages[:2]:
        for alias in FIELD_COLUMNS["key"]:
            for column in columns:
                if stage(column) == stage(alias) and column not in key_columns:
                    key_columns.append(column)
    if "key" in found and found["key"] not in key_columns:
        key_columns.insert(0, found["key"])
    return ColumnMap(found, tuple(key_columns), tuple(guessed))


def column_for(columns: Sequence[str], fieldname: str) -> str | None:
    """The file's column holding ``fieldname`` (a Facility field, "key", or a disaster kind)."""
    return map_columns(tuple(columns)).fields.get(fieldname)


def detect_kind(columns: Sequence[str]) -> str:
    names = {_loose(c) for c in columns}
    has = lambda *marks: any(_loose(m) in names for m in marks)  # noqa: E731
    if has(*_SHELTERS_MARKS):
        return Kind.SHELTERS
    if any(column_for(columns, kind) for kind in KIND_COLUMNS):
        return Kind.EVACUATION_SPACES
    if has("受入年齢", "一時預かりの有無", "定員"):
        return Kind.CHILDCARE
    return Kind.PUBLIC_FACILITIES


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


def parse_file(content: bytes, *, key_source: str = "") -> ParsedFile:
    """Rows, refused rows with their reasons, and warnings; a file-level problem refuses it all.

    ``key_source`` is how the dataset's last import told facilities apart: kept when it still works.
    """
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
        _read_rows(records, result, key_source)
    except ImportFileError as exc:
        result.rows, result.refused, result.warnings = [], [], []
        result.file_errors = [RowError(0, str(exc))]
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
                # Usually a comma inside an unquoted cell: every value after it is in the wrong column.
                problem = _(
                    "項目の数（%(n)d）が見出しの列数（%(m)d）より多く、列がずれている可能性があります。"
                ) % {"n": len(cells), "m": len(header)}
            # A file exported here and edited comes back with export's formula escapes: taken off.
            cells = [unescaped_cell(cell) for cell in cells]
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
    if not any(c.strip() for c in cells):
        return False
    found = map_columns(tuple(c.strip() for c in cells)).fields
    return "name" in found and ("latitude" in found or "key" in found)


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
    mapping = map_columns(tuple(columns))
    missing = [
        FIELD_COLUMNS[f][0]
        for f in REQUIRED_FIELDS
        if f not in mapping.fields and not (result.format == "geojson" and f in ("latitude", "longitude"))
    ]
    if missing:
        raise ImportFileError(_("必要な列がありません: %(columns)s") % {"columns": "、".join(missing)})
    kinds_found = [kind for kind in KIND_COLUMNS if kind in mapping.fields]
    if kinds_found:
        # Part of the standard's eight columns: the rest are probably misspelt, not absent.
        unread = [
            c
            for c in columns
            if c not in mapping.fields.values() and normalize_header(c).startswith("災害種別")
        ]
        missing = [str(DisasterKind(k).label) for k in KIND_COLUMNS if k not in mapping.fields]
        if missing:
            result.warnings.append(
                ImportWarning(
                    _(
                        "災害種別の列が見つかりません: %(kinds)s。これらの災害では対象外として取り込みます。"
                        "%(unread)s"
                    )
                    % {
                        "kinds": "、".join(missing),
                        "unread": _("読めなかった列: %(columns)s") % {"columns": "、".join(unread)}
                        if unread
                        else "",
                    }
                )
            )
    for column, standard in mapping.guessed:
        result.warnings.append(
            ImportWarning(
                _(
                    "列名「%(column)s」を「%(standard)s」の列として読みました。違う場合は列名を直してください。"
                )
                % {"column": column, "standard": standard}
            )
        )


class _Warnings:
    """Warnings collected per message, with the rows each concerns."""

    def __init__(self) -> None:
        self.lines: dict[str, list[int]] = {}
        self.line = 0

    def add(self, message: str) -> None:
        lines = self.lines.setdefault(message, [])
        if not lines or lines[-1] != self.line:
            lines.append(self.line)

    def result(self, geo: bool) -> list[ImportWarning]:
        return [ImportWarning(m, tuple(lines), geo) for m, lines in self.lines.items()]


@dataclass
class _Pending:
    row: Row
    problems: list[str]
    key_cells: dict[str, str]


def _read_rows(records: Iterator[_Record], result: ParsedFile, key_source: str) -> None:
    geo = result.format == "geojson"
    warnings = _Warnings()
    pending = []
    for count, record in enumerate(records, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(_("行数が多すぎます（上限 %(n)d 行）。") % {"n": MAX_ROWS})
        warnings.line = record.line
        # The header is known once the first record is read (the records come from a generator).
        pending.append(_row(record, result.columns, map_columns(tuple(result.columns)), warnings, geo))
    mapping = map_columns(tuple(result.columns))
    _assign_keys(pending, mapping, result, key_source, warnings)
    for item in pending:
        if item.problems:
            result.refused.append(
                RefusedRow(item.row.line, tuple(item.problems), item.row.key, item.row.identity, geo)
            )
        else:
            result.rows.append(item.row)
    refused_lines = {r.line for r in result.refused}
    for warning in warnings.result(geo):
        # A refused row's repairs do not matter: it is listed with its reasons instead.
        lines = tuple(line for line in warning.lines if line not in refused_lines)
        if lines:
            result.warnings.append(ImportWarning(warning.message, lines, geo))


def _assign_keys(
    pending: list[_Pending], mapping: ColumnMap, result: ParsedFile, preferred: str, warnings: _Warnings
) -> None:
    """Choose how facilities are told apart, the same way for every row of the file.

    An ID column works when every named row has a value and no value repeats. Cities often leave
    the ID column blank, or number rows per district so that numbers repeat; then the next ID-like
    column (NO…) is tried, and failing all, a key made from name and address. The dataset's last
    choice comes first, so that facilities keep their identity from one import to the next.
    """
    named = [p for p in pending if p.row.values["name"]]
    candidates = list(mapping.key_columns)
    preferred_column = preferred.removeprefix(KEY_COLUMN) if preferred.startswith(KEY_COLUMN) else None
    if preferred == KEY_DERIVED:
        order: list[str] = []
    elif preferred_column in candidates:
        order = [preferred_column, *(c for c in candidates if c != preferred_column)]
    else:
        order = candidates
    key_limit = Facility._meta.get_field("dataset_key").max_length
    rejected = []
    for column in order:
        values = [normalize_key(p.key_cells[column]) for p in named]
        filled = [v for v in values if v]
        blanks, repeats = len(values) - len(filled), len(filled) - len(set(filled))
        if not blanks and not repeats and all(len(v) <= key_limit for v in filled):
            for item in pending:
                item.row.key = item.key_cells[column]
                item.row.extra.pop(column, None)  # the key is the facility's ID, not an extra cell
            result.key_source = KEY_COLUMN + column
            result.key_note = _key_note(column, rejected, preferred)
            return
        rejected.append(_rejected_column(column, blanks, repeats))
    first_line: dict[str, int] = {}
    for item in pending:
        if not item.row.values["name"]:
            item.row.key = ""
            continue
        base = derived_key(item.row.identity)
        key, n = base, 1
        while key in first_line:
            n += 1
            key = f"{base}-{n}"
        if n > 1:
            warnings.line = item.row.line
            warnings.add(
                _(
                    "名称と住所が同じ行が複数あります（%(where)s と同じ）。別の施設として取り込みます。"
                    "同じ施設なら行を削除してください。"
                )
                % {"where": _where(first_line[base], result.format == "geojson")}
            )
        first_line[key] = item.row.line
        item.row.key = key
    result.key_source = KEY_DERIVED
    result.key_note = _key_note(None, rejected, preferred)


def _rejected_column(column: str, blanks: int, repeats: int) -> str:
    parts = []
    if blanks:
        parts.append(_("空欄 %(n)d行") % {"n": blanks})
    if repeats:
        parts.append(_("重複 %(n)d件") % {"n": repeats})
    if not parts:
        parts.append(_("長すぎる値"))
    return _("「%(column)s」の列（%(why)s）") % {"column": column, "why": "・".join(parts)}


def _key_note(column: str | None, rejected: list[str], preferred: str) -> str:
    why = "、".join(rejected)
    if column is not None:
        if rejected:
            return _("%(why)sでは施設を見分けられないため、「%(column)s」の列で見分けます。") % {
                "why": why,
                "column": column,
            }
        return _("「%(column)s」の列で施設を見分けます（同じ値の施設を更新します）。") % {"column": column}
    text = _(
        "名称と住所から施設を見分けるキー（%(prefix)s…）を作りました。"
        "同じ名称・住所の施設は、次に取り込むときも同じ施設として扱います。"
    ) % {"prefix": DERIVED_KEY_PREFIX}
    if preferred == KEY_DERIVED:
        return _("前回の取り込みと同じく、") + text
    if rejected:
        return _("%(why)sでは施設を見分けられないため、") % {"why": why} + text
    return _("IDの列がないため、") + text


def _row(record: _Record, columns: list[str], mapping: ColumnMap, warn: _Warnings, geo: bool) -> _Pending:
    problems = [record.problem] if record.problem else []
    text = {
        f: widen_kana(record.cells.get(mapping.fields[f], "").strip()) if f in mapping.fields else ""
        for f in FIELD_COLUMNS
    }
    values: dict[str, Any] = {f: text[f] for f in FIELD_COLUMNS if f not in ("key", "latitude", "longitude")}
    extra_raw: dict[str, str] = {}
    if not values["name"]:
        problems.append(_("名称が空欄です。"))
    if record.point is not None:
        position = _check_coordinates(*record.point, problems, warn)
    elif not geo:
        position = _coordinates(text["latitude"], text["longitude"], problems, warn)
    else:
        position = None
    values["latitude"], values["longitude"] = position or (None, None)
    capacity_column = mapping.fields.get("capacity")
    values["capacity"] = _capacity(text["capacity"], capacity_column, warn)
    if values["capacity"] is None and text["capacity"] and capacity_column:
        extra_raw[capacity_column] = record.cells[capacity_column].strip()
    values["url"] = _url(values["url"], warn)
    if values["url"] == "" and text["url"]:
        extra_raw[mapping.fields["url"]] = record.cells[mapping.fields["url"]].strip()
    values["phone"] = _phone(values["phone"], warn)
    kinds, notes, marks = _kinds(record.cells, mapping, warn)
    if notes:
        values["description"] = _with_kind_notes(values["description"], notes)
    extra_raw.update(marks)
    for name, value in values.items():
        limit = getattr(Facility._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            values[name] = value[:limit]
            warn.add(
                _("%(column)sが長すぎるため、%(limit)d文字までを取り込みます。")
                % {"column": mapping.fields.get(name, name), "limit": limit}
            )
    used = set(mapping.fields.values()) - set(mapping.key_columns)
    if geo:
        used -= {mapping.fields.get("latitude"), mapping.fields.get("longitude")}  # geometry wins
    extra = {
        c: _repaired_code(c, record.cells[c], warn)
        for c in columns
        if c not in used and record.cells.get(c, "")
    }
    extra.update(extra_raw)
    key_cells = {c: clean_key(record.cells.get(c, "")) for c in mapping.key_columns}
    longest = Facility._meta.get_field("name").max_length
    names = {
        code: record.cells.get(mapping.fields[name_target(code)], "").strip()[:longest]
        for code in NAME_COLUMNS
        if name_target(code) in mapping.fields
    }
    return _Pending(Row(record.line, "", values, kinds, extra, names), problems, key_cells)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


_DMS = re.compile(
    r"(?P<d>\d{1,3}(?:\.\d+)?)[°度]\s*(?:(?P<m>\d{1,2}(?:\.\d+)?)['′’分]\s*(?:(?P<s>\d{1,2}(?:\.\d+)?)[\"″”秒]?)?)?"
)
_HEMISPHERE = re.compile(r"^(北緯|東経|北|東|[NE])\s*|\s*[NE]$", re.IGNORECASE)


def _coordinate(text: str, label: str, warn: _Warnings) -> Decimal | None:
    """A latitude or longitude as written by people and spreadsheets, or None."""
    cleaned = _HEMISPHERE.sub("", unicodedata.normalize("NFKC", text).strip()).strip()
    dms = _DMS.fullmatch(cleaned)
    if dms and (dms["m"] or dms["s"]):
        warn.add(_("%(label)sが度分秒で書かれていたため、10進数に直しました。") % {"label": label})
        degrees = Decimal(dms["d"]) + Decimal(dms["m"] or 0) / 60 + Decimal(dms["s"] or 0) / 3600
        return degrees.quantize(Decimal("0.0000001"))
    if dms:
        cleaned = dms["d"]  # 34.7812° or 34.7812度
    if re.fullmatch(r"\d{2,3},\d+", cleaned):
        warn.add(_("%(label)sの小数点がコンマ（,）だったため、ピリオドとして読みました。") % {"label": label})
        cleaned = cleaned.replace(",", ".")
    value = _decimal(cleaned)
    if value is not None and "e" in cleaned.casefold():
        warn.add(
            _("%(label)sが指数表記（Excelの表示形式、例: 3.48E+01）だったため、数値に直しました。")
            % {"label": label}
        )
    return value


def _decimals(value: Decimal) -> int:
    """Digits after the point as written: 34.80 has 2, 3.48E+01 has 1."""
    return max(-int(value.as_tuple().exponent), 0)


def _coordinates(
    lat_text: str, lng_text: str, problems: list[str], warn: _Warnings
) -> tuple[float, float] | None:
    if not lat_text or not lng_text:
        problems.append(_("緯度・経度が空欄です。"))
        return None
    lat, lng = _coordinate(lat_text, _("緯度"), warn), _coordinate(lng_text, _("経度"), warn)
    if lat is None or lng is None:
        problems.append(
            _("緯度「%(lat)s」・経度「%(lng)s」が数値ではありません。") % {"lat": lat_text, "lng": lng_text}
        )
        return None
    position = _check_coordinates(float(lat), float(lng), problems, warn)
    decimals = min(_decimals(lat), _decimals(lng))
    if position is not None and decimals < MIN_COORDINATE_DECIMALS:
        # 0.1° is about 11 km: such a point would send residents to the wrong place.
        distance = _("約%(km)skm") % {"km": f"{111 / 10**decimals:g}"}
        message = _(
            "緯度「%(lat)s」・経度「%(lng)s」は小数点以下%(n)d桁までしかなく、位置が%(distance)sずれている"
            "可能性があります（Excelの表示形式で桁が落ちた値かもしれません）。"
        ) % {"lat": lat_text, "lng": lng_text, "n": decimals, "distance": distance}
        if decimals < MIN_USABLE_DECIMALS:
            problems.append(message)
            return None
        warn.add(message)
    return position


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _check_coordinates(
    lat: float, lng: float, problems: list[str], warn: _Warnings
) -> tuple[float, float] | None:
    if lat == lng:
        # A pasted column twice: which one is right cannot be told.
        problems.append(_("緯度と経度が同じ値（%(value)s）です。どちらかが誤っています。") % {"value": lat})
        return None
    if _within(lat, LATITUDE_RANGE) and _within(lng, LONGITUDE_RANGE):
        return lat, lng
    if _within(lng, LATITUDE_RANGE) and _within(lat, LONGITUDE_RANGE):
        # Japan's latitudes and longitudes do not overlap, so a swapped pair is unambiguous.
        warn.add(_("緯度と経度が入れ替わっていたため、入れ替えて取り込みます。"))
        return lng, lat
    problems.append(
        _("緯度 %(lat)s・経度 %(lng)s は日本国内の位置ではありません。") % {"lat": lat, "lng": lng}
    )
    return None


def _capacity(text: str, column: str | None, warn: _Warnings) -> int | None:
    cleaned = re.sub(r"[,\s人名約]|程度|以上$", "", unicodedata.normalize("NFKC", text))
    if not cleaned:
        return None
    value = _decimal(cleaned)
    if value is not None and value >= 0 and value == value.to_integral_value():
        return int(value)
    warn.add(
        _(
            "%(column)sを人数（数字）として読めない行は、人数を登録せず元の値を残します"
            "（例: 屋内・屋外の内訳）。"
        )
        % {"column": column}
    )
    return None


def _url(url: str, warn: _Warnings) -> str:
    if not url:
        return ""
    validate = URLValidator(schemes=["http", "https"])
    try:
        validate(url)
        return url
    except ValidationError:
        pass
    if re.match(r"www\.|[a-z0-9-]+\.(?:lg\.jp|go\.jp|jp|com|net|org)/", url, re.IGNORECASE):
        try:
            validate("https://" + url)
        except ValidationError:
            pass
        else:
            warn.add(_("URLに https:// がなかったため、補いました。"))
            return "https://" + url
    warn.add(
        _(
            "URLが http:// または https:// で始まるアドレスではないため、"
            "URLを登録しません（元の値は残します）。"
        )
    )
    return ""


def _phone(phone: str, warn: _Warnings) -> str:
    digits = unicodedata.normalize("NFKC", phone)
    if re.fullmatch(r"[1-9]\d{8,9}(?:\.0+)?", digits):
        # Japanese numbers all start with 0 (10 digits, mobiles 11); Excel drops it as a number's zero.
        warn.add(_("電話番号の先頭の0が消えていたため、補いました。"))
        return "0" + str(int(Decimal(digits)))
    return phone


def _check_digit(code5: str) -> str:
    """The check digit of a 5-digit local government code (JIS X 0402)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def _repaired_code(column: str, value: str, warn: _Warnings) -> str:
    """A 6-digit local government code whose leading zero Excel dropped (92011 → 092011).

    These columns hold the 6-digit code (5 digits and a check digit); five digits whose padded form
    has the right check digit lost their zero (01… 北海道 – 09… 栃木県). Anything else stays as it was.
    """
    if _loose(column) not in _CODE_COLUMNS_LOOSE:
        return value
    digits = value.strip()
    if re.fullmatch(r"\d+\.0+", digits):
        digits = digits.split(".")[0]
    padded = "0" + digits
    if re.fullmatch(r"[1-9]\d{4}", digits) and padded[5] == _check_digit(padded[:5]):
        warn.add(_("%(column)s の先頭の0が消えていたため、補いました。") % {"column": column})
        return padded
    return value


def read_mark(cell: str) -> tuple[bool | None, str]:
    """A disaster-kind cell: (designated?, note). None when the cell cannot be read as either."""
    text = unicodedata.normalize("NFKC", cell or "").strip()
    if text.casefold() in FALSE_MARKS:
        return False, ""
    match = _YES_MARK.fullmatch(text)
    if match is None:
        # ×（小規模のみ）: a no with a remark is still a no.
        no = re.fullmatch(r"(?P<mark>[^\s(\[【]+)\s*[(\[【].*", text, re.DOTALL)
        if no and no["mark"].casefold() in FALSE_MARKS:
            return False, ""
        return None, ""
    note = match["note"].strip().strip(_NOTE_BRACKETS).strip()
    if match["mark"] == _CONDITIONAL_MARK:
        # △ marks a conditional designation (e.g. upper floors only): offered, with the condition.
        note = _("条件付き") + (f"（{note}）" if note else "")
    return True, note


def _kinds(
    cells: dict[str, str], mapping: ColumnMap, warn: _Warnings
) -> tuple[dict[str, bool] | None, dict[str, str], dict[str, str]]:
    """Kinds covered, the notes by kind (``○(2階)`` → 2階), and the cells that carried a note."""
    found = {kind: mapping.fields.get(kind) for kind in KIND_COLUMNS}
    if not any(found.values()):
        return None, {}, {}
    kinds, notes, marks = {}, {}, {}
    for kind, column in found.items():
        cell = cells.get(column, "") if column else ""
        designated, note = read_mark(cell)
        if designated is None:
            warn.add(
                _(
                    "%(column)s の値「%(value)s」を読めないため、対象外として取り込みました。"
                    "確認してください。"
                )
                % {"column": column, "value": cell}
            )
            designated = False
        kinds[kind.value] = designated
        if note:
            notes[kind] = note
            marks[column] = cell.strip()
            if cell.strip().startswith(_CONDITIONAL_MARK):
                warn.add(_("「△」（条件付き）は対象に含め、条件を説明に残しました。"))
            else:
                warn.add(_("災害種別の「○」に添えられた注記（例: ○(2階)）は説明に残しました。"))
    return kinds, notes, marks


def kind_notes_text(notes: dict[str, str]) -> str:
    return _("【災害種別の注記】") + " ／ ".join(
        f"{DisasterKind(kind).label}: {note}" for kind, note in notes.items()
    )


def _with_kind_notes(description: str, notes: dict[str, str]) -> str:
    """The description with the kinds' notes added once (an exported file brings them back)."""
    line = kind_notes_text(notes)
    if line in description:
        return description
    return f"{description}\n{line}" if description else line


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


def export_key_column(dataset: FacilityDataset | None, columns: Sequence[str]) -> str | None:
    """The column the dataset's IDs go back into: the one its last import took them from.

    A dataset keyed by name and address writes no key: its ID column goes back as it came (blank).
    """
    if dataset is not None and dataset.key_source == KEY_DERIVED:
        return None
    if dataset is not None and dataset.key_source.startswith(KEY_COLUMN):
        column = dataset.key_source.removeprefix(KEY_COLUMN)
        if column in columns:
            return column
    return column_for(columns, "key")


def export_row(facility: Facility, columns: Sequence[str], *, key_column: str | None = "") -> list[Any]:
    """One facility as cells under ``columns`` (the inverse of reading a row).

    ``key_column`` "" means the columns' usual ID column; None writes the ID nowhere.
    """
    shelter = getattr(facility, "shelter", None)
    extra = facility.extra or {}
    by_column: dict[str, Any] = {}
    if key_column == "":
        key_column = column_for(columns, "key")
    if key_column is not None:
        by_column[key_column] = facility.dataset_key
    for fieldname in FIELD_COLUMNS:
        column = column_for(columns, fieldname)
        if fieldname == "key" or column is None or column in by_column:
            continue
        value = getattr(facility, fieldname)
        # A cell kept as it was (capacity 屋内100人／屋外50人, a URL without scheme) goes back as it came.
        by_column[column] = extra.get(column, value) if value in (None, "") else value
    for code in NAME_COLUMNS:
        column = column_for(columns, name_target(code))
        if column is not None and column not in by_column:
            by_column[column] = ((facility.translations or {}).get(code) or {}).get("name", "")
    for kind in KIND_COLUMNS:
        column = column_for(columns, kind)
        if column is not None and shelter is not None:
            designated = getattr(shelter, kind.value)
            by_column[column] = (extra.get(column) or "1") if designated else ""
    return [by_column[c] if c in by_column else extra.get(c, "") for c in columns]


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
