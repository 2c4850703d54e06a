"""The built-in icon set of the rich menu editor (RM-5): simple pictograms a city menu needs.

Each icon is a list of shapes on a 100 × 100 canvas, drawn in order; a shape marked ``erase`` cuts
out of what is drawn before it. The same list is rasterised by Pillow (drawn 4× larger, then scaled
down, for smooth edges) and written as SVG (a mask), so the downloadable SVG source shows exactly
the icons of the JPEG and a designer can restyle them. Nothing is downloaded: no icon font, no files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw

SUPERSAMPLE = 4
Point = tuple[float, float]


@dataclass(frozen=True)
class Shape:
    erase: bool = False


@dataclass(frozen=True)
class Rect(Shape):
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    r: float = 0


@dataclass(frozen=True)
class Circle(Shape):
    cx: float = 0
    cy: float = 0
    r: float = 0
    ry: float = 0  # an ellipse's vertical radius; 0: a circle
    stroke: float = 0  # > 0: a ring of this width instead of a disc


@dataclass(frozen=True)
class Poly(Shape):
    points: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Line(Shape):
    """A polyline with round caps and joins."""

    points: tuple[Point, ...] = ()
    width: float = 6


@dataclass(frozen=True)
class Arc(Shape):
    """A stroked arc; angles in degrees, clockwise from 3 o'clock (Pillow's and SVG's screen sense)."""

    cx: float = 0
    cy: float = 0
    r: float = 0
    start: float = 0
    end: float = 0
    width: float = 6


@dataclass(frozen=True)
class Icon:
    key: str
    label: str | Promise
    shapes: tuple[Shape, ...]


def _rotated(points: tuple[Point, ...], degrees: float, centre: Point = (50, 50)) -> tuple[Point, ...]:
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = centre
    return tuple(
        (round(cx + (x - cx) * cos - (y - cy) * sin, 2), round(cy + (x - cx) * sin + (y - cy) * cos, 2))
        for x, y in points
    )


def _on_circle(cx: float, cy: float, r: float, degrees: float) -> Point:
    angle = math.radians(degrees)
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def _box(x: float, y: float, w: float, h: float) -> tuple[Point, ...]:
    return ((x, y), (x + w, y), (x + w, y + h), (x, y + h))


def _syringe() -> tuple[Shape, ...]:
    tilt = 45

    def part(x: float, y: float, w: float, h: float, erase: bool = False) -> Poly:
        return Poly(erase=erase, points=_rotated(_box(x, y, w, h), tilt))

    return (
        part(35, 2, 30, 9),  # plunger handle
        part(45, 10, 10, 18),  # plunger rod
        part(30, 26, 40, 8),  # finger flange
        part(36, 33, 28, 44),  # barrel
        part(43, 40, 14, 30, erase=True),
        part(43, 47, 8, 4),  # graduations
        part(43, 57, 8, 4),
        part(45, 76, 10, 7),  # hub
        part(47.5, 82, 5, 16),  # needle
    )


def _virus() -> tuple[Shape, ...]:
    spikes = [_rotated(((50, 26), (50, 13)), angle) for angle in range(0, 360, 45)]
    return (
        Circle(cx=50, cy=50, r=25),
        *(Line(points=spike, width=6) for spike in spikes),
        *(Circle(cx=spike[1][0], cy=spike[1][1], r=7) for spike in spikes),
        Circle(cx=42, cy=44, r=5, erase=True),
        Circle(cx=58, cy=57, r=4, erase=True),
        Circle(cx=57, cy=40, r=3, erase=True),
    )


def _house(door: bool = True) -> tuple[Shape, ...]:
    shapes: list[Shape] = [
        Poly(points=((50, 8), (94, 46), (82, 46), (82, 90), (18, 90), (18, 46), (6, 46))),
    ]
    if door:
        shapes.append(Rect(x=41, y=60, w=18, h=30, r=3, erase=True))
    return tuple(shapes)


