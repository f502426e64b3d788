"""Scheduler endpoint: the status of the scheduled jobs (last run, outcome, duration)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.scheduler import services
from foodsafety.scheduler.schemas import JobStatusListSchema
from foodsafety.vocabulary import Role

blp = Blueprint("scheduler", __name__, url_prefix="/scheduler", description="定时任务运行状态")


@blp.route("/runs")
class Runs(MethodView):
    @login_required(Role.ADMIN, Role.INSPECTOR, Role.BUREAU)
    @blp.response(200, JobStatusListSchema)
    def get(self):
        """Every scheduled job with its schedule and last run; results only for your subtree."""
        now = datetime.now(UTC)
        return {"jobs": services.jobs_status(current_user(), current_app.config, now)}
