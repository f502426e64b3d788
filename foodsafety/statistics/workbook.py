"""The glue from a stored snapshot (or a live table) to the official workbook's one typed input."""

from __future__ import annotations

from datetime import UTC, date

from exports.statistics_workbook import StatisticsReport, workbook_bytes
from foodsafety.periods import Period
from foodsafety.registry.models import Jurisdiction
from foodsafety.statistics import compute
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.models import StatsSnapshot
from foodsafety.statistics.results import coverage_counts, issues_of
from foodsafety.timeutil import CST, utcnow

LIVE_MARK = "非定稿"


def reporting_office(jurisdiction_name: str) -> str:
    """填报单位: the market regulation office of the jurisdiction (成都市市场监督管理局)."""
    return f"{jurisdiction_name}市场监督管理局"


def report_from_snapshot(snapshot: StatsSnapshot) -> StatisticsReport:
    """Everything the workbook shows, read from the stored snapshot row."""
    return StatisticsReport(
        jurisdiction_code=snapshot.jurisdiction_code,
        jurisdiction_name=snapshot.jurisdiction.name,
        reporting_office=reporting_office(snapshot.jurisdiction.name),
        period_key=snapshot.period_key, cutoff=snapshot.cutoff, data_as_of=snapshot.data_as_of,
        values=snapshot.values, kind=snapshot.kind.value, snapshot_id=snapshot.id,
        snapshot_version=snapshot.version, definition_version=snapshot.definition_version,
        breakdown=snapshot.breakdown_columns, issues=snapshot.issues,
        coverage=snapshot.coverage_counts, uninspected=snapshot.uninspected_units)


def live_report(jurisdiction: Jurisdiction, period: Period, cutoff: date) -> StatisticsReport:
    """The table as the data stands now (marked 非定稿, with the time the data was read)."""
    data_as_of = utcnow()
    result = compute.breakdown(jurisdiction.code, period, cutoff)
    total = result.total
    return StatisticsReport(
        jurisdiction_code=jurisdiction.code, jurisdiction_name=jurisdiction.name,
        reporting_office=reporting_office(jurisdiction.name), period_key=period.key,
        cutoff=cutoff, data_as_of=data_as_of, values=total.values, live=True,
        breakdown=result.column_list(), issues=issues_of(total.issues),
        coverage=coverage_counts(total.coverage),
        uninspected=compute.uninspected_list(jurisdiction.code, period, cutoff))


def snapshot_workbook(snapshot: StatsSnapshot) -> bytes:
    """The snapshot as the official .xlsx workbook (built by the pure builder in `exports`)."""
    return workbook_bytes(report_from_snapshot(snapshot))


def live_filename(report: StatisticsReport) -> str:
    """`510104_锦江区_2026年上半年_校园食品安全守护行动工作情况统计表_非定稿_20261130-1430.xlsx`."""
    moment = report.data_as_of.replace(tzinfo=UTC).astimezone(CST)
    return (f"{report.jurisdiction_code}_{report.jurisdiction_name}_{report.period_label}_"
            f"{TABLE.title}_{LIVE_MARK}_{moment:%Y%m%d-%H%M}.xlsx")


def live_workbook(jurisdiction: Jurisdiction, period: Period, cutoff: date) -> tuple[bytes, str]:
    """The live table's workbook and its file name."""
    report = live_report(jurisdiction, period, cutoff)
    return workbook_bytes(report), live_filename(report)
