"""Accounts blueprint: sign-up, e-mail verification, log-in/out, password reset, profile, language,
and people's own data: the download (JSON, readable HTML, or a ZIP of both with the photos) and
the deletion of the account.

Views stay thin: validate the form, call one service, answer. The answers to sign-up, reset,
resend and e-mail change never depend on whether an address has an account (no enumeration);
their POSTs are rate-limited with the limits in the configuration, read on every request.
"""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from engage.accounts import services
from engage.accounts.forms import (
    PASSWORD_MAX,
    REQUIRED,
    TOO_LONG,
    ChangeEmailForm,
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    ResendVerificationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from engage.accounts.models import User
from engage.cities.services import roles_of_person
from engage.core.auth import login_required, public
from engage.core.db import writes_on_get
from engage.core.htmx import redirect_after_post
from engage.core.i18n import LANG_COOKIE, current_language, supported_languages
from engage.extensions import csrf, db, limiter

bp = Blueprint("accounts", __name__, url_prefix="/account")

# The pages that say "we sent you a message", one text each.
SENT_KINDS = ("signup", "verify", "reset", "email")


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to, never another host (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def _configured_limit(name: str):  # noqa: ANN202
    """The limit string is read per request, so a deployment (or a test) can change it."""
    return lambda: current_app.config[name]


@bp.post("/language")
@public
@csrf.exempt
def set_language():  # noqa: ANN201
    # A visitor without an account only sets a cookie, so their form carries no CSRF token (and
    # public pages need no session); a signed-in person's choice changes their profile, so it
    # is checked like every other form.
    if current_user.is_authenticated:
        csrf.protect()
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next"), url_for("cities.hub"))
    response = redirect(target, code=303)
    if language in supported_languages():
        response.set_cookie(
            LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=bool(request.is_secure),
        )
        if current_user.is_authenticated and current_user.language != language:
            current_user.language = language
            db.session.flush()
    return response


# ---------------------------------------------------------------- sign-up and verification


@bp.route("/signup", methods=["GET", "POST"])
@public
@limiter.limit(_configured_limit("RATELIMIT_SIGNUP"), methods=["POST"])
def signup():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect_after_post(url_for("accounts.profile"))
    form = SignupForm(language=current_language())
    if form.validate_on_submit():
        # A filled honeypot gets the same answer as everyone, and nothing is created.
        if not form.is_robot:
            services.register(
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                language=form.language.data,
                stakeholder_type=form.stakeholder_type.data,
            )
        return redirect_after_post(url_for("accounts.mail_sent", kind="signup"))
    return render_template("accounts/signup.html", form=form)


@bp.get("/sent/<kind>")
@public
def mail_sent(kind: str):  # noqa: ANN201
    if kind not in SENT_KINDS:
        abort(404)
    return render_template("accounts/mail_sent.html", kind=kind)


@bp.get("/verify/<token>")
@writes_on_get
@public
def verify_email(token: str):  # noqa: ANN201
    try:
        confirmation = services.confirm_email(token)
    except services.TokenExpired as error:
        form = ResendVerificationForm(formdata=None, email=error.email or "")
        return render_template("accounts/verify_failed.html", expired=True, form=form), 400
    except services.TokenInvalid:
        form = ResendVerificationForm(formdata=None)
        return render_template("accounts/verify_failed.html", expired=False, form=form), 400
    if confirmation.already_verified:
        flash(_("Your e-mail address was already confirmed."), "success")
    else:
        flash(_("Thank you: your e-mail address is confirmed. You can now log in."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"), code=303)
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/verify/resend", methods=["GET", "POST"])
@public
@limiter.limit(_configured_limit("RATELIMIT_RESET"), methods=["POST"])
def resend_verification():  # noqa: ANN201
    form = ResendVerificationForm()
    if form.validate_on_submit():
        services.resend_verification(form.email.data)
        return redirect_after_post(url_for("accounts.mail_sent", kind="verify"))
    return render_template("accounts/resend_verification.html", form=form)


# ---------------------------------------------------------------- log-in and log-out


def _start_session(user: User, remember: bool) -> None:
    """Log in on a fresh session: nothing set before the log-in survives it, except the CSRF
    secret, so that the forms already open in the person's other tabs keep working."""
    csrf_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    csrf_secret = session.get(csrf_key)
    session.clear()
    if csrf_secret:
        session[csrf_key] = csrf_secret
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_configured_limit("RATELIMIT_LOGIN"), methods=["POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        if request.method == "POST":
            return redirect_after_post(url_for("accounts.profile"))
        # A page rather than a redirect: it says who is logged in and offers to log out.
        return render_template("accounts/login.html", form=None)
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    resend_form = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.InvalidCredentials:
            error = _("E-mail address or password is incorrect.")
        except services.AccountInactive:
            error = _("This account has been deactivated. Please contact the platform team.")
        except services.EmailNotVerified:
            resend_form = ResendVerificationForm(formdata=None, email=form.email.data)
        else:
            _start_session(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect_after_post(safe_next(form.next.data, url_for("cities.hub")))
    return render_template(
        "accounts/login.html", form=form, error=error, resend_form=resend_form
    )


@bp.post("/logout")
@login_required
def logout():  # noqa: ANN201
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect_after_post(url_for("cities.hub"))


# ---------------------------------------------------------------- password reset


@bp.route("/reset", methods=["GET", "POST"])
@public
@limiter.limit(_configured_limit("RATELIMIT_RESET"), methods=["POST"])
def request_reset():  # noqa: ANN201
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return redirect_after_post(url_for("accounts.mail_sent", kind="reset"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_configured_limit("RATELIMIT_RESET"), methods=["POST"])
def reset_password(token: str):  # noqa: ANN201
    try:
        user = services.user_for_reset_token(token)
    except services.TokenError as error:
        expired = isinstance(error, services.TokenExpired)
        return render_template("accounts/reset_failed.html", expired=expired), 400
    form = ResetPasswordForm()
    form.owner_email = user.email
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        flash(_("Your new password is set. You can now log in with it."), "success")
        return redirect_after_post(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, token=token)


# ---------------------------------------------------------------- profile


def _remember_language(response: Response, language: str) -> Response:
    response.set_cookie(
        LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
        secure=bool(request.is_secure),
    )
    return response


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():  # noqa: ANN201
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        services.update_profile(
            user,
            display_name=form.display_name.data,
            language=form.language.data,
            stakeholder_type=form.stakeholder_type.data,
        )
        # Said in the language just chosen: the next page is in it too.
        with force_locale(user.language):
            flash(_("Your profile is saved."), "success")
        response = redirect_after_post(url_for("accounts.profile"))
        return _remember_language(response, user.language)
    roles = roles_of_person(user)
    return render_template("accounts/profile.html", form=form, user=user, roles=roles)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_configured_limit("RATELIMIT_LOGIN"), methods=["POST"])
def change_password():  # noqa: ANN201
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    form.owner_email = user.email
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except services.WrongPassword:
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            flash(_("Your password is changed. We sent you a message to confirm it."), "success")
            return redirect_after_post(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit(_configured_limit("RATELIMIT_LOGIN"), methods=["POST"])
def change_email():  # noqa: ANN201
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(user, form.current_password.data, form.new_email.data)
        except services.WrongPassword:
            form.current_password.errors.append(_("The current password is not correct."))
        except services.SameEmail:
            form.new_email.errors.append(_("This is already your e-mail address."))
        else:
            return redirect_after_post(url_for("accounts.mail_sent", kind="email"))
    return render_template("accounts/change_email.html", form=form, user=user)


@bp.get("/email/confirm/<token>")
@public
def confirm_email_change(token: str):  # noqa: ANN201
    try:
        user = services.confirm_email_change(token)
    except services.TokenError as error:
        expired = isinstance(error, services.TokenExpired)
        return render_template("accounts/email_change_failed.html", expired=expired), 400
    flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"), code=303)
    return redirect(url_for("accounts.login"), code=303)


# ---------------------------------------------------------------- people's own data


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(REQUIRED), Length(max=PASSWORD_MAX, message=TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )
    contributions = RadioField(
        _l("What happens to your contributions"),
        choices=[
            SelectChoice(value="keep", label=_l(
                "Keep my contributions, anonymised (shown as \"former participant\")")),
            SelectChoice(value="delete", label=_l("Delete my contributions")),
        ],
        validators=[InputRequired(_l("Please choose what happens to your contributions."))],
    )


def _own_data_html(data: dict, photos: dict[str, str] | None = None) -> str:
    return render_template("accounts/own_data_export.html", data=data, photos=photos or {})


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _photo_urls(value: object) -> list[str]:
    """Every photo URL in the collected data (under a "photos" key, at any depth)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "photos" and isinstance(item, list):
                found.extend(url for url in item if isinstance(url, str))
            else:
                found.extend(_photo_urls(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_photo_urls(item))
    return found


@bp.get("/data")
@login_required
def own_data():  # noqa: ANN201
    return render_template("accounts/own_data.html")


@bp.get("/data/<fmt>")
@login_required
@limiter.limit(_configured_limit("RATELIMIT_LOGIN"))
def download_own_data(fmt: str):  # noqa: ANN201
    from engage.core.uploads import UploadError, get_storage

    user = current_user._get_current_object()
    data = services.own_data(user)
    stamp = data["generated_at"][:10]
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return _attachment(body, "application/json", f"engage-my-data-{stamp}.json")
    if fmt == "html":
        return _attachment(_own_data_html(data), "text/html", f"engage-my-data-{stamp}.html")
    if fmt != "zip":
        abort(404)
    buffer = io.BytesIO()
    storage = get_storage()
    photos: dict[str, str] = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for url in _photo_urls(data):
            key = url.removeprefix("/media/")
            try:
                content = storage.open(key)
            except (OSError, UploadError, ValueError):
                continue  # a file gone from storage: its URL stays in the data
            photos[url] = f"photos/{key}"
            archive.writestr(photos[url], content)
        archive.writestr("my-data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("my-data.html", _own_data_html(data, photos))
    return _attachment(buffer.getvalue(), "application/zip", f"engage-my-data-{stamp}.zip")


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(_configured_limit("RATELIMIT_LOGIN"), methods=["POST"])
def delete_account():  # noqa: ANN201
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(user, form.current_password.data,
                                    keep_contributions=form.contributions.data == "keep")
        except services.WrongPassword:
            form.current_password.errors.append(_("The password is not correct."))
        else:
            logout_user()
            session.clear()
            flash(_("Your account is deleted. We sent a confirmation to your former e-mail "
                    "address."), "success")
            return redirect_after_post(url_for("cities.hub"))
    status = 422 if form.errors else 200
    return render_template("accounts/delete_account.html", form=form), status
