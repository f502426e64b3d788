"""Registry endpoints: jurisdictions, schools, units and supply links."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.downloads import XLSX
from foodsafety.limits.leases import expensive
from foodsafety.list_exports import EXPORTED, ROWS, export_list
from foodsafety.pagination import paginate
from foodsafety.registry import services
from foodsafety.registry.schemas import (
    PAGE_FIELDS,
    UNIT_PAGE_MAX,
    JurisdictionArgsSchema,
    JurisdictionOutSchema,
    SchoolInSchema,
    SchoolListItemSchema,
    SchoolOutSchema,
    SchoolPageSchema,
    SchoolPatchSchema,
    SchoolQueryArgsSchema,
    SupplyLinkInSchema,
    SupplyLinkOutSchema,
    SupplyLinkPageSchema,
    SupplyLinkPatchSchema,
    SupplyLinkQueryArgsSchema,
    UnitInSchema,
    UnitOutSchema,
    UnitPageSchema,
    UnitPatchSchema,
    UnitQueryArgsSchema,
)
from foodsafety.vocabulary import Role

blp = Blueprint("registry", __name__, url_prefix="", description="登记：行政区划、学校、单位、供餐关系")
STAFF = (Role.INSPECTOR, Role.BUREAU, Role.ADMIN)


def _shown(unit):
    return services.show_units(current_user(), [unit])[0]


@blp.route("/jurisdictions")
class Jurisdictions(MethodView):
    @login_required(*STAFF)
    @blp.arguments(JurisdictionArgsSchema, location="query")
    @blp.response(200, JurisdictionOutSchema(many=True))
    def get(self, args):
        """Your own jurisdiction, or with `parent` the children of one in your subtree, or with `q`
        the divisions of your subtree whose name or code matches."""
        if args.get("q"):
            return services.search_jurisdictions(current_user(), args["q"])
        return services.jurisdiction_children(current_user(), args.get("parent"))


@blp.route("/schools")
class Schools(MethodView):
    @login_required()
    @blp.arguments(SchoolQueryArgsSchema, location="query")
    @blp.response(200, SchoolPageSchema)
    def get(self, args):
        """Schools in your scope (a school account sees itself), with canteens and today's suppliers."""
        return paginate(services.list_schools(current_user(), args), args,
                        services.with_canteens_and_suppliers)

    @login_required(Role.ADMIN)
    @blp.arguments(SchoolInSchema)
    @blp.response(201, SchoolOutSchema)
    def post(self, data):
        """Register a school in your jurisdiction."""
        return services.create_school(current_user(), data)


@blp.route("/schools/export.xlsx")
class SchoolExport(MethodView):
    @login_required(*STAFF)
    @expensive
    @blp.arguments(SchoolQueryArgsSchema(exclude=PAGE_FIELDS), location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        schema = SchoolListItemSchema(many=True)
        return export_list("schools", services.list_schools(current_user(), args),
                           lambda schools: schema.dump(services.with_canteens_and_suppliers(schools)),
                           list(schema.fields), args)


@blp.route("/schools/<int:school_id>")
class SchoolById(MethodView):
    @login_required()
    @blp.response(200, SchoolOutSchema)
    def get(self, school_id):
        """One school."""
        return services.get_school(current_user(), school_id)

    @login_required(Role.ADMIN)
    @blp.arguments(SchoolPatchSchema)
    @blp.response(200, SchoolOutSchema)
    def patch(self, data, school_id):
        """Change a school's name, stage, USCC or address."""
        return services.update_school(current_user(), school_id, data)


@blp.route("/units")
class Units(MethodView):
    @login_required()
    @blp.arguments(UnitQueryArgsSchema, location="query")
    @blp.response(200, UnitPageSchema)
    def get(self, args):
        """Units in your scope, each with its last inspection and open orders; `q` searches name,
        short name, address, licence number and school name; filters by jurisdiction subtree, kind,
        school and today's licence status; `sort`."""
        user = current_user()
        return paginate(services.list_units(user, args), args,
                        lambda units: services.show_units(user, units), per_page_max=UNIT_PAGE_MAX)

    @login_required(Role.ADMIN, Role.INSPECTOR)
    @blp.arguments(UnitInSchema)
    @blp.response(201, UnitOutSchema)
    @blp.alt_response(200, schema=UnitOutSchema, description="同一 client_id 的重复登记：返回已登记的单位")
    def post(self, data):
        """Register a unit (an inspector may register e.g. an unlicensed operator found on site,
        offline: the phone's `client_id` makes a retry return the unit already registered)."""
        unit, created = services.create_unit(current_user(), data)
        return _shown(unit), 201 if created else 200


@blp.route("/units/export.xlsx")
class UnitExport(MethodView):
    @login_required(*STAFF)
    @expensive
    @blp.arguments(UnitQueryArgsSchema(exclude=PAGE_FIELDS), location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        user, schema = current_user(), UnitOutSchema(many=True)  # dumped as the list dumps them
        return export_list("units", services.list_units(user, args),
                           lambda units: schema.dump(services.show_units(user, units)),
                           list(schema.fields), args)


@blp.route("/units/<int:unit_id>")
class UnitById(MethodView):
    @login_required()
    @blp.response(200, UnitOutSchema)
    def get(self, unit_id):
        """One unit with its licence, registered status, last inspection and open orders."""
        return _shown(services.get_unit(current_user(), unit_id))

    @login_required(Role.ADMIN, Role.INSPECTOR)
    @blp.arguments(UnitPatchSchema)
    @blp.response(200, UnitOutSchema)
    def patch(self, data, unit_id):
        """Change a unit's registration (licence, status); its kind is fixed."""
        return _shown(services.update_unit(current_user(), unit_id, data))


@blp.route("/supply-links")
class SupplyLinks(MethodView):
    @login_required()
    @blp.arguments(SupplyLinkQueryArgsSchema, location="query")
    @blp.response(200, SupplyLinkPageSchema)
    def get(self, args):
        """Which supplier supplies which school, and when: filters by jurisdiction subtree, school,
        supplier, in force today (`current`); `q` searches school and supplier; `sort`."""
        return paginate(services.list_links(current_user(), args), args, list)

    @login_required(Role.ADMIN)
    @blp.arguments(SupplyLinkInSchema)
    @blp.response(201, SupplyLinkOutSchema)
    def post(self, data):
        """Record that a supplier supplies a school from a date."""
        return services.create_link(current_user(), data)


@blp.route("/supply-links/export.xlsx")
class SupplyLinkExport(MethodView):
    @login_required(*STAFF)
    @expensive
    @blp.arguments(SupplyLinkQueryArgsSchema(exclude=PAGE_FIELDS), location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        schema = SupplyLinkOutSchema(many=True)
        return export_list("supply-links", services.list_links(current_user(), args), schema.dump,
                           list(schema.fields), args)


@blp.route("/supply-links/<int:link_id>")
class SupplyLinkById(MethodView):
    @login_required()
    @blp.response(200, SupplyLinkOutSchema)
    def get(self, link_id):
        """One supply link (the supplier or the school in your scope; a school: its own)."""
        return services.get_link(current_user(), link_id)

    @login_required(Role.ADMIN)
    @blp.arguments(SupplyLinkPatchSchema)
    @blp.response(200, SupplyLinkOutSchema)
    def patch(self, data, link_id):
        """End (or reopen) a supply link."""
        return services.end_link(current_user(), link_id, data["ends_on"])