ICONS: dict[str, Icon] = {
    icon.key: icon
    for icon in (
        Icon(
            "calendar",
            _("カレンダー（予約）"),
            (
                Rect(x=10, y=18, w=80, h=72, r=9),
                Rect(x=18, y=36, w=64, h=46, r=3, erase=True),
                *(Rect(x=x, y=y, w=11, h=10, r=2) for y in (43, 60) for x in (25, 44.5, 64)),
                Rect(x=24, y=8, w=10, h=20, r=5),
                Rect(x=66, y=8, w=10, h=20, r=5),
            ),
        ),
        Icon(
            "checklist",
            _("チェックリスト（予約の確認）"),
            (
                Rect(x=16, y=14, w=68, h=80, r=9),
                Rect(x=24, y=26, w=52, h=60, r=3, erase=True),
                Rect(x=34, y=6, w=32, h=16, r=5),
                Line(points=((31, 44), (37, 50), (47, 38)), width=6),
                Rect(x=53, y=41, w=16, h=6, r=3),
                Line(points=((31, 66), (37, 72), (47, 60)), width=6),
                Rect(x=53, y=63, w=16, h=6, r=3),
            ),
        ),
        Icon(
            "document",
            _("書類（手続き）"),
            (
                Poly(points=((20, 6), (60, 6), (82, 28), (82, 94), (20, 94))),
                Poly(points=((58, 6), (58, 30), (82, 30)), erase=True),
                Poly(points=((62, 10), (62, 26), (78, 26))),
                Rect(x=30, y=44, w=42, h=6, r=3, erase=True),
                Rect(x=30, y=58, w=42, h=6, r=3, erase=True),
                Rect(x=30, y=72, w=28, h=6, r=3, erase=True),
            ),
        ),
        Icon(
            "application",
            _("申請（ペンと書類）"),
            (
                Rect(x=10, y=8, w=58, h=82, r=7),
                Rect(x=20, y=24, w=38, h=6, r=3, erase=True),
                Rect(x=20, y=38, w=38, h=6, r=3, erase=True),
                Rect(x=20, y=52, w=22, h=6, r=3, erase=True),
                Line(points=((48, 92), (92, 48)), width=24, erase=True),
                Poly(points=_rotated(_box(64, 20, 13, 50), 45, (70, 60))),
                Poly(points=_rotated(((64, 73), (77, 73), (70.5, 86)), 45, (70, 60))),
            ),
        ),
        Icon("syringe", _("注射器（予防接種）"), _syringe()),
        Icon("virus", _("ウイルス（感染症）"), _virus()),
        Icon(
            "shelter",
            _("避難所"),
            (
                *_house(door=False),
                Circle(cx=50, cy=56, r=7.5, erase=True),
                Poly(points=((37, 90), (40, 70), (60, 70), (63, 90)), erase=True),
            ),
        ),
        Icon("home", _("家（暮らし）"), _house()),
        Icon(
            "map",
            _("地図"),
            (
                Poly(points=((8, 22), (36, 12), (64, 24), (92, 14), (92, 78), (64, 88), (36, 76), (8, 86))),
                Line(points=((36, 0), (36, 100)), width=4, erase=True),
                Line(points=((64, 0), (64, 100)), width=4, erase=True),
            ),
        ),
        Icon(
            "pin",
            _("場所（ピン）"),
            (
                Circle(cx=50, cy=38, r=28),
                Poly(points=((26.5, 53), (73.5, 53), (50, 94))),
                Circle(cx=50, cy=38, r=11, erase=True),
            ),
        ),
        Icon(
            "chat",
            _("吹き出し（問い合わせ）"),
            (
                Rect(x=8, y=14, w=84, h=58, r=18),
                Poly(points=((24, 66), (46, 66), (20, 90))),
                Circle(cx=31, cy=43, r=6.5, erase=True),
                Circle(cx=50, cy=43, r=6.5, erase=True),
                Circle(cx=69, cy=43, r=6.5, erase=True),
            ),
        ),
        Icon(
            "question",
            _("はてな（よくある質問）"),
            (
                Circle(cx=50, cy=50, r=44),
                Arc(cx=50, cy=38, r=19, start=190, end=380, width=10, erase=True),
                Line(points=(_on_circle(50, 38, 14, 20), (50, 50), (50, 58)), width=10, erase=True),
                Circle(cx=50, cy=74, r=6.5, erase=True),
            ),
        ),
        Icon(
            "info",
            _("インフォメーション"),
            (
                Circle(cx=50, cy=50, r=44),
                Circle(cx=50, cy=28, r=7, erase=True),
                Rect(x=43.5, y=41, w=13, h=36, r=4, erase=True),
            ),
        ),
        Icon(
            "bell",
            _("ベル（お知らせ）"),
            (
                Circle(cx=50, cy=14, r=6),
                Circle(cx=50, cy=42, r=26),
                Rect(x=24, y=42, w=52, h=30),
                Rect(x=12, y=68, w=76, h=12, r=6),
                Circle(cx=50, cy=86, r=9),
            ),
        ),
        Icon(
            "settings",
            _("設定（受信設定）"),
            (
                Rect(x=10, y=19, w=80, h=8, r=4),
                Circle(cx=34, cy=23, r=11),
                Circle(cx=34, cy=23, r=4.5, erase=True),
                Rect(x=10, y=46, w=80, h=8, r=4),
                Circle(cx=66, cy=50, r=11),
                Circle(cx=66, cy=50, r=4.5, erase=True),
                Rect(x=10, y=73, w=80, h=8, r=4),
                Circle(cx=44, cy=77, r=11),
                Circle(cx=44, cy=77, r=4.5, erase=True),
            ),
        ),
        Icon(
            "camera",
            _("カメラ（写真で通報）"),
            (
                Rect(x=34, y=16, w=32, h=18, r=5),
                Rect(x=8, y=26, w=84, h=62, r=12),
                Circle(cx=50, cy=57, r=21, erase=True),
                Circle(cx=50, cy=57, r=13),
                Circle(cx=78, cy=40, r=4.5, erase=True),
            ),
        ),
        Icon(
            "trash",
            _("ごみ"),
            (
                Rect(x=14, y=18, w=72, h=10, r=4),
                Rect(x=38, y=8, w=24, h=14, r=4),
                Rect(x=44, y=13, w=12, h=5, erase=True),
                Poly(points=((22, 32), (78, 32), (72, 92), (28, 92))),
                Rect(x=35, y=42, w=6, h=40, r=3, erase=True),
                Rect(x=47, y=42, w=6, h=40, r=3, erase=True),
                Rect(x=59, y=42, w=6, h=40, r=3, erase=True),
            ),
        ),
        Icon(
            "phone",
            _("電話"),
            (
                Rect(x=26, y=6, w=48, h=88, r=10),
                Rect(x=33, y=17, w=34, h=58, r=2, erase=True),
                Rect(x=42, y=10, w=16, h=3, r=1.5, erase=True),
                Circle(cx=50, cy=84, r=4.5, erase=True),
            ),
        ),
        Icon(
            "globe",
            _("ホームページ"),
            (
                Circle(cx=50, cy=50, r=42, stroke=7),
                Circle(cx=50, cy=50, r=18, ry=42, stroke=6),
                Line(points=((12, 50), (88, 50)), width=6),
                Line(points=((18, 29), (82, 29)), width=5),
                Line(points=((18, 71), (82, 71)), width=5),
            ),
        ),
        Icon(
            "family",
            _("親子（子育て）"),
            (
                Circle(cx=36, cy=18, r=11),
                Poly(points=((22, 34), (50, 34), (56, 66), (47, 66), (46, 94), (26, 94), (25, 66), (16, 66))),
                Circle(cx=72, cy=46, r=8.5),
                Poly(points=((62, 58), (82, 58), (86, 78), (79, 78), (78, 94), (66, 94), (65, 78), (58, 78))),
            ),
        ),
        Icon(
            "warning",
            _("注意（防災・警報）"),
            (
                Poly(points=((50, 8), (95, 88), (5, 88))),
                Rect(x=44.5, y=34, w=11, h=30, r=4, erase=True),
                Circle(cx=50, cy=75, r=6.5, erase=True),
            ),
        ),
        Icon(
            "medical",
            _("医療"),
            (
                Rect(x=10, y=10, w=80, h=80, r=16),
                Rect(x=41, y=24, w=18, h=52, r=2, erase=True),
                Rect(x=24, y=41, w=52, h=18, r=2, erase=True),
            ),
        ),
        Icon(
            "megaphone",
            _("拡声器（広報）"),
            (
                Poly(points=((10, 38), (30, 38), (68, 16), (68, 84), (30, 62), (10, 62))),
                Rect(x=30, y=60, w=13, h=26, r=4),
                Arc(cx=70, cy=50, r=16, start=-50, end=50, width=6),
                Arc(cx=70, cy=50, r=28, start=-50, end=50, width=6),
            ),
        ),
        Icon(
            "external",
            _("外部サイト（矢印）"),
            (
                Rect(x=8, y=22, w=70, h=70, r=10),
                Rect(x=18, y=32, w=50, h=50, r=4, erase=True),
                Rect(x=44, y=4, w=54, h=50, erase=True),
                Line(points=((40, 60), (84, 16)), width=10),
                Poly(points=((56, 8), (92, 8), (92, 44))),
            ),
        ),
        Icon(
            "book",
            _("本（案内・ガイド）"),
            (
                Poly(points=((6, 20), (28, 14), (48, 20), (48, 88), (28, 82), (6, 88))),
                Poly(points=((52, 20), (72, 14), (94, 20), (94, 88), (72, 82), (52, 88))),
            ),
        ),
    )
}


