"""Scheduler schemas: the job status list."""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.fields import StoredInstant, code, label
from foodsafety.vocabulary import RunStatus

DATE = {"format": "date"}


class DueSchema(Schema):
    period_key = fields.String(attribute="key")
    due_on = fields.Date()


class CountyOverdueSchema(Schema):
    code = fields.String()
    name = fields.String()
    count = fields.Integer()
    oldest_deadline = fields.String(metadata=DATE)


class RefusedSchema(Schema):
    code = fields.String(metadata={"description": "未能生成定稿的行政区划"})
    errors = fields.List(fields.String(), metadata={"description": "未通过的错误级校验规则"})


NULL = {"allow_none": True, "dump_default": None}


class RunResultSchema(Schema):
    """A run's result, with only the figures of your own subtree. Which fields carry values depends
    on the job and the run's state; the others are null."""

    steps_done = fields.Integer(**NULL, metadata={"description": "运行中或中途失败时：已完成的步骤数"})
    # the statistics snapshots
    period = fields.String(**NULL, metadata={"description": "统计快照任务：统计期间"})
    kind = fields.String(**NULL, metadata={"description": "统计快照任务：draft（草稿）或 final（定稿）"})
    cutoff = fields.String(**NULL, metadata={**DATE, "description": "统计快照任务：截止日期"})
    jurisdictions = fields.Integer(**NULL, metadata={"description": "统计快照任务：处理的行政区划数"})
    snapshots = fields.Integer(**NULL, metadata={"description": "统计快照任务：生成的快照数"})
    refused = fields.List(fields.Nested(RefusedSchema), **NULL,
                          metadata={"description": "统计快照任务：未能生成定稿的行政区划"})
    # the daily overdue count
    as_of = fields.String(**NULL, metadata={**DATE, "description": "逾期统计任务：统计日期"})
    overdue = fields.Integer(**NULL, metadata={"description": "逾期统计任务：逾期未整改的通知书数"})
    by_county = fields.List(fields.Nested(CountyOverdueSchema), **NULL,
                            metadata={"description": "逾期统计任务：按区县"})
    by_jurisdiction = fields.Dict(keys=fields.String(), values=fields.Integer(), **NULL,
                                  metadata={"description": "逾期统计任务：按各级行政区划（代码 → 件数）"})
    # the photo sweep
    rows_removed = fields.Integer(**NULL, metadata={"description": "照片清理任务：删除的未到达检查记录的照片"})
    removed = fields.Integer(**NULL, metadata={"description": "照片清理任务：删除的无记录引用的照片文件"})
    # the summaries check
    rebuilt_units = fields.Integer(**NULL, metadata={"description": "统计汇总核对：汇总未建成时重建的单位数"})
    difference_count = fields.Integer(**NULL, metadata={"description": "统计汇总核对：与原始记录不一致之处"})


class RunSchema(Schema):
    id = fields.Integer()
    period_key = fields.String(metadata={"description": "统计期间（2026-H1、2026）或日期（每日任务）"})
    due_on = fields.Date()
    status = code(RunStatus)
    status_label = label("status")
    attempts = fields.Integer()
    started_at = StoredInstant()
    finished_at = StoredInstant(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    next_attempt_at = StoredInstant(allow_none=True, metadata={"description": "失败后：下次重试的时间"})
    error = fields.String(allow_none=True)
    result = fields.Nested(RunResultSchema, attribute="visible_result", allow_none=True)


class JobStatusSchema(Schema):
    name = fields.String(attribute="job.name")
    label = fields.String(attribute="job.label")
    schedule = fields.String()
    due = fields.Nested(DueSchema, allow_none=True)
    last_run = fields.Nested(RunSchema, allow_none=True)


class JobStatusListSchema(Schema):
    jobs = fields.List(fields.Nested(JobStatusSchema))
