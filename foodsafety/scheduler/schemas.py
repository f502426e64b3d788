"""Scheduler schemas: the documented shape of the job status list."""

from __future__ import annotations

from marshmallow import Schema, fields


class DueSchema(Schema):
    period_key = fields.String()
    due_on = fields.String()


class RunSchema(Schema):
    id = fields.Integer()
    period_key = fields.String(metadata={"description": "统计期间（2026-H1、2026）或日期（每日任务）"})
    due_on = fields.String()
    status = fields.String(metadata={"description": "running / succeeded / failed"})
    status_label = fields.String()
    attempts = fields.Integer()
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True, metadata={"description": "运行结果，仅含本辖区范围内的数字"})


class JobStatusSchema(Schema):
    name = fields.String()
    label = fields.String()
    schedule = fields.String()
    due = fields.Nested(DueSchema, allow_none=True)
    last_run = fields.Nested(RunSchema, allow_none=True)


class JobStatusListSchema(Schema):
    jobs = fields.List(fields.Nested(JobStatusSchema))
