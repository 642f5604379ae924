"""After a session: its outcome notes (Markdown, Romanian and English), published on the
session's page when the organisers say so, and its attachments (minutes as PDF, photos).

Organisers' page: `GET/POST …/manage/processes/<process>/livinglab/sessions/<id>/outcome`
(the city's organisers only, like `manage`). Public: each attachment at
`/<city>/p/<process>/sessions/<id>/attachments/<attachment id>`, served only once the outcome
is published (the city's staff see it before), with `nosniff`, PDFs as downloads.

Files are checked by their content, never their name: a PDF must begin with `%PDF-` and stay
within `ATTACHMENT_MAX_BYTES`; a JPEG, PNG or WebP image is decoded and encoded afresh by
`core.uploads.process_photo` (no metadata kept); anything else is refused. At most
`MAX_ATTACHMENTS` per session. Stored under fresh random keys through `core.uploads`.
"""

from __future__ import annotations

import os
import re
import unicodedata

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.core.auth import public, requires
from engage.core.db import utcnow
from engage.core.forms import form_status, show_refusal
from engage.core.htmx import redirect_after_post
from engage.core.tenancy import get_in_city_or_404
from engage.core.uploads import (
    UploadError,
    get_storage,
    new_key,
    process_photo,
)
from engage.extensions import db
from engage.livinglabs import stats
from engage.livinglabs.forms import OUTCOME_MAX, AttachmentForm, OutcomeForm
from engage.livinglabs.models import (
    ATTACHMENT_MAX_BYTES,
    MAX_ATTACHMENTS,
    TITLE_MAX,
    LabAttachment,
    LabSession,
)
from engage.livinglabs.permissions import can_manage_lab
from engage.livinglabs.services import RegistrationError
from engage.processes.loading import process_of_kind
from engage.processes.models import Process

bp = Blueprint("livinglab_outcome", __name__)

BASE = "/<city_slug>/manage/processes/<process_slug>/livinglab"
PUBLIC_BASE = "/<city_slug>/p/<process_slug>"
PDF_TYPE = "application/pdf"
# The form around one file, beyond the file itself.
FORM_OVERHEAD = 1024 * 1024
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")