def choices() -> list[tuple[str, str | Promise]]:
    return [(icon.key, icon.label) for icon in ICONS.values()]


# --- Pillow ---------------------------------------------------------------------------------------


def _draw(draw: ImageDraw.ImageDraw, shape: Shape, scale: float) -> None:
    fill = 0 if shape.erase else 255

    def s(value: float) -> float:
        return value * scale

    def pts(points: tuple[Point, ...]) -> list[tuple[float, float]]:
        return [(s(x), s(y)) for x, y in points]

    if isinstance(shape, Rect):
        box = (s(shape.x), s(shape.y), s(shape.x + shape.w), s(shape.y + shape.h))
        draw.rounded_rectangle(box, radius=s(shape.r), fill=fill)
    elif isinstance(shape, Circle):
        ry = shape.ry or shape.r
        box = (s(shape.cx - shape.r), s(shape.cy - ry), s(shape.cx + shape.r), s(shape.cy + ry))
        if shape.stroke:
            draw.ellipse(box, outline=fill, width=round(s(shape.stroke)))
        else:
            draw.ellipse(box, fill=fill)
    elif isinstance(shape, Poly):
        draw.polygon(pts(shape.points), fill=fill)
    elif isinstance(shape, Line):
        points = pts(shape.points)
        draw.line(points, fill=fill, width=round(s(shape.width)), joint="curve")
        radius = s(shape.width) / 2
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
    elif isinstance(shape, Arc):
        box = (s(shape.cx - shape.r), s(shape.cy - shape.r), s(shape.cx + shape.r), s(shape.cy + shape.r))
        draw.arc(box, shape.start, shape.end, fill=fill, width=round(s(shape.width)))
        radius = s(shape.width) / 2
        for angle in (shape.start, shape.end):
            x, y = _on_circle(shape.cx, shape.cy, shape.r - shape.width / 2, angle)
            draw.ellipse((s(x) - radius, s(y) - radius, s(x) + radius, s(y) + radius), fill=fill)


