"""The summaries' pages: the public list of a process's summaries and each summary's page (its
public version with citations as links, what it rests on, every published version and the
difference between two), and the staff's pages to write, cite and publish.

Staff are the city's moderators and organisers (`summaries.can_write_summaries`); the public sees
only published versions of public processes.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.cities.permissions import is_city_staff
from engage.core import citations
from engage.core.auth import public, requires
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post, wants_fragment
from engage.core.search import fold
from engage.core.tasks import after_commit
from engage.core.tenancy import get_in_city_or_404
from engage.extensions import db
from engage.processes.models import PUBLIC_STATUSES, Contribution, Process
from engage.processes.permissions import can_view_process
from engage.synthesis import contract, summaries, workspace
from engage.synthesis.forms import CITATION_HINT, SummaryForm
from engage.synthesis.models import FoundTheme, Summary
from engage.synthesis.summaries import SummaryError

bp = Blueprint("synthesis", __name__)

MANAGE = "/<city_slug>/manage/processes/<process_slug>/summaries"
PICKER_SCAN = 2000  # the newest published inputs of the process a picker search looks through
PICKER_RESULTS = 20


def _process(process_slug: str, *, staff: bool) -> Process:
    process = get_in_city_or_404(Process, Process.slug == process_slug)
    if staff:
        if not summaries.can_write_summaries(current_user, process):
            abort(403)
    elif not can_view_process(current_user, process):
        abort(404)
    return process


def _summary(summary_id: int) -> Summary:
    return get_in_city_or_404(Summary, Summary.id == summary_id)


def _form_page(form: SummaryForm, process: Process, summary: Summary | None,
               problems: list[str] | None = None):  # noqa: ANN202
    page = render_template("synthesis/summary_form.html", form=form, process=process,
                           summary=summary, city=g.city, problems=problems or [],
                           hint=CITATION_HINT)
    return page, form_status()


# ---------------------------------------------------------------- public


@bp.get("/<city_slug>/p/<process_slug>/summaries")
@public
def summaries_list(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug, staff=False)
    rows = summaries.public_summaries(process)
    return render_template("synthesis/summaries.html", process=process, city=g.city,
                           items=[(s, s.public_version) for s in rows],
                           can_write=summaries.can_write_summaries(current_user, process))


@bp.get("/<city_slug>/summaries/<int:summary_id>")
@public
def summary_page(city_slug: str, summary_id: int):  # noqa: ANN201
    """The public version (staff may preview the draft with ?draft=1) and, with
    ?from=N&to=M, the changes between two published versions."""
    summary = _summary(summary_id)
    process = summary.process
    staff = summaries.can_write_summaries(current_user, process)
    if not can_view_process(current_user, process):
        abort(404)
    version = summary.public_version
    if staff and request.args.get("draft") and summary.draft is not None:
        version = summary.draft
    if version is None:
        abort(404)
    published = summary.published_versions
    numbers = {v.number: v for v in published}
    comparison = None
    try:
        old, new = int(request.args.get("from", 0)), int(request.args.get("to", 0))
    except ValueError:
        old = new = 0
    if old in numbers and new in numbers and old != new:
        comparison = (numbers[old], numbers[new], summaries.diff(numbers[old], numbers[new]))
    refs = citations.references(f"{version.body_ro}\n{version.body_en}")
    cited = citations.resolve(refs)
    return render_template(
        "synthesis/summary.html", summary=summary, version=version, process=process,
        city=g.city, basis=summaries.basis(version), published=published,
        comparison=comparison, staff=staff,
        body_ro=summaries.render(version.body_ro, cited),
        body_en=summaries.render(version.body_en, cited),
        sources=[cited[ref] for ref in refs if ref in cited and cited[ref].citable],
        contract_places=[(action, contract.section_label(section),
                          contract.contract_url(city_slug, section, action and action.id))
                         for section, action in contract.contract_places_of(summary)])


# ---------------------------------------------------------------- staff


@bp.get(MANAGE)
@requires(is_city_staff)
def manage_summaries(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug, staff=True)
    rows = summaries.all_summaries(process)
    return render_template("synthesis/manage.html", process=process, city=g.city,
                           items=[(s, summaries.basis(s.latest)) for s in rows])


@bp.route(MANAGE + "/new", methods=["GET", "POST"])
@requires(is_city_staff)
def new_summary(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug, staff=True)
    form = SummaryForm()
    form.set_themes(process.themes or [])
    if form.validate_on_submit():
        try:
            summary = summaries.create_summary(process, current_user, form.values())
        except SummaryError as error:
            show_refusal(form, error.field, error.message)
            return _form_page(form, process, None, error.problems)
        flash(_("The summary was saved as a draft."), "success")
        return redirect_after_post(url_for("synthesis.edit_summary", city_slug=city_slug,
                                           summary_id=summary.id))
    return _form_page(form, process, None)


@bp.route("/<city_slug>/manage/summaries/<int:summary_id>", methods=["GET", "POST"])
@requires(is_city_staff)
def edit_summary(city_slug: str, summary_id: int):  # noqa: ANN201
    summary = _summary(summary_id)
    process = summary.process
    if not summaries.can_write_summaries(current_user, process):
        abort(403)
    form = SummaryForm()
    form.set_themes(process.themes or [])
    if request.method == "GET":
        latest = summary.latest
        form.topic.data, form.theme.data = summary.topic, summary.theme
        for name in ("title_ro", "title_en", "body_ro", "body_en"):
            getattr(form, name).data = getattr(latest, name) if latest else ""
    elif form.validate_on_submit():
        try:
            version = summaries.save_draft(summary, current_user, form.values())
        except SummaryError as error:
            show_refusal(form, error.field, error.message)
            return _form_page(form, process, summary, error.problems)
        flash(_("Draft %(number)s saved.", number=version.number), "success")
        return redirect_after_post(url_for("synthesis.edit_summary", city_slug=city_slug,
                                           summary_id=summary.id))
    return _form_page(form, process, summary)


@bp.post("/<city_slug>/manage/summaries/<int:summary_id>/publish")
@requires(is_city_staff)
def publish_summary(city_slug: str, summary_id: int):  # noqa: ANN201
    summary = _summary(summary_id)
    if not summaries.can_write_summaries(current_user, summary.process):
        abort(403)
    try:
        version = summaries.publish(summary, current_user)
    except SummaryError as error:
        form = SummaryForm(formdata=None)
        form.set_themes(summary.process.themes or [])
        latest = summary.latest
        form.topic.data, form.theme.data = summary.topic, summary.theme
        for name in ("title_ro", "title_en", "body_ro", "body_en"):
            getattr(form, name).data = getattr(latest, name) if latest else ""
        page = render_template("synthesis/summary_form.html", form=form,
                               process=summary.process, summary=summary, city=g.city,
                               problems=error.problems, refusal=str(error.message),
                               hint=CITATION_HINT)
        return page, 422
    flash(_("Version %(number)s is published.", number=version.number), "success")
    return redirect_after_post(url_for("synthesis.summary_page", city_slug=city_slug,
                                       summary_id=summary.id))


@bp.get(MANAGE + "/picker")
@requires(is_city_staff)
def citation_picker(city_slug: str, process_slug: str):  # noqa: ANN201
    """Published input of the process whose text holds every word typed (folded), newest
    first, each with the tag that cites it; for htmx, the list alone."""
    process = _process(process_slug, staff=True)
    words = fold(request.args.get("q", "")[:100]).split()
    found: list[tuple[Contribution, str]] = []
    if words and process.status in PUBLIC_STATUSES:
        rows = db.session.scalars(
            select(Contribution).where(Contribution.process_id == process.id,
                                       Contribution.status == "published")
            .order_by(Contribution.id.desc()).limit(PICKER_SCAN)).all()
        matching = [c for c in rows if all(w in fold(c.text) for w in words)][:PICKER_RESULTS]
        tags = citations.tags_for((c.id, c.kind) for c in matching)
        found = [(c, tags[c.id]) for c in matching if c.id in tags]
    template = "synthesis/_picker_results.html" if wants_fragment() else "synthesis/picker.html"
    return render_template(template, process=process, city=g.city, found=found,
                           query=request.args.get("q", ""), searched=bool(words))


# ---------------------------------------------------------------- opinion groups


@bp.get("/<city_slug>/manage/processes/<process_slug>/opinions")
@requires(is_city_staff)
def opinions_page(city_slug: str, process_slug: str):  # noqa: ANN201
    """The opinion groups of an agree/disagree ideas process, as last computed."""
    process = _process(process_slug, staff=True)
    if process.kind != "ideas":
        abort(404)
    run, result, labels = workspace.latest_opinions(process)
    from engage.synthesis.opinions import render_opinion_map  # only this page draws it

    return render_template("synthesis/opinions.html", process=process, city=g.city, run=run,
                           result=result, labels=labels, render_opinion_map=render_opinion_map,
                           STAKEHOLDER_TYPES=STAKEHOLDER_TYPES)


@bp.post("/<city_slug>/manage/processes/<process_slug>/opinions")
@requires(is_city_staff)
def recompute_opinions(city_slug: str, process_slug: str):  # noqa: ANN201
    """Compute the groups again now (in the background; they are recomputed every hour)."""
    process = _process(process_slug, staff=True)
    if process.kind != "ideas":
        abort(404)
    after_commit("compute_opinion_groups", process.id)
    flash(_("The opinion groups are being computed; reload the page in a minute."), "info")
    return redirect_after_post(url_for("synthesis.opinions_page", city_slug=city_slug,
                                       process_slug=process.slug))


# ---------------------------------------------------------------- themes


def _themes_url(process: Process) -> str:
    return url_for("synthesis.themes_page", city_slug=g.city.slug, process_slug=process.slug)


@bp.get("/<city_slug>/manage/processes/<process_slug>/themes")
@requires(is_city_staff)
def themes_page(city_slug: str, process_slug: str):  # noqa: ANN201
    """The themes found in the process's text input: their words, size, authors and supports,
    three examples each, near-duplicates; renaming and merging."""
    return _themes_response(_process(process_slug, staff=True))


def _themes_response(process: Process, status: int = 200):  # noqa: ANN202
    run, views = workspace.themes_of(process)
    duplicates = []
    if run is not None and run.duplicates:
        ids = {cid for group in run.duplicates for cid in group}
        texts = {c.id: c for c in db.session.scalars(
            select(Contribution).where(Contribution.id.in_(ids)))}
        duplicates = [[texts[cid] for cid in group if cid in texts]
                      for group in run.duplicates]
    return render_template("synthesis/themes.html", process=process, city=g.city, run=run,
                           views=views, duplicates=duplicates), status


@bp.post("/<city_slug>/manage/processes/<process_slug>/themes")
@requires(is_city_staff)
def recompute_themes(city_slug: str, process_slug: str):  # noqa: ANN201
    process = _process(process_slug, staff=True)
    after_commit("compute_themes", process.id)
    flash(_("The themes are being found again; reload the page in a minute. Your names, "
            "merges and splits are kept."), "info")
    return redirect_after_post(_themes_url(process))


@bp.post("/<city_slug>/manage/processes/<process_slug>/themes/<int:theme_id>")
@requires(is_city_staff)
def edit_theme(city_slug: str, process_slug: str, theme_id: int):  # noqa: ANN201
    """Rename a theme (`name`), merge it into another (`merge_into`), undo a merge, or undo a
    split (`unsplit`)."""
    process = _process(process_slug, staff=True)
    try:
        if "unsplit" in request.form:
            workspace.unsplit_theme(process, theme_id)
            flash(_("The split is undone: the texts are back in the original theme."), "success")
        elif "name" in request.form:
            workspace.rename_theme(process, theme_id, request.form.get("name", ""))
            flash(_("The theme is renamed."), "success")
        else:
            target = request.form.get("merge_into", "")
            into = int(target) if target.isdigit() else None
            workspace.merge_theme(process, theme_id, into)
            flash(_("The themes are merged.") if into else _("The merge is undone."), "success")
    except workspace.ThemeError as error:
        flash(str(error.message), "error")
        return _themes_response(process, 422)
    return redirect_after_post(_themes_url(process))


SPLIT_PAGE_ITEMS = 2000  # texts of a theme listed on its split page


@bp.route("/<city_slug>/manage/processes/<process_slug>/themes/<int:theme_id>/split",
          methods=["GET", "POST"])
@requires(is_city_staff)
def split_theme(city_slug: str, process_slug: str, theme_id: int):  # noqa: ANN201
    """Split a theme: the moderator ticks the texts that form another theme and names it; the
    theme keeps the rest. `?word=` ticks the texts that use one of the theme's words."""
    process = _process(process_slug, staff=True)
    theme = db.session.get(FoundTheme, theme_id)
    if theme is None or theme.process_id != process.id or not theme.active:
        abort(404)
    problem = None
    name = ""
    chosen: set[int] = set()
    if request.method == "POST":
        name = request.form.get("name", "")
        raw = request.form.getlist("item")
        chosen = {int(value) for value in raw if value.isdigit()}
        try:
            if len(chosen) != len(raw):
                raise workspace.ThemeError(_("Some of the chosen texts are not in this theme."))
            child = workspace.split_theme(process, theme.id, sorted(chosen), name)
        except workspace.ThemeError as error:
            problem = str(error.message)
        else:
            flash(_("The theme is split: “%(title)s” holds the texts you chose.",
                    title=child.title), "success")
            return redirect_after_post(_themes_url(process))
    ids = list(theme.item_ids or [])[:SPLIT_PAGE_ITEMS]
    texts = {c.id: c for c in db.session.scalars(
        select(Contribution).where(Contribution.id.in_(ids)))} if ids else {}
    items = [texts[cid] for cid in ids if cid in texts]
    word = request.args.get("word", "")
    terms = list(zip(theme.terms or [], theme.term_keys or [], strict=False))
    if request.method == "GET" and word:
        key = next((k for t, k in terms if t == word), None)
        chosen = workspace.texts_using(items, key) if key else set()
    split = SimpleNamespace(theme=theme, items=items, chosen=chosen, name=name, word=word,
                            problem=problem, more=max(len(theme.item_ids or []) - len(ids), 0))
    page = render_template("synthesis/themes.html", process=process, city=g.city, split=split)
    return page, (422 if problem else 200)
