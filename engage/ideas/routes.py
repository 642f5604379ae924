"""Ideas blueprint: the list, the map, the idea page, submitting, supporting, voting,
commenting and reporting; and the moderators' and organisers' pages of an ideas process.

Every object comes from the URL's city (`get_in_city_or_404`), so another city's idea is a 404;
access is declared on each view with `core.auth` and decided for the one object by the
predicates in `permissions.py`; the rules themselves are the services'. Each write answers htmx
with the fragment it changed and a plain form POST with a redirect (303), so every action works
without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engage.cities.permissions import can_moderate, is_city_organiser, is_city_staff
from engage.core import citations
from engage.core.auth import login_redirect, login_required, public, requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post, render, wants_fragment
from engage.core.i18n import current_language
from engage.core.pagecache import cached_page
from engage.core.pagination import page_number
from engage.core.tenancy import city_query, get_in_city_or_404
from engage.extensions import db
from engage.ideas import notifications, queries, services
from engage.ideas.forms import (
    CommentEditForm,
    CommentForm,
    IdeaForm,
    MergeForm,
    ModerationForm,
    ProgressForm,
    ReportForm,
    SettingsForm,
    WorkshopIdeaForm,
)
from engage.ideas.models import (
    MAX_PHOTOS,
    PROGRESS_STATUSES,
    REPORT_REASONS,
    VOTE_VALUES,
    Comment,
    Idea,
)
from engage.ideas.permissions import (
    can_comment,
    can_moderate_idea,
    can_submit,
    can_support,
    can_view_idea,
)
from engage.ideas.services import COMMENT_EDIT_WINDOW, IdeaError
from engage.processes.models import Process
from engage.processes.permissions import can_view_process

bp = Blueprint("ideas", __name__)

# Three photos of at most 8 MiB each, and the text fields: the only requests allowed past the
# application's 2 MiB limit.
PHOTO_FORM_LIMIT = MAX_PHOTOS * 8 * 1024 * 1024 + 2 * 1024 * 1024
PHOTO_ENDPOINTS = {"ideas.new_idea", "ideas.add_workshop_idea"}

MODERATION_DONE = {
    "hide": _l("The content is hidden. Its author sees your reason."),
    "restore": _l("The content is visible again."),
    "approve": _l("Approved: the content is now public."),
    "reject": _l("Rejected. Its author sees your reason."),
}


@bp.url_value_preprocessor
def allow_photo_uploads(endpoint: str | None, values: dict | None) -> None:
    # Runs before the CSRF check reads the form, so the larger limit applies to the parsing.
    if endpoint in PHOTO_ENDPOINTS and request.method == "POST":
        request.max_content_length = max(
            PHOTO_FORM_LIMIT, current_app.config.get("MAX_CONTENT_LENGTH") or 0
        )


# ---------------------------------------------------------------- loading


def _ideas_process(process_slug: str) -> Process:
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if process.kind != "ideas" or not can_view_process(current_user, process):
        abort(404)
    return process


def _idea(idea_id: int) -> Idea:
    idea = get_in_city_or_404(Idea, Idea.id == idea_id)
    if not can_view_idea(current_user, idea):
        abort(404)
    return idea


def _comment(comment_id: int) -> Comment:
    comment = get_in_city_or_404(Comment, Comment.id == comment_id)
    if not can_view_idea(current_user, comment.idea):
        abort(404)
    return comment


def _idea_url(idea: Idea, **anchor: Any) -> str:
    return url_for("ideas.idea", city_slug=g.city.slug, idea_id=idea.id, **anchor)


def _back_to(default: str) -> str:
    """A local `next` target from the form, else `default` (never another site)."""
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _seed() -> int:
    seed = session.get("idea_seed")
    if not isinstance(seed, int) or seed < 1:
        seed = queries.new_random_seed()
        session["idea_seed"] = seed
    return seed


def _refuse(error: IdeaError, fallback: str) -> Response:
    """A refused action: flash the reason and go back (htmx: an inline message, 422)."""
    if wants_fragment():
        response = make_response(
            render_template("ideas/_message.html", message=str(error.message),
                            category=error.category), 422
        )
        response.headers["HX-Retarget"] = "#action-messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    flash(str(error.message), error.category)
    return redirect(fallback, code=303)


def _show_error(form: Any, error: IdeaError) -> None:
    # A refused place is shown at the map's latitude field, the first of the place's inputs.
    field = "lat" if error.field == "place" and "lat" in form else error.field
    show_refusal(form, field, error.message)


def _place(form: IdeaForm) -> services.Place:
    lat = float(form.lat.data) if form.lat.data else None
    lon = float(form.lon.data) if form.lon.data else None
    return services.Place(lat=lat, lon=lon, text=form.place_text.data or "")


def _support_context(process: Process) -> dict[str, Any]:
    settings = services.settings_for(process)
    left = None
    if current_user.is_authenticated and settings.support_limit is not None:
        left = services.supports_left(current_user, process)
    return {"settings": settings, "supports_left": left}


# ---------------------------------------------------------------- the list and the map


@bp.get("/<city_slug>/p/<process_slug>/ideas")
@public
@cached_page
def index(city_slug: str, process_slug: str):  # noqa: ANN201
    """The process's ideas: sorts, filters by theme and status, search, pages that work
    without JavaScript, and "load more" with htmx (`?part=items`)."""
    process = _ideas_process(process_slug)
    # Only the random order needs the visitor's seed (kept in their session).
    seed = _seed() if request.args.get("sort") == "random" or (
        not request.args.get("sort") and queries.default_sort(process) == "random") else 1
    filters = queries.clean_filters(process, request.args, seed)
    page = queries.list_ideas(process, filters, page_number(request.args.get("page")))
    ids = [idea.id for idea in page.items]
    context = {
        "city": g.city,
        "process": process,
        "filters": filters,
        "page": page,
        "sorts": queries.sorts_for(process),
        "STATUSES": PROGRESS_STATUSES,
        "supported": services.is_supported_by(current_user, ids),
        "photos": queries.first_photos(ids),
        "my_votes": queries.my_votes(current_user, ids),
        "can_submit": can_submit(current_user, process),
        "awaiting": queries.awaiting_approval(process, current_user),
        "is_staff": is_city_staff(current_user, g.city),
        "VOTE_VALUES": VOTE_VALUES,
        **_support_context(process),
    }
    if request.args.get("part") == "items" and wants_fragment():
        body = render_template("ideas/_items.html", **context)
    else:
        body = render("ideas/index.html", fragment="ideas/_results.html", **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return response


@bp.get("/<city_slug>/p/<process_slug>/ideas/map")
@public
@cached_page
def idea_map(city_slug: str, process_slug: str):  # noqa: ANN201
    """The ideas that have a place, on a map (and as a list for those without JavaScript)."""
    process = _ideas_process(process_slug)
    filters = queries.clean_filters(process, request.args, 1)
    points = queries.map_points(process, filters)
    return render_template(
        "ideas/map.html", city=g.city, process=process, points=points, filters=filters,
        STATUSES=PROGRESS_STATUSES, can_submit=can_submit(current_user, process),
        is_staff=is_city_staff(current_user, g.city), **_support_context(process),
        tile_url=current_app.config.get("MAP_TILE_URL"),
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"),
    )


@bp.get("/<city_slug>/p/<process_slug>/ideas.geojson")
@public
@cached_page
def geojson(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _ideas_process(process_slug)
    filters = queries.clean_filters(process, request.args, 1)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p["place_lon"], p["place_lat"]]},
            "properties": {
                "id": p["id"],
                "title": p["title"],
                "supports": p["support_count"],
                "url": url_for(".idea", city_slug=g.city.slug, idea_id=p["id"]),
            },
        }
        for p in queries.map_points(process, filters)
    ]
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.get("/<city_slug>/p/<process_slug>/ideas/similar")
@public
def similar(city_slug: str, process_slug: str):  # noqa: ANN201
    """Published ideas like the title being typed, so a citizen can support one instead."""
    process = _ideas_process(process_slug)
    title = (request.args.get("title") or "")[:200]
    ideas = queries.similar_ideas(process, title)
    return render_template("ideas/_similar.html", ideas=ideas, city=g.city, process=process)


# ---------------------------------------------------------------- submitting


@bp.route("/<city_slug>/p/<process_slug>/ideas/new", methods=["GET", "POST"])
@public
def new_idea(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _ideas_process(process_slug)
    if not current_user.is_authenticated:
        flash(_("Please log in to submit an idea."), "info")
        return login_redirect()
    if not can_submit(current_user, process):
        flash(_("This process is not open for new ideas."), "error")
        return redirect(url_for(".index", city_slug=g.city.slug, process_slug=process.slug))
    form = IdeaForm(process)
    if request.method == "GET":
        form.language.data = current_language()
    if form.validate_on_submit():
        try:
            idea = services.submit_idea(
                process, current_user, form.title.data, form.body.data, form.theme.data,
                form.language.data, _place(form),
            )
            services.attach_photos(idea, form.photo_files())
        except IdeaError as error:
            _show_error(form, error)
        else:
            if idea.moderation_status == "pending":
                flash(_("Thank you! Your idea will be public once a moderator approves it. "
                        "Until then only you can see it."), "success")
            else:
                flash(_("Thank you! Your idea is published."), "success")
            return redirect_after_post(_idea_url(idea))
    status = form_status()
    return render_template("ideas/new.html", form=form, process=process, city=g.city,
                           tile_url=current_app.config.get("MAP_TILE_URL"),
                           tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"),
                           centre=queries.map_centre(process), workshop=False), status


# ---------------------------------------------------------------- the idea page


@bp.get("/<city_slug>/ideas/<int:idea_id>")
@public
@cached_page
def idea(city_slug: str, idea_id: int):  # noqa: ANN201
    found = get_in_city_or_404(Idea, Idea.id == idea_id)
    if found.merged_into_id is not None and not can_moderate_idea(current_user, found):
        # A merged duplicate sends everyone to the idea it became part of.
        return redirect(url_for(".idea", city_slug=g.city.slug, idea_id=found.merged_into_id),
                        code=301)
    if not can_view_idea(current_user, found):
        abort(404)
    return render_template("ideas/idea.html", **_idea_context(found))


def _idea_context(idea: Idea, comment_form: CommentForm | None = None) -> dict[str, Any]:
    process = idea.process
    moderator = can_moderate_idea(current_user, idea)
    signed_in = current_user.is_authenticated
    decisions = {}
    if idea.moderation_status != "published" and (moderator or idea.author_id == getattr(
            current_user, "id", None)):
        decisions = queries.last_decisions({idea.id: idea.contribution_id})
    tree, threads = queries.comment_tree(idea, current_user if signed_in else None, moderator,
                                         page_number(request.args.get("comments")))
    hidden_comments = {
        c.id: c.contribution_id for node in tree for c in [node.comment, *node.replies]
        if c.contribution.status in ("hidden", "rejected")
    }
    return {
        "city": g.city,
        "process": process,
        "idea": idea,
        "photos": queries.photos_of(idea),
        "supported": idea.id in services.is_supported_by(current_user, [idea.id]),
        "my_votes": queries.my_votes(current_user, [idea.id]),
        "vote_totals": queries.vote_totals([idea.id]).get(idea.id, {}),
        "history": services.status_history(idea),
        "cited_in": citations.cited_in("idea", [idea.id]).get(idea.id, []),
        "comments_cited_in": citations.cited_in(
            "comment", [c.id for node in tree for c in [node.comment, *node.replies]
                        if c.contribution.status == "published" and not c.is_deleted]),
        "comments": tree,
        "threads": threads,
        "comment_decisions": queries.last_decisions(hidden_comments),
        "decision": decisions.get(idea.id),
        # Forms (each makes a CSRF token, hence a session) only for who can use them: a
        # visitor's page then sets no cookie and can come from the page cache.
        "comment_form": comment_form or (CommentForm(formdata=None)
                                         if can_comment(current_user, idea) else None),
        "can_comment": can_comment(current_user, idea),
        "can_support": can_support(current_user, idea),
        "moderator": moderator,
        "following": notifications.is_following(current_user, idea) if signed_in else False,
        "edit_window": COMMENT_EDIT_WINDOW,
        "now": services.utcnow(),
        "progress_form": ProgressForm(formdata=None, language=current_language())
        if moderator else None,
        "merge_form": MergeForm(formdata=None) if moderator else None,
        "merged_ideas": [],
        "VOTE_VALUES": VOTE_VALUES,
        **_support_context(process),
    }


# ---------------------------------------------------------------- supports and votes


@bp.post("/<city_slug>/ideas/<int:idea_id>/support")
@public
def toggle_support(city_slug: str, idea_id: int):  # noqa: ANN201
    """Support an idea, or withdraw the support; `supported=1`/`0` in the form makes the
    request say what the button showed, so a repeated click never flips twice."""
    found = _idea(idea_id)
    if not current_user.is_authenticated:
        return _anonymous_to_login(found)
    wanted = request.form.get("supported")
    try:
        if wanted == "1":
            services.support(current_user, found)
        elif wanted == "0":
            services.unsupport(current_user, found)
        else:
            services.toggle_support(current_user, found)
    except IdeaError as error:
        return _refuse(error, _back_to(_idea_url(found)))
    supported = found.id in services.is_supported_by(current_user, [found.id])
    if wants_fragment():
        return render_template("ideas/_support.html", idea=found, supported=supported,
                               city=g.city, oob_left=True, can_support=True,
                               **_support_context(found.process))
    flash(_("Thank you for your support.") if supported else _("Your support was withdrawn."),
          "success")
    return redirect(_back_to(_idea_url(found, _anchor=f"idea-{found.id}")), code=303)


def _anonymous_to_login(idea: Idea) -> Response:
    """A logged-out visitor who pressed a button: to the log-in page and back to the idea."""
    flash(_("Please log in to support ideas."), "info")
    target = url_for("accounts.login", next=_idea_url(idea))
    if wants_fragment():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.post("/<city_slug>/ideas/<int:idea_id>/vote")
@public
def vote(city_slug: str, idea_id: int):  # noqa: ANN201
    """Agree (1), pass (0) or disagree (-1) on a statement; a new vote replaces the old."""
    found = _idea(idea_id)
    if not current_user.is_authenticated:
        return _anonymous_to_login(found)
    try:
        value = int(request.form.get("value", ""))
    except ValueError:
        value = None
    try:
        services.cast_vote(current_user, found, value)
    except IdeaError as error:
        return _refuse(error, _back_to(_idea_url(found)))
    if wants_fragment():
        return render_template(
            "ideas/_vote.html", idea=found, city=g.city,
            my_vote=queries.my_votes(current_user, [found.id]).get(found.id),
            totals=queries.vote_totals([found.id]).get(found.id, {}),
            can_support=True, VOTE_VALUES=VOTE_VALUES,
        )
    flash(_("Your vote was saved. You can change it while the process is open."), "success")
    return redirect(_back_to(_idea_url(found, _anchor=f"idea-{found.id}")), code=303)


# ---------------------------------------------------------------- comments


@bp.post("/<city_slug>/ideas/<int:idea_id>/comments")
@login_required
def add_comment(city_slug: str, idea_id: int):  # noqa: ANN201
    found = _idea(idea_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _comment_form_error(found, form)
    parent = None
    if form.parent_id.data:
        try:
            parent_id = int(form.parent_id.data)
        except ValueError:
            abort(404)
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.idea_id != found.id:
            abort(404)
    try:
        comment = services.add_comment(current_user, found, form.body.data, parent)
    except IdeaError as error:
        form.body.errors = [str(error.message)]
        return _comment_form_error(found, form)
    if comment.contribution.status == "pending":
        flash(_("Thank you! Your comment will appear once a moderator approves it."), "success")
    else:
        flash(_("Your comment is published."), "success")
    return redirect_after_post(_idea_url(found, _anchor=f"comment-{comment.id}"))


def _comment_form_error(idea: Idea, form: CommentForm):  # noqa: ANN202
    """Answer the idea page again with the comment form's errors (422: nothing written)."""
    return render_template("ideas/idea.html", **_idea_context(idea, form)), 422


