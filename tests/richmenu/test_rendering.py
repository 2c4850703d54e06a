"""Menu images drawn by civicline (RM-5): inside LINE's limits, readable on a phone, and the same
picture in the downloadable SVG source."""

from __future__ import annotations

import io
import random
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageFilter

from civicline.richmenu import icons, layouts, rendering

T = rendering.TileSpec


def spec(layout: str, labels=None, **fields) -> rendering.TabSpec:
    count = layouts.TEMPLATES[layout].tile_count
    labels = labels or [f"項目{i + 1}" for i in range(count)]
    keys = list(icons.ICONS)
    tiles = [T(label, "#1565c0", keys[i % len(keys)]) for i, label in enumerate(labels)]
    return rendering.TabSpec(size=layouts.TEMPLATES[layout].size, layout=layout, tiles=tiles, **fields)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("layout", list(layouts.TEMPLATES), ids=str)
def test_every_layout_renders_a_jpeg_of_lines_size_under_1mb(layout):
    titles = ("予約・手続き", "暮らし・防災")
    data = rendering.jpeg(rendering.compose(spec(layout, tab_titles=titles)))
    image = decode(data)
    size = layouts.SIZES[layouts.TEMPLATES[layout].size]
    assert image.format == "JPEG" and image.size == (size.width, size.height)
    assert len(data) <= rendering.MAX_JPEG_BYTES


def test_labels_are_never_smaller_than_readable_on_a_phone():
    """≥ 72 px of 2500 is ≥ 11 px on a phone 390 px wide; long labels wrap to two lines first."""
    scene = rendering.compose(
        spec("large-6", ["窓口予約", "ごみの分別・よくある質問", "ワクチン接種", "a", "受信設定", "電子申請"])
    )
    texts = [item for item in scene.items if isinstance(item, rendering.TextLines)]
    assert all(t.text.size >= rendering.MIN_LABEL_PX for t in texts)
    wrapped = next(t for t in texts if "".join(t.text.lines) == "ごみの分別・よくある質問")
    assert len(wrapped.text.lines) == 2


def test_a_label_too_long_to_read_is_refused_with_the_tile_number():
    with pytest.raises(ValidationError, match=r"タイル2の文字「.*」が長すぎて"):
        rendering.compose(
            spec("large-6", ["予約", "子育て・教育・健康に関する各種相談窓口", "c", "d", "e", "f"])
        )


def test_wrapping_keeps_japanese_line_rules_and_typed_breaks():
    assert rendering.wrap("子育て\n相談", 100, 2000) == ["子育て", "相談"]
    lines = rendering.wrap("施設の予約（体育館）", 100, 700)
    assert lines is not None and len(lines) == 2
    assert not lines[1].startswith(("）", "、")) and not lines[0].endswith("（")
    assert rendering.wrap("a\nb\nc", 100, 2000) is None  # at most two lines


def test_text_colour_reads_on_the_tile():
    assert rendering.ink_for("#1565c0") == rendering.LIGHT_TEXT
    assert rendering.ink_for("#06c755") == rendering.DARK_TEXT  # LINE green: dark text reads better
    assert rendering.ink_for("#ffffff") == rendering.DARK_TEXT
    assert rendering.contrast("#000000", "#ffffff") == pytest.approx(21)


def photo_tiles(blur: float) -> list[rendering.TileSpec]:
    rng = random.Random(4)
    noise = Image.frombytes("RGB", (1600, 1100), bytes(rng.getrandbits(8) for _ in range(1600 * 1100 * 3)))
    out = io.BytesIO()
    (noise.filter(ImageFilter.GaussianBlur(blur)) if blur else noise).save(out, "PNG")
    return [T(f"写真{i}", "#37474f", image=out.getvalue()) for i in range(6)]


def test_photo_tiles_full_of_detail_still_fit_in_1mb():
    data = rendering.jpeg(
        rendering.compose(rendering.TabSpec(size="large", layout="large-6", tiles=photo_tiles(0.8)))
    )
    assert len(data) <= rendering.MAX_JPEG_BYTES
    assert decode(data).size == (2500, 1686)


def test_an_image_that_cannot_fit_in_1mb_is_refused_clearly():
    """A designer's image of pure noise does not compress under 1 MB at any readable quality."""
    rng = random.Random(5)
    noise = Image.frombytes("RGB", (2500, 1686), bytes(rng.getrandbits(8) for _ in range(2500 * 1686 * 3)))
    out = io.BytesIO()
    noise.save(out, "PNG")
    with pytest.raises(ValidationError, match="1MB以内に収められませんでした"):
        rendering.jpeg(rendering.compose(spec("large-6", design=out.getvalue())))


