"""Rich menu images drawn by civicline (RM-5): tiles, icons, labels and the tab strip.

A tab is first laid out as a ``Scene`` (rounded tiles, pictures, icons, text lines with their font
size already fitted), then written by one of two back ends: Pillow, for the JPEG LINE shows (at most
1 MB, exactly the menu's size), or SVG, the editable source designers download. Both read the same
scene, so the SVG shows what the JPEG shows.

Labels are drawn with a Japanese font from the OS (Noto Sans CJK JP, Debian's fonts-noto-cjk, or
settings.RICHMENU_FONT). They are fitted to at most two lines and never drawn smaller than
``MIN_LABEL_PX`` (about 12 px on a phone 390 px wide): a label that cannot fit is refused with a
message asking for a shorter one, rather than drawn unreadably.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from . import icons, layouts

MAX_JPEG_BYTES = 1024 * 1024  # LINE's limit for a rich menu image
DRAWING_VERSION = 2  # raise when the same draft would be drawn differently (cached pictures expire)
JPEG_QUALITIES = (92, 88, 82, 75, 68, 60, 50)
MIN_LABEL_PX = 72
TAB_LABEL_PX = 74
FONT_FAMILY = "Noto Sans CJK JP"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

BACKGROUND = "#ffffff"
GUTTER = 12  # half the gap between tiles, and the margin at the image's edges
TILE_RADIUS = 30
DARK_TEXT = "#1f2937"
LIGHT_TEXT = "#ffffff"
TAB_IDLE = "#e6eaef"
TAB_IDLE_TEXT = "#374151"
EDGE = "#cfd6de"

# Characters a Japanese line must not start with, or end with (禁則処理, simplified).
NO_LINE_START = set(
    "、。，．,.・：；？！?!)）］]｝}〕〉》」』】ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
)
NO_LINE_END = set("(（［[｛{〔〈《「『【")


class FontMissing(ValidationError):
    """No Japanese font on this server: the menu cannot be drawn (an installation problem)."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int


# The face of Noto's CJK collection drawn for a language (issue 21): Chinese and Korean readers expect
# their own shapes of the characters the scripts share; every other language (Vietnamese and English
# too: the collection has their Latin letters and diacritics) is drawn with the Japanese face.
REGION_FACES = {"zh-hans": "SC", "ko": "KR"}
_drawing_language: ContextVar[str] = ContextVar("richmenu_drawing_language", default="ja")


@contextmanager
def drawing_in(language: str) -> Iterator[None]:
    """Labels drawn inside the block use the face for ``language``."""
    token = _drawing_language.set(language)
    try:
        yield
    finally:
        _drawing_language.reset(token)


def _region() -> str:
    return REGION_FACES.get(_drawing_language.get(), "JP")


@lru_cache(maxsize=8)
def _font_file(configured: str, region: str = "JP") -> FontFile:
    paths = [configured] if configured else list(FONT_CANDIDATES)
    for path in paths:
        if not Path(path).is_file():
            continue
        # A .ttc holds several faces, named by region (Japanese: index 0 in Noto's collection).
        for index in range(12):
            try:
                font = ImageFont.truetype(path, 20, index=index)
            except OSError:
                break
            if region in font.getname()[0] or not path.endswith(".ttc"):
                return FontFile(path, index)
        return FontFile(path, 0)
    raise FontMissing(
        _(
            "メニュー画像の描画に使う日本語フォントがサーバーにありません。"
            "システム管理者に fonts-noto-cjk パッケージのインストール（または RICHMENU_FONT の設定）を"
            "依頼してください。"
        )
    )


def font(size: int) -> ImageFont.FreeTypeFont:
    return _font(size, _region())


@lru_cache(maxsize=128)
def _font(size: int, region: str) -> ImageFont.FreeTypeFont:
    found = _font_file(settings.RICHMENU_FONT, region)
    return ImageFont.truetype(found.path, size, index=found.index)


