"""Layout math (RM-1, RM-3): tiles split the image exactly, tabs sit in the strip, LINE's size rules hold."""

from __future__ import annotations

import pytest

from civicline.richmenu import layouts

ALL = list(layouts.TEMPLATES.values())


def area(box: layouts.Box) -> int:
    return box.width * box.height


def overlap(a: layouts.Box, b: layouts.Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.key)
@pytest.mark.parametrize("with_strip", [False, True])
def test_tiles_cover_the_content_area_exactly_without_overlap(template, with_strip):
    size = layouts.SIZES[template.size]
    boxes = layouts.tile_boxes(template, with_strip)
    content = layouts.content_box(size, with_strip)
    assert len(boxes) == template.tile_count <= layouts.MAX_TILES_PER_TAB
    assert sum(area(b) for b in boxes) == area(content)
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    for box in boxes:
        assert box.x >= 0 and box.y >= content.y and box.width > 0 and box.height > 0
        assert box.x + box.width <= size.width and box.y + box.height <= size.height


def test_sizes_are_lines_and_within_lines_limits():
    """LINE: width 800–2500, height ≥ 250, width / height ≥ 1.45."""
    for size in layouts.SIZES.values():
        assert 800 <= size.width <= 2500 and size.height >= 250 and size.width / size.height >= 1.45
    assert (layouts.SIZES["large"].width, layouts.SIZES["large"].height) == (2500, 1686)
    assert (layouts.SIZES["compact"].width, layouts.SIZES["compact"].height) == (2500, 843)


def test_brief_layouts_exist_for_both_sizes():
    counts = {t.key: t.tile_count for t in ALL}
    assert counts["large-6"] == 6 and counts["large-4"] == 4 and counts["large-5"] == 5  # 2×3, 2×2, big+4
    assert counts["large-3-top"] == 3 and counts["compact-3"] == 3  # 1+2, 1×3
    assert {t.size for t in ALL} == {"large", "compact"}
    assert layouts.default_template("compact").size == "compact"


def test_big_plus_four_puts_the_big_tile_first_and_full_height():
    boxes = layouts.tile_boxes(layouts.TEMPLATES["large-5"], False)
    assert boxes[0] == layouts.Box(0, 0, 833, 1686)
    assert all(b.width == boxes[1].width for b in boxes[1:]) or abs(boxes[1].width - boxes[2].width) <= 1


@pytest.mark.parametrize("count", [2, 3, 4])
def test_tab_strip_splits_the_width_among_tabs(count):
    size = layouts.SIZES["large"]
    tabs = layouts.tab_boxes(size, count)
    assert len(tabs) == count
    assert sum(t.width for t in tabs) == size.width
    assert all(t.y == 0 and t.height == size.tab_strip for t in tabs)
    assert layouts.tab_boxes(size, 1) == []


def test_tiles_start_below_the_strip():
    template = layouts.TEMPLATES["compact-3"]
    assert {b.y for b in layouts.tile_boxes(template, True)} == {layouts.SIZES["compact"].tab_strip}
    assert {b.y for b in layouts.tile_boxes(template, False)} == {0}


def test_editor_geometry_is_in_percent_of_the_image():
    geometry = layouts.geometry_for_editor("large", 2, True)
    assert geometry["aspect"] == [2500, 1686]
    assert geometry["tabs"][1] == [50.0, 0.0, 50.0, round(100 * 200 / 1686, 3)]
    assert set(geometry["templates"]) == {t.key for t in layouts.templates_for("large")}
    assert geometry["templates"]["large-1"] == [
        [0.0, geometry["strip"][3], 100.0, round(100 - geometry["strip"][3], 3)]
    ]