@bp.route("/<city_slug>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(city_slug: str, comment_id: int):  # noqa: ANN201
    comment = _comment(comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    form = CommentEditForm(data={"body": comment.body})
    if form.validate_on_submit():
        try:
            services.edit_comment(current_user, comment, form.body.data)
        except IdeaError as error:
            form.body.errors = [str(error.message)]
        else:
            flash(_("Your comment was changed."), "success")
            return redirect_after_post(_idea_url(comment.idea, _anchor=f"comment-{comment.id}"))
    status = form_status()
    return render_template("ideas/comment_edit.html", form=form, comment=comment,
                           idea=comment.idea, city=g.city,
                           editable=services.utcnow() - comment.created_at
                           <= COMMENT_EDIT_WINDOW), status


@bp.post("/<city_slug>/comments/<int:comment_id>/delete")
@login_required
def delete_comment(city_slug: str, comment_id: int):  # noqa: ANN201
    comment = _comment(comment_id)
    try:
        services.delete_comment(current_user, comment)
    except IdeaError as error:
        return _refuse(error, _idea_url(comment.idea))
    flash(_("Your comment was deleted."), "success")
    return redirect_after_post(_idea_url(comment.idea, _anchor="comments"))


# ---------------------------------------------------------------- reports


def _report_page(target: Idea | Comment, idea: Idea):  # noqa: ANN202
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report(current_user, target, form.reason.data, form.note.data)
        except IdeaError as error:
            _show_error(form, error)
        else:
            flash(_("Thank you. The moderators will look at it."), "success")
            return redirect_after_post(_idea_url(idea))
    status = form_status()
    return render_template("ideas/report.html", form=form, target=target, idea=idea,
                           city=g.city, REPORT_REASONS=REPORT_REASONS), status


@bp.route("/<city_slug>/ideas/<int:idea_id>/report", methods=["GET", "POST"])
@login_required
def report_idea(city_slug: str, idea_id: int):  # noqa: ANN201
    found = _idea(idea_id)
    return _report_page(found, found)


@bp.route("/<city_slug>/comments/<int:comment_id>/report", methods=["GET", "POST"])
@login_required
def report_comment(city_slug: str, comment_id: int):  # noqa: ANN201
    comment = _comment(comment_id)
    return _report_page(comment, comment.idea)


# ---------------------------------------------------------------- moderation


def _moderate(target: Idea | Comment, idea: Idea):  # noqa: ANN202
    form = ModerationForm()
    back = _back_to(_idea_url(idea))
    if not form.validate_on_submit():
        flash(_("Unknown action."), "error")
        return redirect_after_post(back)
    try:
        if form.action.data == "dismiss":
            services.dismiss_reports(current_user, target, form.reason.data)
            flash(_("The reports were closed; the content stays as it is."), "success")
        else:
            services.moderate(current_user, target, form.action.data, form.reason.data)
            flash(str(MODERATION_DONE[form.action.data]), "success")
    except IdeaError as error:
        if error.field == "reason":
            error = IdeaError(_l("Give a reason: the author will see it."), "reason")
        flash(str(error.message), error.category)
    return redirect_after_post(back)


@bp.post("/<city_slug>/ideas/<int:idea_id>/moderate")
@requires(can_moderate)
def moderate_idea(city_slug: str, idea_id: int):  # noqa: ANN201
    found = get_in_city_or_404(Idea, Idea.id == idea_id)
    return _moderate(found, found)


@bp.post("/<city_slug>/comments/<int:comment_id>/moderate")
@requires(can_moderate)
def moderate_comment(city_slug: str, comment_id: int):  # noqa: ANN201
    comment = get_in_city_or_404(Comment, Comment.id == comment_id)
    return _moderate(comment, comment.idea)


@bp.post("/<city_slug>/ideas/<int:idea_id>/progress")
@requires(can_moderate)
def change_progress(city_slug: str, idea_id: int):  # noqa: ANN201
    """Say what became of an idea: a new status with its public explanation."""
    found = get_in_city_or_404(Idea, Idea.id == idea_id)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            services.change_progress(current_user, found, form.status.data,
                                     form.explanation.data, form.language.data)
        except IdeaError as error:
            _show_error(form, error)
        else:
            flash(_("The new status and its explanation are published. People who follow the "
                    "idea are told."), "success")
            return redirect_after_post(_idea_url(found, _anchor="history"))
    context = _idea_context(found)
    context["progress_form"] = form
    return render_template("ideas/idea.html", **context), 422


@bp.post("/<city_slug>/ideas/<int:idea_id>/merge")
@requires(can_moderate)
def merge(city_slug: str, idea_id: int):  # noqa: ANN201
    """Merge this idea (a duplicate) into the idea whose number is given."""
    found = get_in_city_or_404(Idea, Idea.id == idea_id)
    form = MergeForm()
    if form.validate_on_submit():
        target = db.session.scalars(
            city_query(Idea).where(Idea.id == form.target.data)
        ).first()
        if target is None:
            form.target.errors = [_("There is no idea with this number in this city.")]
        else:
            try:
                services.merge_ideas(current_user, found, target, form.reason.data)
            except IdeaError as error:
                _show_error(form, error)
            else:
                flash(_("The ideas were merged. The duplicate now leads here, and its author "
                        "was told."), "success")
                return redirect_after_post(_idea_url(target))
    context = _idea_context(found)
    context["merge_form"] = form
    return render_template("ideas/idea.html", **context), 422


# ---------------------------------------------------------------- organisers' pages


@bp.get("/<city_slug>/manage/processes/<process_slug>/ideas")
@requires(is_city_staff)
def moderation(city_slug: str, process_slug: str):  # noqa: ANN201
    """The per-process moderation list: ideas and comments waiting for approval, open reports
    grouped by what they report, hidden ideas."""
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if process.kind != "ideas":
        abort(404)
    reports = services.open_reports(process)
    ideas_by, comments_by = queries.ideas_by_contribution(r.contribution_id for r in reports)
    grouped: dict[int, list] = {}
    for entry in reports:
        grouped.setdefault(entry.contribution_id, []).append(entry)
    return render_template(
        "ideas/moderation.html", city=g.city, process=process,
        pending=queries.pending_ideas(process),
        pending_comments=queries.pending_comments(process),
        reported=grouped, reported_ideas=ideas_by, reported_comments=comments_by,
        hidden=queries.hidden_ideas(process), counts=queries.counts_by_status(process),
        form=ModerationForm(formdata=None),
        can_organise=is_city_organiser(current_user, g.city),
    )


@bp.route("/<city_slug>/manage/processes/<process_slug>/ideas/add", methods=["GET", "POST"])
@requires(is_city_organiser)
def add_workshop_idea(city_slug: str, process_slug: str):  # noqa: ANN201
    """Ideas collected on paper or in a workshop, typed in by an organiser."""
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if process.kind != "ideas":
        abort(404)
    form = WorkshopIdeaForm(process)
    if request.method == "GET":
        form.language.data = current_language()
    if form.validate_on_submit():
        try:
            found = services.add_workshop_idea(
                process, current_user, form.title.data, form.body.data, form.theme.data,
                form.language.data, _place(form), form.channel.data,
            )
            services.attach_photos(found, form.photo_files())
        except IdeaError as error:
            _show_error(form, error)
        else:
            flash(_("The idea was added and credited to the workshop participants."),
                  "success")
            return redirect_after_post(url_for(".add_workshop_idea", city_slug=g.city.slug,
                                               process_slug=process.slug))
    status = form_status()
    return render_template("ideas/new.html", form=form, process=process, city=g.city,
                           tile_url=current_app.config.get("MAP_TILE_URL"),
                           tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION"),
                           centre=queries.map_centre(process), workshop=True), status


@bp.route("/<city_slug>/manage/processes/<process_slug>/ideas/settings",
          methods=["GET", "POST"])
@requires(is_city_organiser)
def settings(city_slug: str, process_slug: str):  # noqa: ANN201
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if process.kind != "ideas":
        abort(404)
    current = services.settings_for(process)
    form = SettingsForm(data={"voting_mode": current.voting_mode,
                              "support_limit": current.support_limit})
    if form.validate_on_submit():
        try:
            services.save_settings(process, form.voting_mode.data, form.support_limit.data)
        except IdeaError as error:
            _show_error(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect_after_post(url_for(".moderation", city_slug=g.city.slug,
                                               process_slug=process.slug))
    status = form_status()
    return render_template("ideas/settings.html", form=form, process=process,
                           city=g.city), status