def check_font() -> None:
    """Raise ``FontMissing`` now rather than half-way through a publish."""
    font(MIN_LABEL_PX)


# --- colour -----------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def ink_for(background: str) -> str:
    """White text when it reads well on ``background`` (WCAG 3:1 for large bold text), else dark."""
    return LIGHT_TEXT if contrast(background, LIGHT_TEXT) >= 3.0 else DARK_TEXT


# --- text -------------------------------------------------------------------------------------------


def _width(text: str, size: int) -> float:
    return font(size).getlength(text)


def _tokens(text: str) -> list[str]:
    """Units a line may break between: one Japanese character, or a whole run of Latin letters/digits."""
    tokens: list[str] = []
    for char in text:
        if (
            tokens
            and char.isascii()
            and char.isalnum()
            and tokens[-1][-1:].isascii()
            and tokens[-1][-1:].isalnum()
        ):
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _break_allowed(left: str, right: str) -> bool:
    return bool(left.strip()) and right[0] not in NO_LINE_START and left[-1] not in NO_LINE_END


def wrap(text: str, size: int, max_width: float) -> list[str] | None:
    """The label in one line, or two balanced lines, that fit ``max_width``; None if it cannot.

    A line break typed by staff is kept as it is.
    """
    text = text.strip()
    if "\n" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        ok = len(lines) <= 2 and all(_width(line, size) <= max_width for line in lines)
        return lines if ok else None
    if _width(text, size) <= max_width:
        return [text]
    tokens = _tokens(text)
    best: list[str] | None = None
    best_width = float("inf")
    for cut in range(1, len(tokens)):
        left, right = "".join(tokens[:cut]).rstrip(), "".join(tokens[cut:]).lstrip()
        if not right or not _break_allowed(left, right):
            continue
        widest = max(_width(left, size), _width(right, size))
        if widest <= max_width and widest < best_width:
            best, best_width = [left, right], widest
    return best


@dataclass(frozen=True)
class FittedText:
    lines: list[str]
    size: int

    @property
    def line_height(self) -> int:
        return round(self.size * 1.28)

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def fit(text: str, *, max_size: int, max_width: float, max_height: float) -> FittedText | None:
    """The largest size (from ``max_size`` down to ``MIN_LABEL_PX``) at which the label fits."""
    size = max_size
    while size >= MIN_LABEL_PX:
        lines = wrap(text, size, max_width)
        if lines is not None:
            fitted = FittedText(lines, size)
            if fitted.height <= max_height:
                return fitted
        size -= 4
    return None


# --- the scene --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """A filled rounded rectangle (``radii``: top-left, top-right, bottom-right, bottom-left)."""

    box: layouts.Box
    colour: str
    radii: tuple[int, int, int, int] = (0, 0, 0, 0)
    element_id: str = ""


@dataclass(frozen=True)
class Picture:
    box: layouts.Box
    image: Image.Image  # already exactly box-sized
    radius: int = 0
    element_id: str = ""


@dataclass(frozen=True)
class IconMark:
    key: str
    x: int
    y: int
    size: int
    colour: str
    element_id: str = ""


@dataclass(frozen=True)
class TextLines:
    text: FittedText
    centre_x: int
    top: int
    colour: str
    element_id: str = ""


@dataclass
class Scene:
    width: int
    height: int
    background: str = BACKGROUND
    items: list[Panel | Picture | IconMark | TextLines] = field(default_factory=list)


@dataclass(frozen=True)
class TileSpec:
    """What a tile looks like (its action is the LINE side's business)."""

    label: str
    colour: str
    icon: str = ""
    image: bytes | None = None  # an uploaded picture (PNG/JPEG), filling the tile
    external: bool = False  # opens a site outside LINE and the city's pages: marked in the corner


