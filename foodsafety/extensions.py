"""Extensions, created unbound and bound to the app in `create_app`."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def term_column(term: type, name: str) -> Enum:
    """A portable column for a vocabulary (`foodsafety.vocabulary.Term`): stores the member
    codes (short ASCII), checked by a named CHECK constraint on every database."""
    return Enum(term, name=name, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda members: [m.value for m in members], validate_strings=True)


class ErrorSchema(Schema):
    """The one error shape (documented in OpenAPI for every operation)."""

    code = fields.Integer(metadata={"description": "HTTP 状态码"})
    status = fields.String(metadata={"description": "HTTP 状态名称"})
    message = fields.String(metadata={"description": "面向用户的中文说明"})
    errors = fields.Raw(metadata={"description": "按字段路径列出的错误（对象），或导入文件的逐行错误（列表）"})
    reason = fields.String(metadata={"description": "机器可读的原因，如 inspection_deleted"})
    current_revision = fields.Integer(metadata={
        "description": "仅 reason 为 stale_revision 时：记录当前的版本号，更正应基于该版本"})
    request_id = fields.String(metadata={"description": "关联编号，与服务器日志一致"})


class FoodSafetyApi(Api):
    ERROR_SCHEMA = ErrorSchema


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = FoodSafetyApi()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Make SQLite behave: foreign keys on, WAL for concurrent readers, wait on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
