"""Charts of results as inline SVG drawn on the server (SV-8): no script, no CDN, prints as it shows.

Every label passes through ``format_html``, so a choice or a word a resident typed is text, never
markup. Each chart carries a title and a description for screen readers; the console shows the
same numbers in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import Tally

PALETTE = ("#0b5cad", "#f0a202", "#2e9d57", "#d1495b", "#7b5ea7", "#00a0b0", "#8c6d46", "#e377c2", "#6b7280")
FONT = "font-family=\"'Meiryo','Yu Gothic',sans-serif\""
LABEL_CHARS = 16


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(width: int, height: int, title: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" role="img" aria-label="{t}" ' + FONT + "><title>{t}</title>{b}</svg>",
        w=width,
        h=height,
        t=title,
        b=body,
    )


def bar_chart(items: Sequence[Tally], *, title: str, width: int = 560) -> SafeString:
    """Horizontal bars, one per choice, with the count and the share of those who answered."""
    label_width, row, top = 190, 30, 6
    peak = max((i.count for i in items), default=0) or 1
    room = width - label_width - 110
    bars = []
    for index, item in enumerate(items):
        y = top + index * row
        length = round(room * item.count / peak)
        bars.append(
            format_html(
                "<g><title>{full}: {n}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="13" fill="#1f2937">{label}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="20" rx="2" fill="{c}"/>'
                '<text x="{vx}" y="{ty}" font-size="12" fill="#374151">{n}（{share}%）</text></g>',
                full=item.label,
                label=_short(item.label),
                lx=label_width - 8,
                ty=y + 15,
                x=label_width,
                y=y,
                w=max(length, 1 if item.count else 0),
                c=PALETTE[0] if not item.retired else PALETTE[-1],
                vx=label_width + length + 6,
                n=item.count,
                share=item.share,
            )
        )
    height = top * 2 + row * max(len(items), 1)
    return _svg(width, height, title, mark_safe("".join(bars)))  # noqa: S308 - each part built by format_html


def _arc(cx: float, cy: float, r: float, start: float, end: float) -> str:
    x1, y1 = cx + r * math.sin(start), cy - r * math.cos(start)
    x2, y2 = cx + r * math.sin(end), cy - r * math.cos(end)
    large = 1 if end - start > math.pi else 0
    return f"M{cx:.1f},{cy:.1f} L{x1:.1f},{y1:.1f} A{r:.1f},{r:.1f} 0 {large} 1 {x2:.1f},{y2:.1f} Z"


def pie_chart(items: Sequence[Tally], *, title: str, width: int = 560) -> SafeString:
    """A pie with a legend; a single answer value fills the circle."""
    total = sum(i.count for i in items)
    cx = cy = r = 95
    height = max(2 * r + 10, 24 * len(items) + 12)
    slices = []
    angle = 0.0
    shown = [(index, item) for index, item in enumerate(items) if item.count]
    for index, item in shown:
        colour = PALETTE[index % len(PALETTE)]
        sweep = 2 * math.pi * item.count / total
        if len(shown) == 1:
            shape = format_html('<circle cx="{c}" cy="{c}" r="{r}" fill="{f}"/>', c=cx, r=r, f=colour)
        else:
            shape = format_html(
                '<path d="{d}" fill="{f}" stroke="#fff" stroke-width="1"/>',
                d=_arc(cx, cy + 5, r, angle, angle + sweep),
                f=colour,
            )
        slices.append(
            format_html(
                "<g><title>{l}: {n}（{s}%）</title>{shape}</g>",
                l=item.label,
                n=item.count,
                s=item.share,
                shape=shape,
            )
        )
        angle += sweep
    if not total:
        slices.append(format_html('<circle cx="{c}" cy="{c}" r="{r}" fill="#eef1f5"/>', c=cx, r=r))
    legend = format_html_join(
        "",
        '<g><rect x="220" y="{y}" width="14" height="14" fill="{f}"/>'
        '<text x="240" y="{ty}" font-size="13" fill="#1f2937">{l}　{n}（{s}%）</text></g>',
        (
            {
                "y": 12 + 24 * index,
                "f": PALETTE[index % len(PALETTE)],
                "ty": 24 + 24 * index,
                "l": _short(item.label, 20),
                "n": item.count,
                "s": item.share,
            }
            for index, item in enumerate(items)
        ),
    )
    return _svg(width, height, title, mark_safe("".join(slices) + legend))  # noqa: S308


def histogram(items: Sequence[Tally], *, title: str, width: int = 560) -> SafeString:
    """Vertical bars side by side (numbers in ranges, 5-point scales, months)."""
    height, bottom, top, left = 220, 40, 20, 10
    count = max(len(items), 1)
    slot = (width - 2 * left) / count
    peak = max((i.count for i in items), default=0) or 1
    room = height - bottom - top
    bars = []
    for index, item in enumerate(items):
        h = round(room * item.count / peak)
        x = left + index * slot
        bars.append(
            format_html(
                "<g><title>{full}: {n}</title>"
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
                '<text x="{cx}" y="{ny}" text-anchor="middle" font-size="12" fill="#374151">{n}</text>'
                '<text x="{cx}" y="{ly}" text-anchor="middle" font-size="12" fill="#1f2937">{label}</text>'
                "</g>",
                full=item.label,
                x=f"{x + slot * 0.12:.1f}",
                y=height - bottom - h,
                w=f"{slot * 0.76:.1f}",
                h=h,
                c=PALETTE[0],
                cx=f"{x + slot / 2:.1f}",
                ny=height - bottom - h - 4,
                ly=height - bottom + 16,
                label=_short(item.label, max(4, int(slot / 8))),
                n=item.count,
            )
        )
    axis = format_html(
        '<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#9aa5ae"/>',
        l=left,
        r=width - left,
        y=height - bottom,
    )
    return _svg(width, height, title, mark_safe("".join(bars) + axis))  # noqa: S308


def chart_for(kind: str, items: Sequence[Tally], *, title: str, many: bool = False) -> SafeString:
    """The chart that suits a question: pie for a single choice among few, bars for the rest of the
    choices, a histogram for numbers, scales and dates."""
    if not items:
        return mark_safe("")
    if kind == "choices":
        if many or len(items) > 6:
            return bar_chart(items, title=title)
        return pie_chart(items, title=title)
    return histogram(items, title=title or _("分布"))