@dataclass(frozen=True)
class TabSpec:
    size: str
    layout: str
    tiles: Sequence[TileSpec]
    tab_titles: Sequence[str] = ()  # every tab's title, when the menu has several
    tab_index: int = 0
    theme: str = "#0b5cad"
    heading: str = ""  # a band across the top of a single-tab menu (e.g. 災害時緊急メニュー)
    design: bytes | None = None  # a finished image from a designer, used as it is

    @property
    def with_strip(self) -> bool:
        return len(self.tab_titles) > 1 or bool(self.heading.strip())


class LabelTooLong(ValidationError):
    pass


def _open_image(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.exif_transpose(image).convert("RGBA")


def _cover(data: bytes, width: int, height: int) -> Image.Image:
    """The picture scaled to cover ``width`` × ``height`` and cropped around its centre."""
    return ImageOps.fit(_open_image(data), (width, height), Image.Resampling.LANCZOS)


def _strip_label(title: str, box: layouts.Box, size: int, colour: str, element_id: str) -> TextLines:
    fitted = fit(title, max_size=size, max_width=box.width - 40, max_height=box.height)
    if fitted is None:
        raise LabelTooLong(_("「%(title)s」が長すぎます。短くしてください。") % {"title": title})
    return TextLines(
        fitted, box.x + box.width // 2, box.y + (box.height - fitted.height) // 2, colour, element_id
    )


def _heading(scene: Scene, spec: TabSpec, size: layouts.Size) -> None:
    band = layouts.Box(0, 0, size.width, size.tab_strip)
    scene.items.append(Panel(band, spec.theme, element_id="heading"))
    scene.items.append(
        _strip_label(
            spec.heading.strip(), band, round(TAB_LABEL_PX * 1.15), ink_for(spec.theme), "heading-label"
        )
    )


def _tab_strip(scene: Scene, spec: TabSpec, size: layouts.Size) -> None:
    boxes = layouts.tab_boxes(size, len(spec.tab_titles))
    if not boxes:
        if spec.with_strip:
            _heading(scene, spec, size)
        return
    base = size.tab_strip - 10  # the theme-coloured rule under the tabs
    scene.items.append(Panel(layouts.Box(0, base, size.width, size.height - base), spec.theme))
    scene.items.append(Panel(layouts.Box(0, base + 10, size.width, size.height - base - 10), BACKGROUND))
    for index, (box, title) in enumerate(zip(boxes, spec.tab_titles, strict=True)):
        active = index == spec.tab_index
        top = box.y + (14 if active else 26)
        tab = layouts.Box(box.x + GUTTER, top, box.width - 2 * GUTTER, base - top + (10 if active else 0))
        colour = spec.theme if active else TAB_IDLE
        scene.items.append(Panel(tab, colour, (26, 26, 0, 0), element_id=f"tab-{index + 1}"))
        ink = ink_for(spec.theme) if active else TAB_IDLE_TEXT
        scene.items.append(_strip_label(title, tab, TAB_LABEL_PX, ink, f"tab-{index + 1}-label"))


def _external_mark(scene: Scene, number: int, inner: layouts.Box, tile: TileSpec) -> None:
    """The corner mark of a tile that leaves LINE, so residents know before they tap (a disc in the
    label's colour with the arrow in the tile's colour, as web pages mark their external links)."""
    size = max(72, round(min(inner.width, inner.height) * 0.2))
    margin = round(size * 0.35)
    disc = layouts.Box(inner.x + inner.width - size - margin, inner.y + margin, size, size)
    ink = ink_for(tile.colour)
    scene.items.append(Panel(disc, ink, (size // 2,) * 4, element_id=f"tile-{number}-external"))
    arrow = round(size * 0.62)
    offset = (size - arrow) // 2
    scene.items.append(IconMark("external", disc.x + offset, disc.y + offset, arrow, tile.colour))


def _tile(scene: Scene, number: int, box: layouts.Box, tile: TileSpec) -> None:
    inner = layouts.Box(box.x + GUTTER, box.y + GUTTER, box.width - 2 * GUTTER, box.height - 2 * GUTTER)
    _tile_body(scene, number, inner, tile)
    if tile.external:
        _external_mark(scene, number, inner, tile)


def _tile_body(scene: Scene, number: int, inner: layouts.Box, tile: TileSpec) -> None:
    tile_id = f"tile-{number}"
    label = tile.label.strip()
    if tile.image:
        scene.items.append(
            Picture(inner, _cover(tile.image, inner.width, inner.height), TILE_RADIUS, element_id=tile_id)
        )
        if label:
            _picture_caption(scene, number, inner, tile)
        return
    if contrast(tile.colour, BACKGROUND) < 1.25:
        # A very light tile on the white background gets an edge, or it would have no shape.
        scene.items.append(Panel(inner, EDGE, (TILE_RADIUS,) * 4))
        inner = layouts.Box(inner.x + 4, inner.y + 4, inner.width - 8, inner.height - 8)
    scene.items.append(Panel(inner, tile.colour, (TILE_RADIUS,) * 4, element_id=tile_id))
    ink = ink_for(tile.colour)
    pad = max(28, inner.width // 18)
    wide = inner.width >= inner.height * 1.9
    if wide:
        # A wide tile reads left to right: the icon beside a larger label.
        icon_size = round(inner.height * 0.52) if tile.icon else 0
        gap = round(icon_size * 0.25) if tile.icon else 0
        max_size = min(150, round(inner.height * 0.24))
        fitted = _fit_label(
            label, number, max_size, inner.width - 2 * pad - icon_size - gap, inner.height - 2 * pad
        )
        text_width = max(round(_width(line, fitted.size)) for line in fitted.lines)
        left = inner.x + (inner.width - icon_size - gap - text_width) // 2
        if tile.icon:
            scene.items.append(
                IconMark(
                    tile.icon,
                    left,
                    inner.y + (inner.height - icon_size) // 2,
                    icon_size,
                    ink,
                    f"{tile_id}-icon",
                )
            )
        centre = left + icon_size + gap + text_width // 2
        top = inner.y + (inner.height - fitted.height) // 2
        scene.items.append(TextLines(fitted, centre, top, ink, element_id=f"{tile_id}-label"))
        return
    tall = inner.height >= inner.width * 1.5
    max_size = min(132 if tall else 116, max(MIN_LABEL_PX, round(inner.height * 0.135)))
    icon_size = round(min(inner.width * (0.55 if tall else 0.42), inner.height * 0.40)) if tile.icon else 0
    fitted = _fit_label(label, number, max_size, inner.width - 2 * pad, inner.height - icon_size - 2 * pad)
    gap = round(inner.height * 0.06) if tile.icon else 0
    block = icon_size + gap + fitted.height
    top = inner.y + (inner.height - block) // 2
    if tile.icon:
        x = inner.x + (inner.width - icon_size) // 2
        scene.items.append(IconMark(tile.icon, x, top, icon_size, ink, f"{tile_id}-icon"))
    centre = inner.x + inner.width // 2
    scene.items.append(TextLines(fitted, centre, top + icon_size + gap, ink, element_id=f"{tile_id}-label"))


def _picture_caption(scene: Scene, number: int, inner: layouts.Box, tile: TileSpec) -> None:
    """A label over an uploaded picture: a band in the tile's colour along the bottom."""
    max_size = min(104, max(MIN_LABEL_PX, round(inner.height * 0.12)))
    fitted = _fit_label(tile.label.strip(), number, max_size, inner.width - 60, inner.height // 2)
    band_height = fitted.height + 36
    band = layouts.Box(inner.x, inner.y + inner.height - band_height, inner.width, band_height)
    scene.items.append(Panel(band, tile.colour, (0, 0, TILE_RADIUS, TILE_RADIUS), f"tile-{number}-band"))
    scene.items.append(
        TextLines(fitted, band.x + band.width // 2, band.y + 18, ink_for(tile.colour), f"tile-{number}-label")
    )


def _fit_label(label: str, number: int, max_size: int, max_width: float, max_height: float) -> FittedText:
    fitted = fit(label, max_size=max_size, max_width=max_width, max_height=max_height)
    if fitted is None:
        raise LabelTooLong(
            _(
                "タイル%(number)dの文字「%(label)s」が長すぎて、スマートフォンで読める大きさで収まりません。"
                "短くするか、改行を入れて2行にしてください。"
            )
            % {"number": number, "label": label}
        )
    return fitted


def compose(spec: TabSpec) -> Scene:
    """Lay out one tab of a menu. Raises ``LabelTooLong`` / ``FontMissing`` / ``ValidationError``."""
    size = layouts.SIZES[spec.size]
    scene = Scene(size.width, size.height)
    if spec.design is not None:
        scene.items.append(
            Picture(layouts.Box(0, 0, size.width, size.height), design_image(spec.design, size))
        )
        return scene
    template = layouts.TEMPLATES[spec.layout]
    if len(spec.tiles) != template.tile_count:
        raise ValidationError(_("このレイアウトのタイルは%(count)d個です。") % {"count": template.tile_count})
    check_font()
    _tab_strip(scene, spec, size)
    for number, (box, tile) in enumerate(
        zip(layouts.tile_boxes(template, spec.with_strip), spec.tiles, strict=True), start=1
    ):
        _tile(scene, number, box, tile)
    return scene


def design_image(data: bytes, size: layouts.Size) -> Image.Image:
    """A designer's finished image, which must be exactly the menu's size."""
    image = _open_image(data)
    if image.size != (size.width, size.height):
        raise ValidationError(
            _("デザイン画像の大きさは %(w)d×%(h)d ピクセルにしてください（この画像は %(iw)d×%(ih)d）。")
            % {"w": size.width, "h": size.height, "iw": image.width, "ih": image.height}
        )
    return image


# --- Pillow back end --------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _corner(radius: int) -> Image.Image:
    """A quarter disc (top-left corner) drawn 4× larger and scaled down, for smooth rounded corners."""
    k = 4
    big = Image.new("L", (radius * k, radius * k), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * radius * k - 1, 2 * radius * k - 1), fill=255)
    return big.resize((radius, radius), Image.Resampling.LANCZOS)


def _rounded_mask(width: int, height: int, radii: tuple[int, int, int, int]) -> Image.Image:
    """A mask with each corner (top-left, top-right, bottom-right, bottom-left) rounded by its radius."""
    mask = Image.new("L", (width, height), 255)
    turns = (
        None,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.ROTATE_180,
        Image.Transpose.FLIP_TOP_BOTTOM,
    )
    for radius, turn, (x, y) in zip(radii, turns, ((0, 0), (1, 0), (1, 1), (0, 1)), strict=True):
        if radius:
            corner = _corner(radius) if turn is None else _corner(radius).transpose(turn)
            mask.paste(corner, (x * (width - radius), y * (height - radius)))
    return mask


def _paint(canvas: Image.Image, item: Panel | Picture | IconMark | TextLines) -> None:
    if isinstance(item, Panel):
        b = item.box
        layer = Image.new("RGB", (b.width, b.height), item.colour)
        canvas.paste(
            layer, (b.x, b.y), _rounded_mask(b.width, b.height, item.radii) if any(item.radii) else None
        )
    elif isinstance(item, Picture):
        b = item.box
        mask = _rounded_mask(b.width, b.height, (item.radius,) * 4) if item.radius else None
        alpha = item.image.getchannel("A")
        if mask is not None:
            alpha = ImageChops.multiply(alpha, mask)
        canvas.paste(item.image.convert("RGB"), (b.x, b.y), alpha)
    elif isinstance(item, IconMark):
        layer = Image.new("RGB", (item.size, item.size), item.colour)
        canvas.paste(layer, (item.x, item.y), icons.mask(item.key, item.size))
    else:
        draw = ImageDraw.Draw(canvas)
        face = font(item.text.size)
        for row, line in enumerate(item.text.lines):
            y = item.top + row * item.text.line_height + item.text.line_height / 2
            draw.text((item.centre_x, y), line, font=face, fill=item.colour, anchor="mm")


def raster(scene: Scene) -> Image.Image:
    canvas = Image.new("RGB", (scene.width, scene.height), scene.background)
    for item in scene.items:
        _paint(canvas, item)
    return canvas


def jpeg(scene: Scene) -> bytes:
    """The scene as a JPEG within LINE's 1 MB, at the best quality that fits."""
    image = raster(scene)
    for quality in JPEG_QUALITIES:
        buffer = io.BytesIO()
        # 4:4:4 keeps coloured text edges crisp; drop to 4:2:0 only to get under the limit.
        image.save(buffer, "JPEG", quality=quality, subsampling=0 if quality >= 82 else 2)
        if buffer.tell() <= MAX_JPEG_BYTES:
            return buffer.getvalue()
    raise ValidationError(
        _(
            "メニュー画像を1MB以内に収められませんでした。写真のタイルを減らすか、より単純な画像にしてください。"
        )
    )


# --- SVG back end -----------------------------------------------------------------------------------


def _rounded_path(box: layouts.Box, radii: tuple[int, int, int, int]) -> str:
    x, y, w, h = box.x, box.y, box.width, box.height
    tl, tr, br, bl = radii
    return (
        f"M{x + tl} {y}H{x + w - tr}"
        + (f"A{tr} {tr} 0 0 1 {x + w} {y + tr}" if tr else "")
        + f"V{y + h - br}"
        + (f"A{br} {br} 0 0 1 {x + w - br} {y + h}" if br else "")
        + f"H{x + bl}"
        + (f"A{bl} {bl} 0 0 1 {x} {y + h - bl}" if bl else "")
        + f"V{y + tl}"
        + (f"A{tl} {tl} 0 0 1 {x + tl} {y}" if tl else "")
        + "Z"
    )


def _data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _svg_item(item: Panel | Picture | IconMark | TextLines) -> str:
    ident = f' id="{item.element_id}"' if item.element_id else ""
    if isinstance(item, Panel):
        return f'<path{ident} d="{_rounded_path(item.box, item.radii)}" fill="{item.colour}"/>'
    if isinstance(item, Picture):
        b = item.box
        clip = ""
        if item.radius:
            clip_id = f"{item.element_id or 'picture'}-clip"
            clip = f'<clipPath id="{clip_id}"><path d="{_rounded_path(b, (item.radius,) * 4)}"/></clipPath>'
            clip_attr = f' clip-path="url(#{clip_id})"'
        else:
            clip_attr = ""
        return (
            f'{clip}<image{ident} x="{b.x}" y="{b.y}" width="{b.width}" height="{b.height}"'
            f' href="{_data_uri(item.image)}"{clip_attr}/>'
        )
    if isinstance(item, IconMark):
        return icons.svg(
            item.key,
            x=item.x,
            y=item.y,
            size=item.size,
            colour=item.colour,
            element_id=item.element_id or f"icon-{item.x}-{item.y}",
        )
    half = item.text.line_height / 2
    spans = "".join(
        f'<tspan x="{item.centre_x}" y="{item.top + row * item.text.line_height + half:.1f}">'
        f"{escape(line)}</tspan>"
        for row, line in enumerate(item.text.lines)
    )
    return (
        f'<text{ident} font-family="{FONT_FAMILY}, Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"'
        f' font-weight="700" font-size="{item.text.size}" fill="{item.colour}" text-anchor="middle"'
        f' dominant-baseline="central">{spans}</text>'
    )


def svg(scene: Scene, *, title: str = "") -> str:
    """The scene as an SVG document at the image's own pixel size (editable in Illustrator, Inkscape…)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}"'
        f' viewBox="0 0 {scene.width} {scene.height}">',
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(
        f'<rect id="background" width="{scene.width}" height="{scene.height}" fill="{scene.background}"/>'
    )
    parts.extend(_svg_item(item) for item in scene.items)
    parts.append("</svg>")
    return "\n".join(parts)
