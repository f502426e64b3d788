"""The glue from a stored snapshot (or a live table) to the official workbook's one typed input."""

from __future__ import annotations

from exports.statistics_workbook import StatisticsReport, workbook_bytes
from foodsafety.statistics.models import StatsSnapshot


def report_from_snapshot(snapshot: StatsSnapshot) -> StatisticsReport:
    """Everything the workbook shows, read from the stored snapshot row."""
    return StatisticsReport(
        jurisdiction_code=snapshot.jurisdiction_code,
        jurisdiction_name=snapshot.jurisdiction.name,
        period_key=snapshot.period_key, cutoff=snapshot.cutoff, data_as_of=snapshot.data_as_of,
        values=snapshot.values, kind=snapshot.kind.value, snapshot_id=snapshot.id,
        snapshot_version=snapshot.version, definition_version=snapshot.definition_version,
        breakdown=snapshot.breakdown_columns, issues=snapshot.issues,
        coverage=snapshot.coverage_counts, uninspected=snapshot.uninspected_units)


def snapshot_workbook(snapshot: StatsSnapshot) -> bytes:
    """The snapshot as the official .xlsx workbook (built by the pure builder in `exports`)."""
    return workbook_bytes(report_from_snapshot(snapshot))
