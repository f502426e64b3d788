"""Account endpoints: login, logout, me, password, and user administration."""

from __future__ import annotations

from flask import current_app, g, make_response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.accounts import services
from foodsafety.accounts.auth import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.accounts.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    SessionOutSchema,
    UserCreateSchema,
    UserOutSchema,
    UserPageSchema,
    UserQueryArgsSchema,
    UserUpdateSchema,
)
from foodsafety.extensions import db
from foodsafety.pagination import paginate

blp = Blueprint("accounts", __name__, url_prefix="", description="登录与账户管理")


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, SessionOutSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Log in; the token is returned (for the API) and set as an HttpOnly cookie (for pages)."""
        token, session = services.login(data["username"], data["password"],
                                        request.remote_addr or "-")
        db.session.commit()
        response = make_response(services.session_dict(token, session))
        config = current_app.config
        response.set_cookie(config["SESSION_COOKIE_NAME"], token, httponly=True,
                            secure=config["SESSION_COOKIE_SECURE"], samesite="Strict",
                            max_age=config["SESSION_MAX_HOURS"] * 3600)
        return response


@blp.route("/auth/logout")
class Logout(MethodView):
    @login_required()
    @blp.response(204)
    def post(self):
        """End this session at once; its token and cookie stop working."""
        services.logout(g.auth_session)
        db.session.commit()
        response = make_response("", 204)
        response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"])
        return response


@blp.route("/auth/me")
class Me(MethodView):
    @login_required()
    @blp.response(200, UserOutSchema)
    def get(self):
        """The logged-in user."""
        return services.user_dict(current_user())


@blp.route("/auth/password")
class Password(MethodView):
    @login_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, data):
        """Change your password; your other sessions end."""
        services.change_password(current_user(), g.auth_session, data["current_password"],
                                 data["new_password"])
        db.session.commit()


@blp.route("/users")
class Users(MethodView):
    @login_required(Role.ADMIN)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """Users within your jurisdiction."""
        return paginate(services.admin_users(current_user(), args), args,
                        lambda rows: [services.user_dict(u) for u in rows])

    @login_required(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserOutSchema)
    def post(self, data):
        """Create a user within your jurisdiction."""
        user = services.create_user(current_user(), data)
        db.session.commit()
        return services.user_dict(user)


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @login_required(Role.ADMIN)
    @blp.response(200, UserOutSchema)
    def get(self, user_id):
        """One user within your jurisdiction."""
        return services.user_dict(services.get_admin_user(current_user(), user_id))

    @login_required(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserOutSchema)
    def patch(self, data, user_id):
        """Rename, deactivate (ends all sessions) or reset the password."""
        user = services.update_user(current_user(), user_id, data)
        db.session.commit()
        return services.user_dict(user)
