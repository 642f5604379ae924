"""E-mail updates about ideas: who is told when an idea's status changes, and how.

The pages: a person's e-mail settings for ideas (each change, a daily digest, none), the
unsubscribe link of every such e-mail (a GET shows a confirmation, only its POST changes
anything: mail scanners follow links), and the follow / stop following button of an idea. The
models and services live in `notifications`; `flask send-idea-digests` sends the digests now.
"""

from __future__ import annotations

import click
from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from engage.core.auth import login_required, public
from engage.core.htmx import redirect_after_post, wants_fragment
from engage.core.tenancy import current_city, get_in_city_or_404
from engage.extensions import db
from engage.ideas import notifications
from engage.ideas.models import Idea
from engage.ideas.notifications import IDEA_UPDATE_CHOICES
from engage.ideas.permissions import can_view_idea

# Commands of this blueprint are top-level `flask` commands (`flask send-idea-digests`).
bp = Blueprint("follow", __name__, cli_group=None)


class NotificationSettingsForm(FlaskForm):
    idea_updates = RadioField(
        _l("When an idea I follow changes status"),
        choices=[SelectChoice(value=key, label=label)
                 for key, label in IDEA_UPDATE_CHOICES.items()],
        validators=[InputRequired(_l("Please choose one of the options."))],
    )


# ---------------------------------------------------------------- settings


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():  # noqa: ANN201
    user = current_user._get_current_object()
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        try:
            notifications.set_setting(user, form.idea_updates.data)
        except notifications.NotificationError as error:
            form.idea_updates.errors = [error.message]
        else:
            flash(_("Your e-mail settings are saved."), "success")
            return redirect_after_post(url_for("follow.settings"))
    elif request.method == "GET":
        form.idea_updates.data = notifications.get_setting(user)
    return render_template("ideas/notifications.html", form=form, user=user)


@bp.route("/account/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):  # noqa: ANN201
    user = notifications.user_for_unsubscribe_token(token)
    if user is None:
        return render_template("ideas/unsubscribe.html", invalid=True, token=token), 404
    if request.method == "POST":
        notifications.set_setting(user, "off")
        return render_template("ideas/unsubscribe.html", done=True, token=token)
    already_off = notifications.get_setting(user) == "off"
    return render_template("ideas/unsubscribe.html", already_off=already_off, token=token)


# ---------------------------------------------------------------- following one idea


@bp.post("/<city_slug>/ideas/<int:idea_id>/follow")
@login_required
def follow_idea(city_slug: str, idea_id: int):  # noqa: ANN201
    idea = get_in_city_or_404(Idea, Idea.id == idea_id)
    if not can_view_idea(current_user, idea):
        abort(404)
    choice = request.form.get("following", "")
    if choice not in ("0", "1"):
        abort(400)
    following = notifications.set_following(current_user, idea, choice == "1")
    if wants_fragment():
        return render_template("ideas/_follow.html", idea=idea, following=following,
                               city=current_city())
    if following:
        flash(_("You follow this idea: we will write to you when its status changes."),
              "success")
    else:
        flash(_("You no longer follow this idea."), "success")
    return redirect_after_post(url_for("ideas.idea", city_slug=current_city().slug,
                                       idea_id=idea.id))


# ---------------------------------------------------------------- command


@bp.cli.command("send-idea-digests")
def send_idea_digests_command() -> None:
    """Put the daily digests of idea updates in the outbox now (`flask send-mail` sends
    them; the huey consumer does both by itself every day at 07:00 Bucharest time)."""
    sent = notifications.send_digests()
    db.session.commit()
    click.echo(f"queued {sent} digest(s)")
