"""The hub and city pages (blueprint `cities`) and the admin pages for cities, city roles and
funding calls (blueprint `admin`, under /admin).

Every view: load (404) → declared access rule (302 to log in / 403) → validate → one service
call → render or redirect (303). `load_city` puts the city of any `<city_slug>` URL in `g.city`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engage.cities import services
from engage.cities.forms import CityForm, FundingCallForm, GrantRoleForm
from engage.cities.models import City, CityRole, FundingCall
from engage.cities.permissions import is_city_staff
from engage.core.auth import admin_required, public
from engage.core.htmx import redirect_after_post, render, wants_fragment
from engage.core.i18n import current_language
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db

bp = Blueprint("cities", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_url_value_preprocessor
def load_city(endpoint, values):  # noqa: ANN001, ANN201
    """Load `g.city` from the `city_slug` URL value of any route (404 when unknown)."""
    if values and "city_slug" in values:
        city = db.session.scalars(select(City).where(City.slug == values["city_slug"])).first()
        if city is None:
            abort(404)
        g.city = city


def _template_helpers() -> dict:
    return {"format_number": format_number}


bp.context_processor(_template_helpers)
admin_bp.context_processor(_template_helpers)


def _refuse(form, refusal: services.Refused) -> None:  # noqa: ANN001
    """Show a service's refusal on the form field it concerns."""
    getattr(form, refusal.field).errors.append(refusal.message)


# ---------------------------------------------------------------- public pages


@bp.get("/")
@public
def hub():  # noqa: ANN201
    overview = services.hub_overview(current_language())
    can_manage_hub = overview.hub is not None and is_city_staff(current_user, overview.hub)
    return render_template("cities/hub.html", overview=overview, can_manage_hub=can_manage_hub)


@bp.get("/<city_slug>/")
@public
def city_page(city_slug: str):  # noqa: ANN201
    city = g.city
    if city.is_hub:
        # The hub space's page is the home page.
        return redirect(url_for("cities.hub"))
    return render_template(
        "cities/city.html",
        city=city,
        overview=services.city_overview(city),
        can_manage=is_city_staff(current_user, city),
    )


# ---------------------------------------------------------------- admin: cities


@admin_bp.get("/")
@admin_required
def index():  # noqa: ANN201
    return redirect(url_for("admin.cities"))


@admin_bp.get("/cities")
@admin_required
def cities():  # noqa: ANN201
    return render_template("admin/cities.html", rows=services.cities_with_counts())


@admin_bp.route("/cities/new", methods=["GET", "POST"])
@admin_required
def new_city():  # noqa: ANN201
    form = CityForm()
    if form.validate_on_submit():
        try:
            city = services.create_city(**form.values())
        except services.Refused as refusal:
            _refuse(form, refusal)
        else:
            flash(_("%(name)s was added.", name=services.display_name(city)), "success")
            return redirect_after_post(url_for("admin.cities"))
    return render_template("admin/city_form.html", form=form, city=None)


@admin_bp.route("/cities/<city_slug>/edit", methods=["GET", "POST"])
@admin_required
def edit_city(city_slug: str):  # noqa: ANN201
    city = g.city
    form = CityForm(obj=city)
    if form.validate_on_submit():
        try:
            services.update_city(city, **form.values())
        except services.Refused as refusal:
            _refuse(form, refusal)
        else:
            flash(_("%(name)s was saved.", name=services.display_name(city)), "success")
            return redirect_after_post(url_for("admin.cities"))
    return render_template("admin/city_form.html", form=form, city=city)


# ---------------------------------------------------------------- admin: roles


def _roles_page(form: GrantRoleForm, notice: str | None = None):  # noqa: ANN202
    """The roles page, or only its `_roles.html` panel for htmx."""
    return render(
        "admin/roles.html",
        fragment="admin/_roles.html",
        city=g.city,
        roles=services.city_roles(g.city),
        form=form,
        notice=notice,
    )


def _after_role_change(message: str):  # noqa: ANN202
    """htmx: the updated panel in place; otherwise flash and 303 back to the roles page."""
    if wants_fragment():
        return _roles_page(GrantRoleForm(formdata=None), notice=message)
    flash(message, "success")
    return redirect_after_post(url_for("admin.city_roles", city_slug=g.city.slug))


@admin_bp.get("/cities/<city_slug>/roles")
@admin_required
def city_roles(city_slug: str):  # noqa: ANN201
    return _roles_page(GrantRoleForm(formdata=None))


@admin_bp.post("/cities/<city_slug>/roles")
@admin_required
def grant_role(city_slug: str):  # noqa: ANN201
    form = GrantRoleForm()
    if form.validate_on_submit():
        try:
            grant = services.grant_role(
                g.city, form.email.data, form.role.data, granted_by=current_user
            )
        except services.Refused as refusal:
            _refuse(form, refusal)
        else:
            return _after_role_change(
                _(
                    "%(person)s now has the role %(role)s in %(city)s.",
                    person=grant.user.display_name,
                    role=grant.role_label,
                    city=services.display_name(g.city),
                )
            )
    return _roles_page(form)


@admin_bp.post("/cities/<city_slug>/roles/<int:role_id>/revoke")
@admin_required
def revoke_role(city_slug: str, role_id: int):  # noqa: ANN201
    # Loaded inside the URL's city: a role of another city is a 404, never revoked.
    grant = get_in_city_or_404(CityRole, CityRole.id == role_id)
    message = _(
        "%(person)s no longer has the role %(role)s in %(city)s.",
        person=grant.user.display_name,
        role=grant.role_label,
        city=services.display_name(g.city),
    )
    services.revoke_role(grant)
    return _after_role_change(message)


# ---------------------------------------------------------------- admin: funding calls


@admin_bp.get("/funding")
@admin_required
def funding_calls():  # noqa: ANN201
    return render_template(
        "admin/funding.html",
        calls=services.funding_calls(),
        today=services.bucharest_today(),
    )


@admin_bp.route("/funding/new", methods=["GET", "POST"])
@admin_required
def new_funding_call():  # noqa: ANN201
    form = FundingCallForm()
    if form.validate_on_submit():
        try:
            call = services.create_funding_call(**form.values())
        except services.Refused as refusal:
            _refuse(form, refusal)
        else:
            flash(_("The call %(code)s was added.", code=call.code), "success")
            return redirect_after_post(url_for("admin.funding_calls"))
    return render_template("admin/funding_form.html", form=form, call=None)


@admin_bp.route("/funding/<int:call_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_funding_call(call_id: int):  # noqa: ANN201
    call = db.get_or_404(FundingCall, call_id)
    form = FundingCallForm(obj=call)
    if form.validate_on_submit():
        try:
            services.update_funding_call(call, **form.values())
        except services.Refused as refusal:
            _refuse(form, refusal)
        else:
            flash(_("The call %(code)s was saved.", code=form.code.data), "success")
            return redirect_after_post(url_for("admin.funding_calls"))
    return render_template("admin/funding_form.html", form=form, call=call)


@admin_bp.post("/funding/<int:call_id>/delete")
@admin_required
def delete_funding_call(call_id: int):  # noqa: ANN201
    call = db.get_or_404(FundingCall, call_id)
    code = call.code
    services.delete_funding_call(call)
    flash(_("The call %(code)s was deleted.", code=code), "success")
    return redirect_after_post(url_for("admin.funding_calls"))
