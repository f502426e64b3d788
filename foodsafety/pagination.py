"""Page-number pagination shared by every list endpoint."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select

from foodsafety.extensions import db


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def paginate(query: Select, args: dict, dump: Any) -> dict:
    """Run `query` for one page; `dump(rows)` turns the rows into JSON-ready items."""
    per_page = min(args.get("per_page", 50), current_app.config["PAGE_SIZE_MAX"])
    page = args.get("page", 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": dump(rows), "page": page, "per_page": per_page, "total": total}


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """An OpenAPI schema for a page of `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )
