"""Accounts: sign-up, e-mail verification, log-in, password reset, profile, language choice."""


def init_app(app) -> None:  # noqa: ANN001
    from engage.accounts import owndata, routes  # noqa: F401  (owndata: registers)
    from engage.accounts.models import User
    from engage.extensions import db, login_manager

    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):  # noqa: ANN202
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        # A deleted account's sessions and remember-me cookies log in nobody.
        return None if user is None or user.deleted_at is not None else user

    app.register_blueprint(routes.bp)
