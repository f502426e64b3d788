"""Rectification: orders issued at inspections, schools' reports, re-inspections, overdue lists."""

from foodsafety.rectification import receivers  # noqa: F401  (connects to the inspections' signals)
