"""The glue from a stored snapshot (or a live table) to the official workbook's one typed input."""

from __future__ import annotations

from exports.statistics_workbook import (
    BreakdownColumn,
    CoverageCount,
    Issue,
    StatisticsReport,
    UninspectedUnit,
    workbook_bytes,
)
from foodsafety.statistics.models import StatsSnapshot


def report_from_snapshot(snapshot: StatsSnapshot) -> StatisticsReport:
    """Everything the workbook shows, read from the stored snapshot row."""
    return StatisticsReport(
        jurisdiction_code=snapshot.jurisdiction_code,
        jurisdiction_name=snapshot.jurisdiction.name,
        period_key=snapshot.period_key, cutoff=snapshot.cutoff, data_as_of=snapshot.data_as_of,
        values=snapshot.values, kind=snapshot.kind.value, snapshot_id=snapshot.id,
        snapshot_version=snapshot.version, definition_version=snapshot.definition_version,
        breakdown=[BreakdownColumn(c.code, c.name, c.values) for c in snapshot.breakdown_columns],
        issues=[Issue(i.severity, i.message, i.rule) for i in snapshot.issues],
        coverage=[CoverageCount(c.kind, c.units, c.inspected) for c in snapshot.coverage_counts],
        uninspected=[UninspectedUnit(u.name, u.kind, u.jurisdiction_name, u.licence_no)
                     for u in snapshot.uninspected_units])


def snapshot_workbook(snapshot: StatsSnapshot) -> bytes:
    """The snapshot as the official .xlsx workbook (built by the pure builder in `exports`)."""
    return workbook_bytes(report_from_snapshot(snapshot))
