"""Delivery photos (DESIGN §6): type and size checked, decompression bombs refused, re-encoded with
no metadata. The attack corpus is generated here; nothing binary is committed."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image, PngImagePlugin

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, User
from marketplace.services import claims
from tests.factories import PASSWORD, jpeg_bytes
from tests.world import World


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small file whose header claims 10^10 pixels."""
    raw = zlib.compress(b"\x00" * 1024)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", raw)
        + _png_chunk(b"IEND", b"")
    )


def image(fmt: str, size: tuple[int, int] = (32, 24), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt, **save)
    return out.getvalue()


def gps_jpeg() -> bytes:
    img = Image.new("RGB", (64, 48), (0, 200, 0))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x0131] = "secret-software"
    gps = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "fixture lacks GPS"
    return data


def text_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<?php system($_GET['c']); ?>")
    info.add_text("Author", "13812345678")
    return image("PNG", pnginfo=info)


REJECTED: dict[str, tuple[bytes, str, str]] = {
    # name: (bytes, filename, content type)
    "php_named_jpg": (b"<?php system($_GET['c']); ?>", "x.jpg", "image/jpeg"),
    "html_named_jpg": (b"<html><script>alert(1)</script></html>", "x.jpg", "image/jpeg"),
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "x.svg",
        "image/svg+xml",
    ),
    "svg_named_jpg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "a.jpg",
        "image/jpeg",
    ),
    "truncated_jpeg": (jpeg_bytes((400, 300))[:300], "t.jpg", "image/jpeg"),
    "bomb_png": (bomb_png(), "bomb.png", "image/png"),
    "gif": (image("GIF"), "x.gif", "image/gif"),
    "bmp": (image("BMP"), "x.bmp", "image/bmp"),
    "tiff": (image("TIFF"), "x.tif", "image/tiff"),
    "zero_bytes": (b"", "empty.jpg", "image/jpeg"),
    "zip_named_jpg": (b"PK\x03\x04" + b"\x00" * 100, "x.jpg", "image/jpeg"),
}
SANITISED: dict[str, tuple[bytes, str, str]] = {
    "gps_jpeg": (gps_jpeg(), "gps.jpg", "image/jpeg"),
    "png_text_chunks": (text_png(), "t.png", "image/png"),
    "polyglot_jpeg_php": (
        jpeg_bytes((50, 50)) + b"<?php system($_GET['c']); ?>",
        "p.jpg",
        "image/jpeg",
    ),
    "wrong_content_type": (jpeg_bytes(), "photo.jpg", "text/html"),
    "webp": (image("WEBP"), "x.webp", "image/webp"),
}


@pytest.fixture
def fresh_claim(app: Flask, world: World, make_need, make_household) -> Callable[[], int]:
    def make() -> int:
        staff = world.users["hub_owner"]
        need = make_need(staff, make_household(staff))
        with session_scope(get_engine(app)) as s:
            member = s.get(User, world.users["member_owner"].id)
            return claims.claim_wish(
                s, member=member, wish_id=need.id, policy=claims.ClaimPolicy(max_open=99)
            ).id  # type: ignore[arg-type, return-value]

    return make


def uploads(app: Flask) -> set[str]:
    path = Path(app.instance_path) / "uploads"
    return {p.name for p in path.iterdir()} if path.exists() else set()


def claim_status(app: Flask, claim_id: int) -> str:
    with session_scope(get_engine(app)) as s:
        return s.get(Claim, claim_id).status  # type: ignore[union-attr]