@lru_cache(maxsize=128)
def mask(key: str, size: int) -> Image.Image:
    """The icon as an 8-bit alpha mask of ``size`` × ``size`` pixels (255 = ink)."""
    big = size * SUPERSAMPLE
    image = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(image)
    for shape in ICONS[key].shapes:
        _draw(draw, shape, big / 100)
    return image.resize((size, size), Image.Resampling.LANCZOS)


# --- SVG ------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _svg_shape(shape: Shape) -> str:
    ink = "#000" if shape.erase else "#fff"
    if isinstance(shape, Rect):
        return (
            f'<rect x="{_num(shape.x)}" y="{_num(shape.y)}" width="{_num(shape.w)}" height="{_num(shape.h)}"'
            f' rx="{_num(shape.r)}" fill="{ink}"/>'
        )
    if isinstance(shape, Circle):
        paint = (
            f'fill="none" stroke="{ink}" stroke-width="{_num(shape.stroke)}"'
            if shape.stroke
            else f'fill="{ink}"'
        )
        # Pillow draws a ring's stroke inside its box; SVG centres it on the radius.
        inset = shape.stroke / 2
        rx, ry = shape.r - inset, (shape.ry or shape.r) - inset
        return (
            f'<ellipse cx="{_num(shape.cx)}" cy="{_num(shape.cy)}" rx="{_num(rx)}" ry="{_num(ry)}" {paint}/>'
        )
    if isinstance(shape, Poly):
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        return f'<polygon points="{points}" fill="{ink}"/>'
    if isinstance(shape, Line):
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points)
        return (
            f'<polyline points="{points}" fill="none" stroke="{ink}" stroke-width="{_num(shape.width)}"'
            ' stroke-linecap="round" stroke-linejoin="round"/>'
        )
    assert isinstance(shape, Arc)
    r = shape.r - shape.width / 2
    x1, y1 = _on_circle(shape.cx, shape.cy, r, shape.start)
    x2, y2 = _on_circle(shape.cx, shape.cy, r, shape.end)
    large = 1 if (shape.end - shape.start) % 360 > 180 else 0
    return (
        f'<path d="M{_num(x1)} {_num(y1)} A{_num(r)} {_num(r)} 0 {large} 1 {_num(x2)} {_num(y2)}"'
        f' fill="none" stroke="{ink}" stroke-width="{_num(shape.width)}" stroke-linecap="round"/>'
    )


def _masked(key: str, mask_id: str, fill: str) -> str:
    """The icon's shapes as a mask over a 100 × 100 square painted ``fill``."""
    body = "".join(_svg_shape(shape) for shape in ICONS[key].shapes)
    return (
        f'<mask id="{mask_id}" maskUnits="userSpaceOnUse" x="0" y="0" width="100" height="100">{body}</mask>'
        f'<rect width="100" height="100" fill="{fill}" mask="url(#{mask_id})"/>'
    )


def svg(key: str, *, x: float, y: float, size: float, colour: str, element_id: str) -> str:
    """The icon as an SVG group at (x, y), ``size`` wide, painted ``colour``."""
    transform = f"translate({_num(x)} {_num(y)}) scale({_num(size / 100)})"
    return (
        f'<g id="{element_id}" data-icon="{key}" transform="{transform}">'
        f"{_masked(key, f'{element_id}-mask', colour)}</g>"
    )


def svg_symbol(key: str) -> str:
    """The icon as an SVG <symbol> painted in ``currentColor`` (the editor's live preview)."""
    masked = _masked(key, f"icon-{key}-mask", "currentColor")
    return f'<symbol id="icon-{key}" viewBox="0 0 100 100">{masked}</symbol>'
