"""Rich menu sizes and layout templates, and where each tile and tab falls on the image (RM-1, RM-3).

Pure geometry, shared by the image renderer, the LINE areas and the editor's live preview. Tiles of a
template split the content area exactly: grid lines are rounded once and shared by neighbours, so the
areas LINE receives neither overlap nor leave a gap a tap could fall into.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MAX_TABS = 4
MAX_TILES_PER_TAB = 6


@dataclass(frozen=True)
class Size:
    key: str
    label: str | Promise
    width: int
    height: int
    tab_strip: int  # height of the strip at the top: tabs, or a single-tab menu's heading


SIZES: dict[str, Size] = {
    "large": Size("large", _("大（2500×1686）"), 2500, 1686, 200),
    "compact": Size("compact", _("小（2500×843）"), 2500, 843, 150),
}


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    def as_bounds(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class Template:
    """Cells on a ``columns`` × ``rows`` grid, each (column, row, column span, row span), in reading order."""

    key: str
    label: str | Promise
    size: str
    columns: int
    rows: int
    cells: tuple[tuple[int, int, int, int], ...]

    @property
    def tile_count(self) -> int:
        return len(self.cells)


def _grid(columns: int, rows: int) -> tuple[tuple[int, int, int, int], ...]:
    return tuple((c, r, 1, 1) for r in range(rows) for c in range(columns))


TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template("large-6", _("6分割（2段×3列）"), "large", 3, 2, _grid(3, 2)),
        Template("large-4", _("4分割（2段×2列）"), "large", 2, 2, _grid(2, 2)),
        Template(
            "large-5",
            _("5分割（左に大1＋右に小4）"),
            "large",
            3,
            2,
            ((0, 0, 1, 2), (1, 0, 1, 1), (2, 0, 1, 1), (1, 1, 1, 1), (2, 1, 1, 1)),
        ),
        Template(
            "large-3-top",
            _("3分割（上に大1＋下に2）"),
            "large",
            2,
            2,
            ((0, 0, 2, 1), (0, 1, 1, 1), (1, 1, 1, 1)),
        ),
        Template(
            "large-3-left",
            _("3分割（左に大1＋右に2）"),
            "large",
            2,
            2,
            ((0, 0, 1, 2), (1, 0, 1, 1), (1, 1, 1, 1)),
        ),
        Template("large-3-columns", _("3分割（1段×3列）"), "large", 3, 1, _grid(3, 1)),
        Template("large-2-columns", _("2分割（左右）"), "large", 2, 1, _grid(2, 1)),
        Template("large-2-rows", _("2分割（上下）"), "large", 1, 2, _grid(1, 2)),
        Template("large-1", _("1面"), "large", 1, 1, _grid(1, 1)),
        Template("compact-3", _("3分割（1段×3列）"), "compact", 3, 1, _grid(3, 1)),
        Template("compact-4", _("4分割（1段×4列）"), "compact", 4, 1, _grid(4, 1)),
        Template("compact-2", _("2分割（左右）"), "compact", 2, 1, _grid(2, 1)),
        Template(
            "compact-2-wide", _("2分割（左に大＋右に小）"), "compact", 3, 1, ((0, 0, 2, 1), (2, 0, 1, 1))
        ),
        Template("compact-1", _("1面"), "compact", 1, 1, _grid(1, 1)),
    )
}


def templates_for(size: str) -> list[Template]:
    return [t for t in TEMPLATES.values() if t.size == size]


def default_template(size: str) -> Template:
    return templates_for(size)[0]


def _lines(start: int, length: int, parts: int) -> list[int]:
    """``parts + 1`` grid lines from ``start`` to ``start + length``, rounded once."""
    return [start + round(i * length / parts) for i in range(parts + 1)]


def content_box(size: Size, with_strip: bool) -> Box:
    """Where the tiles go: the whole image, or below the strip of tabs or heading."""
    top = size.tab_strip if with_strip else 0
    return Box(0, top, size.width, size.height - top)


def tile_boxes(template: Template, with_strip: bool) -> list[Box]:
    """The tap area of each tile, in the template's order."""
    size = SIZES[template.size]
    area = content_box(size, with_strip)
    xs = _lines(area.x, area.width, template.columns)
    ys = _lines(area.y, area.height, template.rows)
    return [Box(xs[c], ys[r], xs[c + cs] - xs[c], ys[r + rs] - ys[r]) for c, r, cs, rs in template.cells]


def tab_boxes(size: Size, tab_count: int) -> list[Box]:
    """The tap area of each tab in the strip (none for a single-tab menu)."""
    if tab_count < 2:
        return []
    xs = _lines(0, size.width, tab_count)
    return [Box(xs[i], 0, xs[i + 1] - xs[i], size.tab_strip) for i in range(tab_count)]


def geometry_for_editor(size_key: str, tab_count: int, with_strip: bool) -> dict:
    """Every template of a size as percentages of the image, for the editor's live preview."""
    size = SIZES[size_key]

    def percent(box: Box) -> list[float]:
        return [
            round(100 * box.x / size.width, 3),
            round(100 * box.y / size.height, 3),
            round(100 * box.width / size.width, 3),
            round(100 * box.height / size.height, 3),
        ]

    return {
        "aspect": [size.width, size.height],
        "tabs": [percent(b) for b in tab_boxes(size, tab_count)],
        "strip": percent(Box(0, 0, size.width, size.tab_strip)) if with_strip else None,
        "templates": {
            t.key: [percent(b) for b in tile_boxes(t, with_strip)] for t in templates_for(size_key)
        },
    }
