"""Fieldwork endpoints: the inspector's task list and a unit's dossier for the phone."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.fieldwork import services
from foodsafety.fieldwork.schemas import DossierSchema, TaskListSchema
from foodsafety.vocabulary import Role

blp = Blueprint("fieldwork", __name__, url_prefix="", description="手机端：待办任务与单位档案")


@blp.route("/tasks")
class Tasks(MethodView):
    @login_required(Role.INSPECTOR)
    @blp.response(200, TaskListSchema)
    def get(self):
        """What is due in your jurisdiction: orders reported (待复查) and overdue (逾期), units
        not yet inspected this half-year (全覆盖); counted in full, the most urgent 100 of each."""
        return services.task_list(current_user())


@blp.route("/units/<int:unit_id>/dossier")
class UnitDossier(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @blp.response(200, DossierSchema)
    def get(self, unit_id):
        """A unit with its licence, schools or suppliers, open orders with the schools' reports,
        its latest 20 inspections (findings, photos, revisions) and its cases."""
        return services.dossier(current_user(), unit_id)
