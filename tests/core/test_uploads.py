"""Photo uploads: only real JPEG/PNG/WebP photos get through, re-encoded without their metadata
(no GPS position), shrunk, with a thumbnail; bombs and fakes are refused with a plain message;
the storage keeps files under random keys that cannot point outside its folder."""

from __future__ import annotations

import io
import random
import struct
import time
import zlib

import pytest
from PIL import ExifTags, Image, ImageFile

from engage.core import uploads
from engage.core.uploads import (
    KEY_RE,
    MAX_PHOTO_BYTES,
    MSG_DAMAGED,
    MSG_EMPTY,
    MSG_NOT_A_PHOTO,
    MSG_TOO_LARGE,
    MSG_TOO_MANY_PIXELS,
    LocalStorage,
    Storage,
    UploadError,
    content_type_for,
    get_storage,
    new_key,
    photo_url,
    process_photo,
    save_photo,
)

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

ALL_MESSAGES = (MSG_EMPTY, MSG_TOO_LARGE, MSG_NOT_A_PHOTO, MSG_TOO_MANY_PIXELS, MSG_DAMAGED)
RED, BLUE = (255, 0, 0), (0, 0, 255)
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
       b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
       b'exif:GPSLatitude="47,39.08N"/></rdf:RDF></x:xmpmeta>')


@pytest.fixture(autouse=True)
def _english_request(app):  # noqa: ANN001, ANN202
    """Messages are lazy translations: they are read inside a request, here an English one."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


# ---------------------------------------------------------------- image makers


def encode(im: Image.Image, fmt: str, **params) -> bytes:  # noqa: ANN003
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """An image JPEG cannot compress much (so truncating it cuts real picture data)."""
    rnd = random.Random(seed)
    return Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))


def left_red_right_blue(size: tuple[int, int] = (200, 100)) -> Image.Image:
    im = Image.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 2, size[1]))
    return im


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.BodySerialNumber] = "SERIAL-12345"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (47.0, 39.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (26.0, 15.0, 20.0)
    return exif


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bilevel_png(width: int, height: int, with_data: bool = True) -> bytes:
    """A valid 1-bit PNG of any size, built by hand: 40 MP of zeros compress to a few KB."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    data = b""
    if with_data:
        row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
        data = png_chunk(b"IDAT", zlib.compress(row * height, 9))
    return b"\x89PNG\r\n\x1a\n" + header + data + png_chunk(b"IEND", b"")


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def assert_no_metadata(data: bytes) -> None:
    im = opened(data)
    assert len(im.getexif()) == 0
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
        assert key not in im.info, key
    assert b"Exif\x00\x00" not in data
    assert b"ns.adobe.com" not in data
    assert b"SERIAL-12345" not in data and b"PhoneMaker" not in data


def refusal(data: bytes) -> str:
    with pytest.raises(UploadError) as caught:
        process_photo(data)
    message = str(caught.value)
    assert message in {str(m) for m in ALL_MESSAGES}  # a sentence for people, not Pillow's words
    return message


# ---------------------------------------------------------------- accepted photos


def test_jpeg_loses_exif_gps_and_xmp_and_is_turned_upright():
    source = encode(left_red_right_blue(), "JPEG", exif=gps_exif(orientation=6), xmp=XMP,
                    comment=b"PhoneMaker")
    original = Image.open(io.BytesIO(source))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the input really has a position
    assert "xmp" in original.info

    photo = process_photo(source)

    assert photo.content_type == "image/jpeg" and photo.extension == "jpg"
    for data in (photo.data, photo.thumbnail):
        assert_no_metadata(data)
    out = opened(photo.data)
    assert out.format == "JPEG"
    # Orientation 6 means "turn 90° clockwise to view": 200 x 100 becomes 100 x 200, and the
    # red left half ends up on top.
    assert (photo.width, photo.height) == out.size == (100, 200)
    top, bottom = out.getpixel((50, 20)), out.getpixel((50, 180))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_png_with_transparency_stays_transparent_as_webp():
    im = Image.new("RGBA", (120, 80), (0, 128, 0, 255))
    im.paste((0, 0, 0, 0), (0, 0, 60, 80))
    source = encode(im, "PNG", exif=gps_exif())

    photo = process_photo(source)

    assert photo.content_type == "image/webp" and photo.extension == "webp"
    out = opened(photo.data)
    assert out.format == "WEBP" and out.mode == "RGBA" and out.size == (120, 80)
    assert out.getpixel((10, 40))[3] == 0
    assert out.getpixel((110, 40))[3] == 255
    assert_no_metadata(photo.data)
    assert_no_metadata(photo.thumbnail)


def test_palette_png_with_transparent_colour_keeps_its_transparency():
    im = Image.new("P", (40, 40), 1)
    im.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    im.paste(0, (0, 0, 20, 40))
    photo = process_photo(encode(im, "PNG", transparency=0))
    out = opened(photo.data)
    assert photo.content_type == "image/webp"
    assert out.getpixel((5, 20))[3] == 0 and out.getpixel((35, 20))[3] == 255


def test_opaque_webp_becomes_jpeg_without_exif():
    source = encode(left_red_right_blue(), "WEBP", exif=gps_exif(), quality=90)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    photo = process_photo(source)

    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (200, 100)
    assert_no_metadata(photo.data)


def test_greyscale_16_bit_png_keeps_its_tones():
    photo = process_photo(encode(Image.new("I;16", (30, 30), 40000), "PNG"))
    value = opened(photo.data).getpixel((10, 10))
    assert 145 < value[0] < 165  # 40000 / 65535 of white, not clipped to white


def test_cmyk_jpeg_is_converted_to_rgb():
    photo = process_photo(encode(Image.new("CMYK", (30, 30), (0, 255, 255, 0)), "JPEG"))
    out = opened(photo.data)
    assert out.mode == "RGB"
    red, green, blue = out.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_large_photo_is_shrunk_and_thumbnailed():
    photo = process_photo(encode(noise((3000, 2000)), "JPEG", quality=70))
    assert (photo.width, photo.height) == (1600, 1067)
    assert opened(photo.data).size == (1600, 1067)
    assert (photo.thumb_width, photo.thumb_height) == (400, 267)
    assert opened(photo.thumbnail).size == (400, 267)


def test_portrait_photo_is_shrunk_by_its_height():
    photo = process_photo(encode(Image.new("RGB", (900, 2400), RED), "PNG"))
    assert (photo.width, photo.height) == (600, 1600)
    assert (photo.thumb_width, photo.thumb_height) == (150, 400)


def test_small_photo_is_not_enlarged():
    photo = process_photo(encode(Image.new("RGB", (300, 200), RED), "JPEG"))
    assert (photo.width, photo.height) == (300, 200)
    assert (photo.thumb_width, photo.thumb_height) == (300, 200)


# ---------------------------------------------------------------- refused files


def test_renamed_pdf_is_refused_by_its_content():
    pdf = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
           b"trailer << /Root 1 0 R >>\n%%EOF\n")
    assert refusal(pdf) == str(MSG_NOT_A_PHOTO)


def test_random_bytes_are_refused():
    assert refusal(random.Random(7).randbytes(5000)) == str(MSG_NOT_A_PHOTO)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(fmt):
    assert refusal(encode(Image.new("RGB", (20, 20), RED), fmt)) == str(MSG_NOT_A_PHOTO)


def test_empty_file_is_refused():
    assert refusal(b"") == str(MSG_EMPTY)


def test_file_over_8_mib_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("parsed a file that is too big"))
    assert refusal(b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES) == str(MSG_TOO_LARGE)


def test_truncated_jpeg_is_refused():
    whole = encode(noise((800, 600)), "JPEG", quality=90)
    process_photo(whole)  # the untruncated file is fine
    assert refusal(whole[: len(whole) // 2]) == str(MSG_DAMAGED)


def test_truncated_png_is_refused():
    whole = encode(noise((300, 300)), "PNG")
    assert refusal(whole[: len(whole) * 2 // 3]) == str(MSG_DAMAGED)


def test_40_megapixel_png_bomb_is_refused_without_decoding(monkeypatch):
    bomb = bilevel_png(8000, 5000)
    assert len(bomb) < 100_000  # tiny on the wire, 120 MB once decoded as RGB
    assert Image.open(io.BytesIO(bomb)).size == (8000, 5000)  # a valid PNG, not a broken one

    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    started = time.perf_counter()
    assert refusal(bomb) == str(MSG_TOO_MANY_PIXELS)
    assert time.perf_counter() - started < 0.5
    assert decoded == []


@pytest.mark.parametrize(
    "size",
    [
        (10_000, 10_000),  # over Pillow's warning threshold (a warning is an error in the suite)
        (100_000, 100_000),  # over Pillow's error threshold
        (65_535, 1),  # a size within the limit, but no pixel data follows: damaged
    ],
)
def test_huge_declared_sizes_are_refused_from_the_header(size):
    data = bilevel_png(*size, with_data=False)
    width, height = size
    if width * height <= uploads.MAX_PHOTO_PIXELS:
        # A header without pixel data: the size is acceptable, the file is damaged.
        assert refusal(data) == str(MSG_DAMAGED)
    else:
        assert refusal(data) == str(MSG_TOO_MANY_PIXELS)


def test_just_under_the_pixel_limit_is_accepted():
    photo = process_photo(bilevel_png(5000, 5000))
    assert (photo.width, photo.height) == (1600, 1600)


def test_messages_are_translatable_strings():
    for message in ALL_MESSAGES:
        assert type(message).__name__ == "LazyString"
    assert "8 MB" in str(MSG_TOO_LARGE) and "25 megapixels" in str(MSG_TOO_MANY_PIXELS)


# ---------------------------------------------------------------- storage


def test_keys_are_random_and_unguessable():
    keys = {new_key("jpg") for _ in range(500)}
    assert len(keys) == 500
    for key in keys:
        assert KEY_RE.match(key)
        assert len(key) == 32 + len(".jpg")  # 192 random bits
    assert new_key("webp").endswith(".webp")
    with pytest.raises(ValueError):
        new_key("php")


def test_local_storage_round_trip(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    assert isinstance(storage, Storage)
    key = new_key("jpg")
    storage.save(key, b"jpeg bytes", "image/jpeg")

    assert storage.open(key) == b"jpeg bytes"
    path = storage.path_for(key)
    assert path.is_file() and path.is_relative_to(tmp_path / "uploads")
    assert [p.name for p in path.parent.iterdir()] == [key]  # no temporary file left behind
    assert storage.url_path(key) == f"/media/{key}" == photo_url(key)
    assert content_type_for(key) == "image/jpeg"

    storage.delete(key)
    assert not path.exists()
    storage.delete(key)  # deleting twice is harmless
    with pytest.raises(FileNotFoundError):
        storage.open(key)


# Every key is one that would land inside the test's own folder if the check ever broke: the
# suite may run as root, so no case may name a real system file.
@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "../../etc/passwd",
        "{tmp}/outside.jpg",
        "a/b.jpg",
        "..",
        "",
        "x" * 32 + ".php",
        "x" * 32 + ".JPG",
        "x" * 31 + ".jpg",
        "x" * 32 + ".jpg\n",
        "x" * 32 + ".jpg/..",
        "../" + "x" * 29 + ".jpg",
        "x" * 28 + "\x00abc.jpg",
        "x" * 28 + "/../.jpg",
    ],
)
def test_local_storage_refuses_keys_it_did_not_make(tmp_path, key):
    key = key.replace("{tmp}", str(tmp_path))
    root = tmp_path / "a" / "b" / "c" / "uploads"  # deep enough that "../" stays in tmp_path
    storage = LocalStorage(root)
    for call in (
        lambda: storage.open(key),
        lambda: storage.url_path(key),
        lambda: photo_url(key),
        lambda: storage.path_for(key),
        lambda: storage.delete(key),
        lambda: storage.save(key, b"x", "image/jpeg"),
    ):
        with pytest.raises(ValueError):
            call()
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []


def test_default_storage_is_the_instance_uploads_folder(app, monkeypatch):
    monkeypatch.delitem(app.config, "UPLOAD_DIRECTORY", raising=False)
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    assert str(storage.root) == f"{app.instance_path}/uploads"


def test_upload_directory_setting_is_used(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIRECTORY", str(tmp_path / "media"))
    assert get_storage().root == tmp_path / "media"


def test_a_registered_storage_replaces_the_local_one(app, monkeypatch):
    class MemoryStorage:
        def __init__(self) -> None:
            self.files: dict[str, tuple[bytes, str]] = {}

        def save(self, key: str, data: bytes, content_type: str) -> None:
            self.files[key] = (data, content_type)

        def open(self, key: str) -> bytes:
            return self.files[key][0]

        def delete(self, key: str) -> None:
            self.files.pop(key, None)

        def url_path(self, key: str) -> str:
            return f"https://cdn.example/{key}"

    memory = MemoryStorage()
    monkeypatch.setitem(app.extensions, "engage.storage", memory)
    assert get_storage() is memory

    stored = save_photo(encode(Image.new("RGB", (50, 40), RED), "JPEG"))
    assert memory.files[stored.key][1] == "image/jpeg"
    assert set(memory.files) == {stored.key, stored.thumb_key}


# ---------------------------------------------------------------- save_photo


def test_save_photo_stores_photo_and_thumbnail(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIRECTORY", str(tmp_path / "media"))
    source = encode(noise((2000, 1000)), "JPEG", exif=gps_exif(), quality=70)

    stored = save_photo(source)

    assert KEY_RE.match(stored.key) and KEY_RE.match(stored.thumb_key)
    assert stored.key != stored.thumb_key
    assert (stored.width, stored.height) == (1600, 800)
    assert (stored.thumb_width, stored.thumb_height) == (400, 200)
    storage = get_storage()
    full, thumb = storage.open(stored.key), storage.open(stored.thumb_key)
    assert opened(full).size == (1600, 800) and opened(thumb).size == (400, 200)
    assert_no_metadata(full)
    assert len(list((tmp_path / "media").rglob("*.jpg"))) == 2

    uploads.delete_photo(stored.key, stored.thumb_key)
    assert list((tmp_path / "media").rglob("*.jpg")) == []


def test_refused_photo_stores_nothing(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIRECTORY", str(tmp_path / "media"))
    with pytest.raises(UploadError):
        save_photo(b"%PDF-1.4 not a photo")
    assert not (tmp_path / "media").exists()


def test_failed_thumbnail_write_removes_the_photo(tmp_path):
    class FailingSecondWrite(LocalStorage):
        writes = 0

        def save(self, key: str, data: bytes, content_type: str) -> None:
            self.writes += 1
            if self.writes == 2:
                raise OSError("disk full")
            super().save(key, data, content_type)

    storage = FailingSecondWrite(tmp_path)
    with pytest.raises(OSError):
        save_photo(encode(Image.new("RGB", (50, 40), RED), "JPEG"), storage=storage)
    assert list(tmp_path.rglob("*.jpg")) == []


def test_documents_are_stored_but_never_served_by_the_media_route(app, client):
    """A PDF key is one of ours and round-trips through the storage, but /media serves only
    photos: a document is served by the route of the object it belongs to, which checks who may
    see it (a living-lab outcome before it is published, say)."""
    storage = uploads.get_storage()
    photo, document = new_key("jpg"), new_key("pdf")
    assert KEY_RE.match(document) and content_type_for(document) == "application/pdf"
    storage.save(photo, b"jpeg bytes", "image/jpeg")
    storage.save(document, b"%PDF-1.7 minutes", "application/pdf")
    try:
        assert storage.open(document) == b"%PDF-1.7 minutes"
        assert client.get(f"/media/{photo}").status_code == 200
        assert client.get(f"/media/{document}").status_code == 404
    finally:
        storage.delete(photo)
        storage.delete(document)