def test_tab_strip_and_heading_are_drawn_on_the_image():
    two_tabs = rendering.compose(
        spec("large-4", tab_titles=("予約・手続き", "暮らし・防災"), tab_index=1, theme="#0b5cad")
    )
    labels = {item.element_id: item for item in two_tabs.items if isinstance(item, rendering.TextLines)}
    assert labels["tab-1-label"].text.lines == ["予約・手続き"]
    assert labels["tab-2-label"].colour == rendering.LIGHT_TEXT  # the active tab, on the theme colour
    assert labels["tab-1-label"].colour == rendering.TAB_IDLE_TEXT
    image = rendering.raster(two_tabs)
    assert image.getpixel((1875, 100)) == (11, 92, 173)  # the active tab is painted in the theme colour
    heading = rendering.compose(spec("large-5", heading="災害時緊急メニュー", theme="#b71c1c"))
    assert any(getattr(item, "element_id", "") == "heading-label" for item in heading.items)


def test_a_designers_image_is_used_as_it_is_but_must_have_the_menus_size():
    out = io.BytesIO()
    Image.new("RGB", (2500, 843), "#123456").save(out, "PNG")
    scene = rendering.compose(spec("compact-3", design=out.getvalue()))
    assert rendering.raster(scene).getpixel((10, 10)) == (18, 52, 86)
    with pytest.raises(ValidationError, match="2500×1686"):
        rendering.compose(spec("large-4", design=out.getvalue()))


def test_the_svg_source_names_each_tile_and_escapes_labels():
    scene = rendering.compose(spec("large-6", ["<script>alert(1)</script>", "b&c", "c", "d", "e", "f"]))
    source = rendering.svg(scene, title="通常メニュー <予約>")
    root = ET.fromstring(source.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("width") == "2500" and root.get("height") == "1686"
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert {f"tile-{n}" for n in range(1, 7)} <= ids and {f"tile-{n}-icon" for n in range(1, 7)} <= ids
    label = root.find(".//s:text[@id='tile-1-label']", ns)
    assert "".join(label.itertext()) == "<script>alert(1)</script>"
    assert "<script>" not in source
    assert "Noto Sans CJK JP" in label.get("font-family")


def test_svg_matches_the_raster_layout():
    """The SVG draws each tile where the JPEG has it: same boxes from the same scene."""
    scene = rendering.compose(spec("large-3-top", tab_titles=("A", "B")))
    root = ET.fromstring(rendering.svg(scene).encode())
    paths = {el.get("id"): el.get("d") for el in root.iter() if el.tag.endswith("path") and el.get("id")}
    panel = next(i for i in scene.items if getattr(i, "element_id", "") == "tile-1")
    assert paths["tile-1"].startswith(f"M{panel.box.x + rendering.TILE_RADIUS} {panel.box.y}H")


@pytest.mark.parametrize("key", list(icons.ICONS))
def test_every_icon_draws_and_has_valid_svg(key):
    mask = icons.mask(key, 120)
    assert mask.size == (120, 120)
    inked = sum(mask.histogram()[129:])
    assert 0.08 < inked / (120 * 120) < 0.85  # a visible pictogram, not a blank or a filled square
    drawn = icons.svg(key, x=0, y=0, size=100, colour="#fff", element_id="i")
    ET.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{drawn}</svg>')


def test_a_missing_japanese_font_is_a_clear_error(settings):
    settings.RICHMENU_FONT = "/nonexistent/font.ttc"
    rendering._font.cache_clear()
    try:
        with pytest.raises(rendering.FontMissing, match="fonts-noto-cjk"):
            rendering.compose(spec("large-4"))
    finally:
        rendering._font.cache_clear()


def test_a_tile_that_leaves_line_carries_the_external_site_mark():
    """Residents see before they tap that a tile opens a site outside LINE."""
    tiles = [T("気象警報", "#1565c0", "info", external=True), T("施設マップ", "#2e7d32", "map")]
    scene = rendering.compose(rendering.TabSpec(size="large", layout="large-2-columns", tiles=tiles))

    marks = [i for i in scene.items if getattr(i, "element_id", "").endswith("-external")]
    assert [m.element_id for m in marks] == ["tile-1-external"]
    tile = next(i for i in scene.items if getattr(i, "element_id", "") == "tile-1")
    mark = marks[0].box
    # In the tile's top-right corner, inside it.
    assert tile.box.x + tile.box.width / 2 < mark.x and mark.x + mark.width < tile.box.x + tile.box.width
    assert tile.box.y < mark.y < tile.box.y + tile.box.height / 4
    image = decode(rendering.jpeg(scene))
    centre = (mark.x + mark.width // 2 + mark.width // 4, mark.y + mark.height // 2 + mark.height // 4)
    assert image.getpixel(centre) != image.getpixel((tile.box.x + 40, tile.box.y + tile.box.height - 40))


@pytest.mark.parametrize(("language", "face"), [("zh-hans", "SC"), ("ko", "KR"), ("vi", "JP"), ("ja", "JP")])
def test_each_language_is_drawn_with_its_own_face_of_the_cjk_font(language, face):
    """issue 21: Chinese and Korean readers get their own glyph shapes; Vietnamese diacritics and
    English use the Japanese face, which has them."""
    with rendering.drawing_in(language):
        assert rendering.font(80).getname()[0].endswith(face)
