"""The trend chart of the bureau page: one panel per section and unit of measure (counts and 万元
never share an axis), one line per row, as SVG text. A half-year still running is drawn dashed and
labelled 进行中, so its lower figures do not read as a drop.

Generated on the server (no script, no external library): presentation attributes only, so the
Content-Security-Policy (no inline styles) holds. Rows, labels and sections come from the
definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from foodsafety.statistics.definition import TABLE, Row
from foodsafety.statistics.results import TABLE_ROWS, Value, display_value

WIDTH, PANEL_HEIGHT, PLOT_HEIGHT = 940, 250, 150
LEFT, RIGHT, TOP = 56, 380, 34
LEGEND_CHARS = 30  # a legend entry longer than this is cut (the full label is its tooltip)
# Distinguishable colours (Okabe–Ito plus darker tones), cycled per section.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8C510A", "#01665E", "#762A83", "#B2182B")
FONT = "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def _nice_max(value: float) -> float:
    """A round upper bound for the axis (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: Value) -> float:
    return float(value)


@dataclass(frozen=True)
class Point:
    """One half-year of the trend: its label, its exact figures, and whether it has ended."""

    label: str
    figures: dict[str, Value]
    complete: bool = True


def panels() -> list[tuple[str, list[Row]]]:
    """(title, rows) per section, split where its rows are measured in different units."""
    out = []
    for section in TABLE.sections:
        rows = TABLE.section_rows(section.key)
        money = [row for row in rows if row.is_money]
        counts = [row for row in rows if not row.is_money]
        if money and counts:
            out += [(f"{section.label}（数量）", counts), (f"{section.label}（万元）", money)]
        else:
            out.append((section.label, rows))
    return out


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def trend_svg(series: list[Point], title: str) -> str:
    """`series`: the half-years, oldest first."""
    charts = panels()
    height = TOP + PANEL_HEIGHT * len(charts) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="{escape(FONT)}" font-size="12" '
           f'role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title>',
           f'<text x="{LEFT}" y="20" font-size="15" font-weight="700">{escape(title)}</text>']
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(1, len(series) - 1)
    for index, (heading, rows) in enumerate(charts):
        top = TOP + index * PANEL_HEIGHT + 22
        shown = {row.code: [_number(display_value(row, point.figures.get(row.code, 0)))
                            for point in series] for row in rows}
        peak = _nice_max(max((v for values in shown.values() for v in values), default=0))
        out.append(f'<text x="{LEFT}" y="{top - 8}" font-size="14" font-weight="700">'
                   f'{escape(heading)}</text>')
        for tick in range(5):
            y = top + PLOT_HEIGHT - PLOT_HEIGHT * tick / 4
            label = peak * tick / 4
            text = f"{label:g}" if label == int(label) else f"{label:.2f}"
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_width}" y2="{y:.1f}" '
                       f'stroke="#ddd"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                       f'fill="#333">{escape(text)}</text>')
        for i, point in enumerate(series):
            x = LEFT + i * step
            label = point.label if point.complete else f"{point.label}（进行中）"
            out.append(f'<text x="{x:.1f}" y="{top + PLOT_HEIGHT + 18}" text-anchor="middle" '
                       f'fill="{"#333" if point.complete else "#8a5a00"}">{escape(label)}</text>')
        for n, row in enumerate(rows):
            colour = PALETTE[n % len(PALETTE)]
            points = [(LEFT + i * step, top + PLOT_HEIGHT - PLOT_HEIGHT * v / peak)
                      for i, v in enumerate(shown[row.code])]
            # Ended half-years solid; the segment into a running one dashed, its point hollow.
            ended = sum(1 for point in series if point.complete)
            solid, running = points[:max(ended, 1)], points[max(ended, 1) - 1:]
            tip = f"<title>{escape(row.code)} {escape(row.label)}</title>"
            out.append(f'<polyline points="{_path(solid)}" fill="none" stroke="{colour}" '
                       f'stroke-width="2">{tip}</polyline>')
            if len(running) > 1:
                out.append(f'<polyline points="{_path(running)}" fill="none" stroke="{colour}" '
                           f'stroke-width="2" stroke-dasharray="5 4">{tip}</polyline>')
            for (x, y), point in zip(points, series, strict=True):
                fill = colour if point.complete else "#fff"
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{fill}" '
                           f'stroke="{colour}"/>')
            legend_y = top + n * (PLOT_HEIGHT + 20) / max(len(rows), 1) + 4
            group = TABLE_ROWS[row.code].group
            name = f"{row.code} {row.label}" if not group else f"{row.code} {group[:4]}·{row.label}"
            shown_name = name if len(name) <= LEGEND_CHARS else name[:LEGEND_CHARS - 1] + "…"
            out.append(f'<rect x="{LEFT + plot_width + 16}" y="{legend_y - 9:.1f}" width="10" '
                       f'height="10" fill="{colour}"/>')
            out.append(f'<text x="{LEFT + plot_width + 30}" y="{legend_y:.1f}" font-size="11">'
                       f'<title>{escape(name)}</title>{escape(shown_name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


@dataclass(frozen=True)
class ChildBar:
    """One child jurisdiction in the briefing chart."""

    name: str
    canteens: int  # A1: licensed canteens on the cutoff
    haccp: int  # A3
    mingchu: int  # A4
    overdue: int  # orders overdue on the cutoff


BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 14, 10, 150, 300
SHARES = (("mingchu", "实施“明厨亮灶”", "#0072B2"), ("haccp", "建立 HACCP 等体系", "#009E73"))


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def children_svg(bars: list[ChildBar], title: str, as_of: str) -> str:
    """Two panels side by side, each with its own axis: the share of licensed canteens with
    明厨亮灶 and with HACCP (per cent of A1), and the number of overdue orders, per child."""
    row_height = 2 * BAR_HEIGHT + BAR_GAP
    height = TOP + 40 + row_height * max(len(bars), 1) + 30
    width = 2 * (LABEL_WIDTH + BAR_WIDTH) + 80
    peak = _nice_max(max((bar.overdue for bar in bars), default=0))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="12" '
           f'role="img" aria-label="{escape(title)}">', f'<title>{escape(title)}</title>',
           f'<text x="10" y="20" font-size="15" font-weight="700">{escape(title)}</text>',
           f'<text x="10" y="38" fill="#555">{escape(as_of)}</text>']
    left_panel, right_panel = 10 + LABEL_WIDTH, 10 + 2 * LABEL_WIDTH + BAR_WIDTH + 60
    top = TOP + 40
    out.append(f'<text x="{left_panel}" y="{top - 10}" font-weight="700">持证学校食堂中的占比（%）</text>')
    out.append(f'<text x="{right_panel}" y="{top - 10}" font-weight="700">逾期未整改的责令改正通知书（份）</text>')
    for i, (_, label, colour) in enumerate(SHARES):
        x = left_panel + 200 + i * 110
        out.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14}" y="{height - 9}" font-size="11">{escape(label)}</text>')
    for n, bar in enumerate(bars):
        y = top + n * row_height
        for panel in (left_panel, right_panel):
            out.append(f'<text x="{panel - 6}" y="{y + BAR_HEIGHT + 4}" text-anchor="end">'
                       f'{escape(bar.name)}</text>')
        for i, (field, label, colour) in enumerate(SHARES):
            share = _percent(getattr(bar, field), bar.canteens)
            tip = f"{bar.name} {label}：{getattr(bar, field)}/{bar.canteens} 家（{share:.1f}%）"
            out.append(f'<rect x="{left_panel}" y="{y + i * BAR_HEIGHT}" width="{BAR_WIDTH * share / 100:.1f}" '
                       f'height="{BAR_HEIGHT - 2}" fill="{colour}"><title>{escape(tip)}</title></rect>')
            out.append(f'<text x="{left_panel + BAR_WIDTH * share / 100 + 4:.1f}" '
                       f'y="{y + i * BAR_HEIGHT + BAR_HEIGHT - 3}" font-size="10">{share:.0f}%</text>')
        length = BAR_WIDTH * bar.overdue / peak
        out.append(f'<rect x="{right_panel}" y="{y + BAR_HEIGHT / 2:.1f}" width="{length:.1f}" '
                   f'height="{BAR_HEIGHT}" fill="#D55E00"><title>{escape(bar.name)} 逾期 {bar.overdue} 份'
                   f'</title></rect>')
        out.append(f'<text x="{right_panel + length + 4:.1f}" y="{y + BAR_HEIGHT * 1.5 - 2:.1f}" '
                   f'font-size="10">{bar.overdue}</text>')
    if not bars:
        out.append(f'<text x="{left_panel}" y="{top + 14}" fill="#555">没有下级行政区划。</text>')
    out.append("</svg>")
    return "\n".join(out)
