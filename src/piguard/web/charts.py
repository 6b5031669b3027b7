"""Bar charts as inline SVG, drawn on the server: no script, no CDN, nothing for the CSP to allow.

Labels pass through :func:`markupsafe.escape`; the result is :class:`~markupsafe.Markup`
so templates embed it as is.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 560
BAR_AREA = 150


def bars(series: Sequence[tuple[str, int]], *, title: str, colour: str = "#2f6fb0") -> Markup:
    """A vertical bar chart of ``(label, count)``; an accessible title names it for screen readers."""
    n = max(1, len(series))
    top = max([v for _, v in series] + [1])
    slot = WIDTH / n
    width = max(2.0, slot * 0.7)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {BAR_AREA + 40}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(series):
        h = BAR_AREA * value / top
        x = i * slot + (slot - width) / 2
        y = BAR_AREA - h + 14
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{x + width / 2:.1f}" y="{y - 3:.1f}" class="v">{value}</text>'
        )
        if n <= 16:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{BAR_AREA + 30}" class="l">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped


def hbars(series: Sequence[tuple[str, int]], *, title: str, colour: str = "#4a8f5a") -> Markup:
    """A horizontal bar chart, for categories with long names (roles, rules)."""
    row = 24
    top = max([v for _, v in series] + [1])
    height = max(1, len(series)) * row + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(series):
        w = (WIDTH - 220) * value / top
        y = i * row + 4
        parts.append(
            f'<text x="150" y="{y + 15}" class="hl">{escape(label)}</text>'
            f'<rect x="160" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{colour}"></rect>'
            f'<text x="{166 + w:.1f}" y="{y + 15}" class="hv">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped
