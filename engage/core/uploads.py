"""Uploaded files: photos checked, cleaned and re-encoded, kept behind one storage interface.

`process_photo(data)` turns the bytes a citizen sent into a photo that is safe to show others:
it refuses anything that is not a JPEG, PNG or WebP *by its content* (a renamed PDF is refused
whatever its name), files over `MAX_PHOTO_BYTES`, images over `MAX_PHOTO_PIXELS` (decompression
bombs are refused from their header, before any pixel is decoded) and damaged files. What it
keeps is decoded and encoded afresh: the EXIF orientation is applied, colours are converted to
sRGB, the longest side is brought down to `PHOTO_MAX_SIDE` and a thumbnail (`THUMB_MAX_SIDE`) is
made. Nothing of the original file is copied over — no EXIF (GPS position, camera serial), no
XMP, no ICC profile, no comments.

Output format: JPEG (quality 85) for opaque photos — the smallest and most widely readable — and
WebP (quality 85) for images with transparency, which JPEG cannot carry and PNG would make large.

`save_photo(data)` processes a photo and stores the full image and its thumbnail under fresh
random keys (`secrets.token_urlsafe`; never a name the user chose). Features store those keys
in their own tables; `photo_url(key)` gives the path the media route serves (`/media/<key>`).

Storage: `get_storage()` returns the application's storage — an object registered as
`app.extensions["engage.storage"]` (e.g. an object store) or, by default, `LocalStorage` under
`app.config["UPLOAD_DIRECTORY"]`, which defaults to `<instance folder>/uploads`.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from flask import current_app
from flask_babel import lazy_gettext as _l

from engage.core.refusal import Refusal

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 8 * 1024 * 1024
# 25 megapixels admits a 24 MP camera (6000 x 4000) and every usual phone photo, and refuses
# 8000 x 5000 (40 MP). Decoding 25 MP as RGB already takes 75 MB, so the limit is also what
# bounds a worker's memory for one upload.
MAX_PHOTO_PIXELS = 25_000_000
PHOTO_MAX_SIDE = 1600
THUMB_MAX_SIDE = 400
JPEG_QUALITY = 85
WEBP_QUALITY = 85

# What Pillow may even try to parse: restricting the plugins keeps untrusted bytes away from
# the other parsers (EPS would start Ghostscript). A JPEG with several pictures (phones often
# write them) opens as MPO; its first picture is the photo.
_PARSERS = ("JPEG", "PNG", "WEBP")
_ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})

CONTENT_TYPES = {"jpg": "image/jpeg", "webp": "image/webp", "pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Served by the public media route; other kinds (PDF documents, export workbooks) only by the
# route of the object they belong to, which checks who may see them.
MEDIA_EXTENSIONS = ("jpg", "webp")
KEY_RE = re.compile(r"\A[A-Za-z0-9_-]{32}\.(?:jpg|webp|pdf|xlsx)\Z")
_KEY_TOKEN_BYTES = 24  # 24 random bytes -> 32 URL-safe characters, 192 bits

MSG_EMPTY = _l("The file is empty. Please choose a photo.")
MSG_TOO_LARGE = _l(
    "The photo is larger than %(megabytes)d MB. Please choose a smaller photo.",
    megabytes=MAX_PHOTO_BYTES // (1024 * 1024),
)
MSG_NOT_A_PHOTO = _l(
    "This file is not a photo we can use. Please choose a JPEG, PNG or WebP image."
)
MSG_TOO_MANY_PIXELS = _l(
    "The photo has more than %(megapixels)d megapixels. Please choose a smaller photo.",
    megapixels=MAX_PHOTO_PIXELS // 1_000_000,
)
MSG_DAMAGED = _l("The photo could not be read; the file may be damaged or incomplete.")


class UploadError(Refusal):
    """A file the user sent cannot be accepted; `message` says why, in the user's words."""


# ---------------------------------------------------------------- storage


@runtime_checkable
class Storage(Protocol):
    """Where uploaded files live. Keys are made by this module and checked with `KEY_RE`."""

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing nothing but a file of the same key."""

    def open(self, key: str) -> bytes:
        """The stored bytes; raises FileNotFoundError when there are none."""

    def delete(self, key: str) -> None:
        """Remove the file; a key that is already gone is not an error."""

    def url_path(self, key: str) -> str:
        """The path under which the application serves the file."""


def check_key(key: str) -> str:
    """`key` itself when it is one of ours; ValueError otherwise (e.g. '../x', 'a/b.jpg')."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise ValueError("invalid storage key")
    return key


def new_key(extension: str) -> str:
    """A fresh, unguessable key with the given extension ('jpg', 'webp', 'pdf' or 'xlsx')."""
    if extension not in CONTENT_TYPES:
        raise ValueError(f"unknown extension {extension!r}")
    return f"{secrets.token_urlsafe(_KEY_TOKEN_BYTES)}.{extension}"


def content_type_for(key: str) -> str:
    """The media type a stored file is served with."""
    return CONTENT_TYPES[check_key(key).rsplit(".", 1)[1]]


def photo_url(key: str) -> str:
    """The path a stored photo is served from: `/media/<key>` (the media route serves it)."""
    return f"/media/{check_key(key)}"


class LocalStorage:
    """Files in a folder on this machine, spread over sub-folders by the key's first two
    characters so no folder grows to hundreds of thousands of entries."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file's place on disk (for a route that streams it with send_file)."""
        check_key(key)
        return self.root / key[:2] / key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> bytes:
        return self.path_for(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path_for(key).unlink(missing_ok=True)

    def url_path(self, key: str) -> str:
        return photo_url(key)


def upload_directory() -> str:
    """The folder of `LocalStorage`: UPLOAD_DIRECTORY, or `uploads` in the instance folder."""
    return current_app.config.get("UPLOAD_DIRECTORY") or os.path.join(
        current_app.instance_path, "uploads"
    )


def get_storage() -> Storage:
    """The application's storage: one registered in `app.extensions["engage.storage"]`, else
    files under the upload directory."""
    storage = current_app.extensions.get("engage.storage")
    if storage is not None:
        return storage
    return LocalStorage(upload_directory())


# ---------------------------------------------------------------- photos


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo decoded and encoded afresh, without any of the original's metadata."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    content_type: str
    extension: str


@dataclass(frozen=True)
class StoredPhoto:
    """The keys of a stored photo and its thumbnail, and their sizes in pixels."""

    key: str
    thumb_key: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG) scaled down to 8 bits; Pillow's plain conversion would clip every
    value above 255 to white."""
    if im.mode.startswith("I;16") or im.mode == "I":
        return im.convert("I").point(lambda value: value / 256).convert("L")
    return im


def _to_srgb(im: Image.Image, mode: str) -> Image.Image:
    """`im` in `mode` ('RGB' or 'RGBA'), its colours converted to sRGB when it carries an ICC
    profile (a phone's Display P3 photo would look dull once the profile is dropped)."""
    from PIL import ImageCms  # Pillow is loaded only where photos are read
    icc = im.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(im, source, srgb, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            # A profile that cannot be applied (wrong colour space, damaged) is only dropped.
            log.info("ICC profile ignored: %s", exc)
    return im.convert(mode)


def _encode(im: Image.Image, alpha: bool) -> bytes:
    # A fresh info dict: nothing read from the upload (exif, xmp, icc_profile, comments) can be
    # picked up by an encoder that falls back to the image's own info.
    im.info = {}
    out = io.BytesIO()
    if alpha:
        im.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _open_checked(data: bytes) -> Image.Image:
    """The image opened (header parsed, no pixel decoded yet), or UploadError."""
    from PIL import Image, ImageFile  # Pillow is loaded only where photos are read

    # A truncated photo must fail to load. The flag is global to the process, and a library
    # may turn it on at import (WeasyPrint does, for the PDFs of `exports.packs`).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im = Image.open(io.BytesIO(data), formats=_PARSERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own limits (far above ours) fire while parsing the header; the warning is an
        # exception wherever warnings are errors (the test suite).
        raise UploadError(MSG_TOO_MANY_PIXELS) from exc
    except Exception as exc:  # noqa: BLE001 - whatever a parser trips on, it is not a photo
        raise UploadError(MSG_NOT_A_PHOTO) from exc
    if im.format not in _ACCEPTED_FORMATS:
        raise UploadError(MSG_NOT_A_PHOTO)
    width, height = im.size
    if width < 1 or height < 1:
        raise UploadError(MSG_DAMAGED)
    if width * height > MAX_PHOTO_PIXELS:
        raise UploadError(MSG_TOO_MANY_PIXELS)
    return im


def process_photo(data: bytes) -> ProcessedPhoto:
    """Check an uploaded photo and re-encode it (see the module's docstring); UploadError with
    a message for the user when it cannot be accepted."""
    from PIL import Image, ImageOps  # Pillow is loaded only where photos are read
    if not data:
        raise UploadError(MSG_EMPTY)
    if len(data) > MAX_PHOTO_BYTES:
        raise UploadError(MSG_TOO_LARGE)

    im = _open_checked(data)
    try:
        # A JPEG can be decoded straight at 1/2, 1/4 or 1/8 scale: far less memory for a
        # large photo that is going to be shrunk anyway.
        im.draft(None, (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        im.load()
        im = ImageOps.exif_transpose(im)
        alpha = _has_alpha(im)
        im = _to_srgb(_to_8bit(im), "RGBA" if alpha else "RGB")
        im.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        thumb = im.copy()
        thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), Image.Resampling.LANCZOS)
        full_bytes = _encode(im, alpha)
        thumb_bytes = _encode(thumb, alpha)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadError(MSG_TOO_MANY_PIXELS) from exc
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data fails in many ways
        log.info("photo refused while decoding: %r", exc)
        raise UploadError(MSG_DAMAGED) from exc

    extension = "webp" if alpha else "jpg"
    return ProcessedPhoto(
        data=full_bytes,
        thumbnail=thumb_bytes,
        width=im.width,
        height=im.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        content_type=CONTENT_TYPES[extension],
        extension=extension,
    )


def _rational(value: object) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        return float(value[0]) / float(value[1]) if value[1] else float("nan")
    return float(value)  # type: ignore[arg-type]


def _degrees(parts: object, ref: object, negative: str) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals and their N/S or E/W ref."""
    import math

    try:
        d, m, s = (_rational(part) for part in parts)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref or "").strip().upper() == negative:
        value = -value
    return value


def photo_metadata(data: bytes) -> tuple[float | None, float | None, object] | None:
    """The GPS position and the moment a photo was taken, read from its EXIF block before it is
    re-encoded (which drops them): `(lat, lon, taken_at)`, each None when absent or unusable —
    `taken_at` a naive datetime in the camera's local time — or None when the photo has no such
    metadata or cannot be read. Only for a citizen who asked for their photo's position and
    time to be used; nothing of it is stored with the photo."""
    from datetime import datetime

    from PIL import Image

    if not data or len(data) > MAX_PHOTO_BYTES:
        return None
    try:
        im = _open_checked(data)
        exif = im.getexif()
        gps = exif.get_ifd(0x8825)
        taken = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal
    except (UploadError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    except Exception:  # noqa: BLE001 - a damaged EXIF block is only ignored
        return None
    lat = lon = None
    if gps:
        lat = _degrees(gps.get(2), gps.get(1), "S")
        lon = _degrees(gps.get(4), gps.get(3), "W")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (
                lat == 0 and lon == 0):
            lat = lon = None
    taken_at = None
    if isinstance(taken, bytes):
        taken = taken.decode("ascii", "replace")
    if isinstance(taken, str):
        try:
            taken_at = datetime.strptime(taken.strip()[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken_at = None
    if lat is None and taken_at is None:
        return None
    return lat, lon, taken_at


def save_photo(data: bytes, storage: Storage | None = None) -> StoredPhoto:
    """Process a photo and store it and its thumbnail under new random keys.

    UploadError when the photo is refused (nothing is stored then). When the thumbnail cannot
    be stored, the full image is removed again so no orphan file is left behind.
    """
    photo = process_photo(data)
    storage = storage if storage is not None else get_storage()
    key = new_key(photo.extension)
    thumb_key = new_key(photo.extension)
    storage.save(key, photo.data, photo.content_type)
    try:
        storage.save(thumb_key, photo.thumbnail, photo.content_type)
    except BaseException:
        storage.delete(key)
        raise
    return StoredPhoto(
        key=key,
        thumb_key=thumb_key,
        width=photo.width,
        height=photo.height,
        thumb_width=photo.thumb_width,
        thumb_height=photo.thumb_height,
    )


def delete_photo(stored_key: str, thumb_key: str, storage: Storage | None = None) -> None:
    """Remove a photo and its thumbnail (e.g. when its idea is deleted)."""
    storage = storage if storage is not None else get_storage()
    storage.delete(stored_key)
    storage.delete(thumb_key)


# ---------------------------------------------------------------- serving


def serve_media(key: str):  # noqa: ANN201
    """The stored file `key` (a random, unguessable name), cached for a year: keys never change
    their content. Any malformed or unknown key is a 404."""
    from flask import Response, abort

    try:
        if check_key(key).rsplit(".", 1)[1] not in MEDIA_EXTENSIONS:
            abort(404)
        data = get_storage().open(key)
    except (ValueError, KeyError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        abort(404)
    response = Response(data, mimetype=content_type_for(key))
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response


def init_app(app) -> None:  # noqa: ANN001
    from engage.core.auth import public

    app.add_url_rule("/media/<key>", "media", public(serve_media), methods=["GET"])
