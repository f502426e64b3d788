"""Reporting periods: `YYYY-H1` (1 Jan–30 Jun), `YYYY-H2` (1 Jul–31 Dec) and `YYYY` (the year)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

PERIOD_RE = re.compile(r"(?P<year>20[0-9]{2})(?:-(?P<half>H[12]))?")
# The same rule for schemas and the OpenAPI document (ASCII digits only).
PERIOD_PATTERN = r"^20[0-9]{2}(-H[12])?$"


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """The period in Chinese, as on the official form: 2026年上半年 / 2026年全年."""
        year = self.key[:4]
        return {"H1": f"{year}年上半年", "H2": f"{year}年下半年"}.get(self.key[5:], f"{year}年全年")

    @property
    def short_label(self) -> str:
        """A half-year on a chart's axis: 2026上半年."""
        return self.label.replace("年", "", 1)

    def cutoff(self, on: date | None = None) -> date:
        """The report's cutoff: the period's last day, or `on` if earlier (built before it ends)."""
        if on is None or on >= self.end:
            return self.end
        return max(on, self.start)


def parse_period(text: str) -> Period:
    """Parse a period key; raises ValueError with a Chinese message on anything else."""
    match = PERIOD_RE.fullmatch(text or "")
    if not match:
        raise ValueError("统计期间格式应为 YYYY（全年）或 YYYY-H1（上半年）。")
    year = int(match["year"])
    half = match["half"]
    if half == "H1":
        return Period(text, date(year, 1, 1), date(year, 6, 30))
    if half == "H2":
        return Period(text, date(year, 7, 1), date(year, 12, 31))
    return Period(text, date(year, 1, 1), date(year, 12, 31))


def half_year_of(day: date) -> Period:
    """The half-year (上半年 / 下半年) that `day` falls in."""
    return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")


FIRST_YEAR = 2020  # the action began with 国市监食经〔2020〕61号
TREND_HALVES = 6


def selectable_periods(today: date) -> list[Period]:
    """Reporting periods that have begun, newest first: each year's full year and first half."""
    choices = []
    for year in range(today.year, FIRST_YEAR - 1, -1):
        for key in (str(year), f"{year}-H1"):
            period = parse_period(key)
            if period.start <= today:
                choices.append(period)
    return choices


def trend_halves(period: Period, today: date, count: int = TREND_HALVES) -> list[Period]:
    """The half-years up to the one `period` ends in (none beyond today), oldest first."""
    year, half = period.end.year, 1 if period.end.month <= 6 else 2
    halves = []
    while len(halves) < count and year >= FIRST_YEAR:
        candidate = parse_period(f"{year}-H{half}")
        if candidate.start <= today:
            halves.append(candidate)
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return list(reversed(halves))