def post_photo(app: Flask, world: World, claim_id: int, data: bytes, name: str, ctype: str) -> Any:
    return app.test_client().post(
        f"/api/v1/claims/{claim_id}/deliver",
        data={"note": "送到了", "photo": (io.BytesIO(data), name, ctype)},
        headers=world.tokens["member_owner"],
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected_uploads_write_nothing(app: Flask, world: World, fresh_claim, case: str):
    claim_id = fresh_claim()
    before = uploads(app)
    r = post_photo(app, world, claim_id, *REJECTED[case])
    assert r.status_code == 422, (case, r.status_code, r.get_json())
    assert "photo" in r.get_json()["errors"]
    assert uploads(app) == before
    assert claim_status(app, claim_id) == "active"


def test_oversized_upload(app: Flask, world: World, fresh_claim):
    claim_id = fresh_claim()
    app.config["UPLOAD_MAX_BYTES"] = 50_000
    before = uploads(app)
    big = jpeg_bytes((32, 32)) + b"\x00" * 60_000
    r = post_photo(app, world, claim_id, big, "big.jpg", "image/jpeg")
    assert r.status_code == 422 and "photo" in r.get_json()["errors"]
    # Beyond the request limit, the server refuses before reading it all.
    r = app.test_client().post(
        f"/api/v1/claims/{claim_id}/deliver",
        data=b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1),
        content_type="multipart/form-data; boundary=zz",
        headers=world.tokens["member_owner"],
    )
    assert r.status_code == 413
    assert uploads(app) == before and claim_status(app, claim_id) == "active"


def test_pixel_limit(app: Flask, world: World, fresh_claim):
    claim_id = fresh_claim()
    app.config["UPLOAD_MAX_PIXELS"] = 1000
    r = post_photo(app, world, claim_id, image("PNG", (100, 100)), "p.png", "image/png")
    assert r.status_code == 422 and claim_status(app, claim_id) == "active"


@pytest.mark.parametrize("case", sorted(SANITISED))
def test_accepted_uploads_are_reencoded_without_metadata(
    app: Flask, world: World, fresh_claim, case: str
):
    claim_id = fresh_claim()
    before = uploads(app)
    r = post_photo(app, world, claim_id, *SANITISED[case])
    assert r.status_code == 200, (case, r.get_json())
    new = uploads(app) - before
    assert len(new) == 1 and claim_status(app, claim_id) == "delivered"
    name = new.pop()
    assert name.endswith(".jpg") and len(name) == 36
    stored = (Path(app.instance_path) / "uploads" / name).read_bytes()
    assert b"<?php" not in stored and b"13812345678" not in stored and b"Camera Maker" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert not img.getexif() and not img.getexif().get_ifd(0x8825)
        assert not {"exif", "icc_profile", "comment", "Comment", "Author"} & set(img.info)
    # Only hub staff of the household's area can fetch it, as a JPEG.
    staff = app.test_client()
    staff.post(
        "/auth/login", data={"username": world.users["hub_owner"].username, "password": PASSWORD}
    )
    got = staff.get(f"/hub/photos/{name}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    got.close()
    other = app.test_client()
    other.post(
        "/auth/login", data={"username": world.users["hub_staff"].username, "password": PASSWORD}
    )
    assert other.get(f"/hub/photos/{name}").status_code == 404


def test_html_delivery_form_refuses_and_sanitises(app: Flask, world: World, fresh_claim):
    client = app.test_client()
    client.post(
        "/auth/login", data={"username": world.users["member_owner"].username, "password": PASSWORD}
    )
    claim_id = fresh_claim()
    before = uploads(app)
    r = client.post(
        f"/member/claims/{claim_id}/deliver",
        data={"note": "x", "photo": (io.BytesIO(bomb_png()), "b.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert (
        r.status_code == 422 and uploads(app) == before and claim_status(app, claim_id) == "active"
    )
    r = client.post(
        f"/member/claims/{claim_id}/deliver",
        data={
            "note": "x",
            "step": "confirm",
            "photo": (io.BytesIO(gps_jpeg()), "g.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and claim_status(app, claim_id) == "delivered"
    (name,) = uploads(app) - before
    with Image.open(Path(app.instance_path) / "uploads" / name) as img:
        assert not img.getexif()


def test_path_traversal_names_are_ignored(app: Flask, world: World, fresh_claim):
    claim_id = fresh_claim()
    r = post_photo(app, world, claim_id, jpeg_bytes(), "../../../../etc/passwd.jpg", "image/jpeg")
    assert r.status_code == 200
    assert all(len(n) == 36 for n in uploads(app) - {world.photo_name})
    staff = app.test_client()
    staff.post(
        "/auth/login", data={"username": world.users["hub_owner"].username, "password": PASSWORD}
    )
    for name in ("..%2F..%2Fconfig.py", "../secret_key", "%2e%2e%2fsecret_key"):
        assert staff.get(f"/hub/photos/{name}").status_code == 404