MSG_NOT_ALLOWED = _l("This file is neither a PDF nor a JPEG, PNG or WebP image.")
MSG_TOO_LARGE = _l("The file is larger than %(megabytes)d MB.",
                   megabytes=ATTACHMENT_MAX_BYTES // (1024 * 1024))
MSG_EMPTY = _l("Choose a file.")
MSG_TOO_MANY = _l("A session has at most %(max)s files.", max=MAX_ATTACHMENTS)


class OutcomeError(RegistrationError):
    """An outcome or attachment refused: `message` and the form `field`."""


@bp.url_value_preprocessor
def allow_attachment_uploads(endpoint: str | None, values: dict | None) -> None:
    # Runs before the CSRF check reads the form, so the larger limit applies to the parsing;
    # a file just over the limit still reaches the check below and gets a clear message.
    if endpoint == "livinglab_outcome.outcome" and request.method == "POST":
        request.max_content_length = max(ATTACHMENT_MAX_BYTES + FORM_OVERHEAD,
                                         current_app.config.get("MAX_CONTENT_LENGTH") or 0)


# ---------------------------------------------------------------- services


def save_outcome(session: LabSession, outcome_ro: str, outcome_en: str,
                 published: bool) -> LabSession:
    """Set the outcome notes; `published` shows them (and the attachments) publicly."""
    texts = {"outcome_ro": (outcome_ro or "").strip(), "outcome_en": (outcome_en or "").strip()}
    for name, text in texts.items():
        if len(text) > OUTCOME_MAX:
            raise OutcomeError(_l("This text is too long (at most %(limit)s characters).",
                                  limit=OUTCOME_MAX), name)
    if published and not (texts["outcome_ro"] or texts["outcome_en"]):
        raise OutcomeError(_l("Write the outcome in Romanian or in English before publishing "
                              "it."), "outcome_ro")
    session.outcome_ro = texts["outcome_ro"]
    session.outcome_en = texts["outcome_en"]
    if published and session.outcome_published_at is None:
        session.outcome_published_at = utcnow()
    elif not published:
        session.outcome_published_at = None
    db.session.flush()
    return session


def _safe_filename(name: str, extension: str) -> str:
    """The uploaded name reduced to letters, digits, dots, dashes and underscores, with the
    extension of what was stored (a re-encoded image may change format)."""
    base = os.path.splitext(os.path.basename((name or "").replace("\\", "/")))[0]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-_")[:80] or "file"
    return f"{base}.{extension}"


def _remove(key: str) -> None:
    try:
        get_storage().delete(key)
    except (ValueError, OSError):
        pass  # a file already gone (or never stored) is not an error


def add_attachment(session: LabSession, title: str, filename: str, data: bytes
                   ) -> LabAttachment:
    """Check and store one file of the session's outcome (see the module's docstring)."""
    title = (title or "").strip()
    if not title:
        raise OutcomeError(_l("Give the file a title."), "title")
    if len(title) > TITLE_MAX:
        raise OutcomeError(_l("This text is too long (at most %(limit)s characters).",
                              limit=TITLE_MAX), "title")
    if not data:
        raise OutcomeError(MSG_EMPTY, "file")
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise OutcomeError(MSG_TOO_LARGE, "file")
    existing = db.session.scalar(select(func.count()).select_from(LabAttachment).where(
        LabAttachment.session_id == session.id))
    if existing >= MAX_ATTACHMENTS:
        raise OutcomeError(MSG_TOO_MANY, "file")
    if data.startswith(b"%PDF-"):
        key = new_key("pdf")
        content_type, extension, stored = PDF_TYPE, "pdf", data
    elif data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        try:
            photo = process_photo(data)
        except UploadError as error:
            raise OutcomeError(error.message, "file") from None
        key = new_key(photo.extension)
        content_type, extension, stored = photo.content_type, photo.extension, photo.data
    else:
        raise OutcomeError(MSG_NOT_ALLOWED, "file")
    get_storage().save(key, stored, content_type)
    attachment = LabAttachment(session_id=session.id, title=title,
                               filename=_safe_filename(filename, extension),
                               content_type=content_type, size=len(stored), storage_key=key)
    db.session.add(attachment)
    try:
        db.session.flush()
    except BaseException:
        _remove(key)
        raise
    return attachment


def delete_attachment(attachment: LabAttachment) -> None:
    key = attachment.storage_key
    db.session.delete(attachment)
    db.session.flush()
    _remove(key)


# ---------------------------------------------------------------- organisers' page


def _lab(process_slug: str) -> Process:
    return process_of_kind(process_slug, "livinglab", allowed=can_manage_lab)


def _session(process: Process, session_id: int) -> LabSession:
    return get_in_city_or_404(LabSession, LabSession.id == session_id,
                              LabSession.process_id == process.id)


def _outcome_url(process: Process, session: LabSession) -> str:
    return url_for(".outcome", city_slug=g.city.slug, process_slug=process.slug,
                   session_id=session.id)


@bp.route(BASE + "/sessions/<int:session_id>/outcome", methods=["GET", "POST"])
@requires(is_city_organiser)
def outcome(city_slug: str, process_slug: str, session_id: int):  # noqa: ANN201
    """The outcome notes and their publication (`action=save`), and the files
    (`action=upload`), with the session's attendance and stakeholder mix."""
    process = _lab(process_slug)
    session = _session(process, session_id)
    action = request.form.get("action", "save") if request.method == "POST" else ""
    form = OutcomeForm(data={"outcome_ro": session.outcome_ro, "outcome_en": session.outcome_en,
                             "published": session.outcome_published_at is not None})
    upload = AttachmentForm()
    if action == "save" and form.validate_on_submit():
        try:
            save_outcome(session, form.outcome_ro.data, form.outcome_en.data,
                         bool(form.published.data))
        except OutcomeError as error:
            show_refusal(form, error.field, error.message)
        else:
            flash(_("The outcome was published.") if session.outcome_published_at
                  else _("The outcome was saved (not published)."), "success")
            return redirect_after_post(_outcome_url(process, session))
    elif action == "upload" and upload.validate_on_submit():
        file = request.files.get(upload.file.name)
        data = file.stream.read(ATTACHMENT_MAX_BYTES + 1) if file else b""
        try:
            add_attachment(session, upload.title.data, file.filename if file else "", data)
        except OutcomeError as error:
            show_refusal(upload, error.field, error.message)
        else:
            flash(_("The file was added."), "success")
            return redirect_after_post(_outcome_url(process, session))
    elif request.method == "POST" and action not in ("save", "upload"):
        abort(400)
    return render_template(
        "livinglabs/manage/outcome.html", city=g.city, process=process, lab_session=session,
        form=form, upload=upload, attachments=list(session.attachments),
        mix=stats.attendance_mix(session), MAX_ATTACHMENTS=MAX_ATTACHMENTS,
        max_megabytes=ATTACHMENT_MAX_BYTES // (1024 * 1024),
    ), form_status()


@bp.post(BASE + "/sessions/<int:session_id>/attachments/<int:attachment_id>/delete",
         endpoint="delete_attachment")
@requires(is_city_organiser)
def delete_attachment_view(city_slug: str, process_slug: str, session_id: int,  # noqa: ANN201
                           attachment_id: int):
    process = _lab(process_slug)
    session = _session(process, session_id)
    attachment = db.session.scalars(select(LabAttachment).where(
        LabAttachment.id == attachment_id, LabAttachment.session_id == session.id)).first()
    if attachment is None:
        abort(404)
    delete_attachment(attachment)
    flash(_("The file was deleted."), "success")
    return redirect_after_post(_outcome_url(process, session))


# ---------------------------------------------------------------- public


def _content_disposition(kind: str, filename: str) -> str:
    from urllib.parse import quote

    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@bp.get(PUBLIC_BASE + "/sessions/<int:session_id>/attachments/<int:attachment_id>")
@public
def attachment(city_slug: str, process_slug: str, session_id: int, attachment_id: int):  # noqa: ANN201
    """One file of a session's outcome: public once the outcome is published, before only for
    the city's staff; a 404 otherwise (its existence is not revealed)."""
    process = process_of_kind(process_slug, "livinglab", visible=True)
    session = _session(process, session_id)
    published = session.outcome_published_at is not None
    if not published and not is_city_staff(current_user, g.city):
        abort(404)
    item = db.session.scalars(select(LabAttachment).where(
        LabAttachment.id == attachment_id, LabAttachment.session_id == session.id)).first()
    if item is None:
        abort(404)
    try:
        data = get_storage().open(item.storage_key)
    except (ValueError, KeyError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        abort(404)
    response = Response(data, content_type=item.content_type)
    kind = "attachment" if item.content_type == PDF_TYPE else "inline"
    response.headers["Content-Disposition"] = _content_disposition(kind, item.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = ("public, max-age=3600" if published
                                         else "private, no-store")
    return response


def attachment_url(session: LabSession, item: LabAttachment) -> str:
    """The public address of an attachment (for the session's page)."""
    return url_for("livinglab_outcome.attachment", city_slug=session.process.city.slug,
                   process_slug=session.process.slug, session_id=session.id,
                   attachment_id=item.id)
