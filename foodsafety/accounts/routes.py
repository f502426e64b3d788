"""Account endpoints: login (with its second step), logout, me, password, two-factor,
user administration, sessions of managed users, and two-factor policies."""

from __future__ import annotations

from flask import after_this_request, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import ANY_ROLE, current_user, login_required
from foodsafety.accounts import services
from foodsafety.accounts.schemas import (
    AuthSessionSchema,
    CodeSchema,
    EnrolmentArgsSchema,
    EnrolmentOutSchema,
    LoginOutSchema,
    LoginSchema,
    ManagedUserOutSchema,
    PasswordChangeSchema,
    PolicyListSchema,
    PolicySchema,
    ProfileSchema,
    RecoveryCodesSchema,
    SessionOutSchema,
    TwoFactorArgsSchema,
    TwoFactorStatusSchema,
    UserCreateSchema,
    UserOutSchema,
    UserPageSchema,
    UserQueryArgsSchema,
    UserUpdateSchema,
)
from foodsafety.pagination import PageArgsSchema, page_schema, paginate
from foodsafety.vocabulary import Role

blp = Blueprint("accounts", __name__, url_prefix="", description="登录与账户管理")


def _client_ip() -> str:
    return request.remote_addr or "-"


def _with_cookie(step: services.LoginStep) -> services.LoginStep:
    """The answer to a login step; a session's token also goes in an HttpOnly cookie (pages)."""
    if step.token:
        config = current_app.config

        @after_this_request
        def _set_cookie(response):
            response.set_cookie(config["SESSION_COOKIE_NAME"], step.token, httponly=True,
                                secure=config["SESSION_COOKIE_SECURE"], samesite="Strict",
                                max_age=config["SESSION_MAX_HOURS"] * 3600)
            return response

    return step


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, LoginOutSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Log in with the password: a session, or, where a second factor applies, the next step."""
        return _with_cookie(services.login(data["username"], data["password"], _client_ip()))


@blp.route("/auth/login/enrolment")
class LoginEnrolment(MethodView):
    @blp.arguments(EnrolmentArgsSchema)
    @blp.response(200, EnrolmentOutSchema)
    @blp.doc(security=[])
    def post(self, data):
        """During login: a new TOTP secret and its QR code, for an account not yet enrolled."""
        return services.start_enrolment(data["challenge"])


@blp.route("/auth/login/two-factor")
class LoginTwoFactor(MethodView):
    @blp.arguments(TwoFactorArgsSchema)
    @blp.response(200, SessionOutSchema)
    @blp.doc(security=[])
    def post(self, data):
        """During login: the authenticator code (or a recovery code) opens the session."""
        return _with_cookie(services.complete_two_factor(data["challenge"], data.get("code"),
                                                         data.get("recovery_code"), _client_ip()))


@blp.route("/auth/logout")
class Logout(MethodView):
    @login_required(*ANY_ROLE)
    @blp.response(204)
    def post(self):
        """End this session at once; its token and cookie stop working."""
        services.logout(g.auth_session)

        @after_this_request
        def _forget_cookie(response):
            response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"])
            return response


@blp.route("/auth/me")
class Me(MethodView):
    @login_required(*ANY_ROLE)
    @blp.response(200, UserOutSchema)
    def get(self):
        """The logged-in user."""
        return current_user()

    @login_required(*ANY_ROLE)
    @blp.arguments(ProfileSchema)
    @blp.response(200, UserOutSchema)
    def patch(self, data):
        """Change your own name and 执法证号 (prefilled into new inspections)."""
        return services.update_profile(current_user(), data)


@blp.route("/auth/password")
class Password(MethodView):
    @login_required(*ANY_ROLE)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, data):
        """Change your password (throttled like logins); your other sessions end."""
        services.change_password(current_user(), g.auth_session, data["current_password"],
                                 data["new_password"], _client_ip())


@blp.route("/auth/two-factor")
class TwoFactor(MethodView):
    @login_required(*ANY_ROLE)
    @blp.response(200, TwoFactorStatusSchema)
    def get(self):
        """Whether your account uses an authenticator, must, and how many recovery codes are left."""
        return services.two_factor_status(current_user())


@blp.route("/auth/two-factor/recovery-codes")
class RecoveryCodes(MethodView):
    @login_required(*ANY_ROLE)
    @blp.arguments(CodeSchema)
    @blp.response(200, RecoveryCodesSchema)
    def post(self, data):
        """New one-time recovery codes for a current authenticator code; the old ones stop working."""
        return services.regenerate_recovery_codes(current_user(), data["code"])


@blp.route("/users")
class Users(MethodView):
    @login_required(Role.ADMIN)
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """Users within your jurisdiction: filters by role, jurisdiction subtree and `active`; `q`
        searches the user name and the display name."""
        return paginate(services.admin_users(current_user(), args), args, list)

    @login_required(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, ManagedUserOutSchema)
    def post(self, data):
        """Create a user within your jurisdiction (auditors too)."""
        return services.create_user(current_user(), data)


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @login_required(Role.ADMIN)
    @blp.response(200, ManagedUserOutSchema)
    def get(self, user_id):
        """One user within your jurisdiction."""
        return services.get_admin_user(current_user(), user_id)

    @login_required(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, ManagedUserOutSchema)
    def patch(self, data, user_id):
        """Rename, deactivate, reset the password or the authenticator (the last three end all
        sessions), unlock after failed logins. Not for admins and auditors at your own level or above."""
        return services.update_user(current_user(), user_id, data)


@blp.route("/users/<int:user_id>/sessions")
class UserSessions(MethodView):
    @login_required(Role.ADMIN)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(AuthSessionSchema, "AuthSessionPage"))
    def get(self, args, user_id):
        """The open sessions of a user you manage: started, last seen, client address, expiry."""
        return paginate(services.managed_user_sessions(current_user(), user_id), args, list)

    @login_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, user_id):
        """End every session of a user you manage."""
        services.end_managed_sessions(current_user(), user_id)


@blp.route("/users/<int:user_id>/sessions/<int:session_id>")
class UserSession(MethodView):
    @login_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, user_id, session_id):
        """End one session of a user you manage."""
        services.end_managed_sessions(current_user(), user_id, session_id)


@blp.route("/two-factor-policies")
class Policies(MethodView):
    @login_required(Role.ADMIN)
    @blp.response(200, PolicyListSchema)
    def get(self):
        """Where two-factor login is switched on for a role: in your subtree, and above it."""
        return {"items": services.policies(current_user())}


@blp.route("/two-factor-policies/<string:code>/<string:role>")
class Policy(MethodView):
    @login_required(Role.ADMIN)
    @blp.response(200, PolicySchema)
    def put(self, code, role):
        """Require two-factor login of `role` throughout jurisdiction `code`'s subtree."""
        return services.set_policy(current_user(), code, role)

    @login_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, code, role):
        """Switch the policy off (only one set within your subtree)."""
        services.remove_policy(current_user(), code, role)
