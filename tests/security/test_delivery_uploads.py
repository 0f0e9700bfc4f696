"""Delivery photos that cost the machine (issue 11, item 5): a report that is refused stores no
file and decodes nothing, a file written for a unit of work that then fails is removed, a pixel
bomb is refused from its header, and reports are rate-limited per account (see
``test_delivery_rate_limit.py``)."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import ImageFile

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, User
from marketplace.services import claims
from marketplace.services.errors import ValidationFailed
from marketplace.uploads import photo_saver, sanitise_image
from tests.factories import PASSWORD, jpeg_bytes
from tests.security.test_uploads import claim_status, fresh_claim, post_photo, uploads
from tests.world import World

__all__ = ["fresh_claim"]  # the fixture, imported for this module's tests


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb_png(side: int = 6300) -> bytes:
    """A real, decodable side×side RGB PNG of one colour: a few hundred KB that decode to
    side² × 3 bytes (6300² → 119 MB)."""
    z = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (side * 3)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def login(app: Flask, user: User) -> Any:
    client = app.test_client()
    client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    return client


def test_refused_reports_leave_no_file(app: Flask, world: World):
    """20 reports on a claim that is no longer active (and some on another member's claim): each
    is refused, none leaves a file."""
    before = uploads(app)
    for _ in range(20):
        r = post_photo(
            app, world, world.claim_delivered, jpeg_bytes((400, 300)), "a.jpg", "image/jpeg"
        )
        assert r.status_code == 409, r.get_json()
    other = post_photo(app, world, world.claim_org, jpeg_bytes(), "b.jpg", "image/jpeg")
    assert other.status_code == 404
    client = login(app, world.users["member_owner"])
    r = client.post(
        f"/member/claims/{world.claim_delivered}/deliver",
        data={"note": "x", "photo": (io.BytesIO(jpeg_bytes()), "c.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 409
    assert uploads(app) == before


def test_a_refused_report_does_not_even_decode_the_photo(app: Flask, world: World, monkeypatch):
    def no_decoding(self: Any) -> None:
        raise AssertionError("the photo was decoded for a report that is refused")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    r = post_photo(app, world, world.claim_delivered, jpeg_bytes(), "a.jpg", "image/jpeg")
    assert r.status_code == 409


def test_the_file_is_removed_when_the_database_update_fails(
    app: Flask, world: World, fresh_claim, monkeypatch
):
    claim_id = fresh_claim()
    before = uploads(app)

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(claims.audit, "record", broken)  # fails after the photo was written
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = post_photo(app, world, claim_id, jpeg_bytes(), "a.jpg", "image/jpeg")
    assert r.status_code == 500
    assert uploads(app) == before
    assert claim_status(app, claim_id) == "active"


def test_the_file_stays_when_the_unit_of_work_commits_and_goes_when_it_rolls_back(
    app: Flask, world: World, fresh_claim
):
    from werkzeug.datastructures import FileStorage

    def report(claim_id: int, *, fail: bool) -> None:
        with app.test_request_context(), session_scope(get_engine(app)) as s:
            member = s.get(User, world.users["member_owner"].id)
            upload = FileStorage(io.BytesIO(jpeg_bytes()), "p.jpg", content_type="image/jpeg")
            claims.report_delivery(
                s, actor=member, claim_id=claim_id, note="", save_photo=photo_saver(upload, s)
            )
            # A savepoint that commits inside the unit of work is not the unit's commit.
            with s.begin_nested():
                pass
            if fail:
                raise RuntimeError("after the photo was written")

    before = uploads(app)
    failing = fresh_claim()
    with pytest.raises(RuntimeError):
        report(failing, fail=True)
    assert uploads(app) == before and claim_status(app, failing) == "active"
    kept = fresh_claim()
    report(kept, fail=False)
    (name,) = uploads(app) - before
    with session_scope(get_engine(app)) as s:
        assert s.get(Claim, kept).photo_path == name  # type: ignore[union-attr]


def test_pixel_bomb_is_refused_from_its_header(app: Flask, world: World, fresh_claim, monkeypatch):
    bomb = pixel_bomb_png()
    assert len(bomb) < 1_000_000
    claim_id = fresh_claim()
    before = uploads(app)

    def no_decoding(self: Any) -> None:
        raise AssertionError("decoded a picture over the pixel budget")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    t0 = time.perf_counter()
    r = post_photo(app, world, claim_id, bomb, "bomb.png", "image/png")
    elapsed = time.perf_counter() - t0
    assert r.status_code == 422
    assert "photo" in r.get_json()["errors"]
    assert elapsed < 2.0, elapsed
    assert uploads(app) == before and claim_status(app, claim_id) == "active"


def test_the_default_pixel_budget(app: Flask, monkeypatch):
    assert app.config["UPLOAD_MAX_PIXELS"] <= 24_000_000 < 6300 * 6300
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(ValidationFailed) as caught:
        sanitise_image(
            pixel_bomb_png(5000),  # 25 MP
            max_bytes=app.config["UPLOAD_MAX_BYTES"],
            max_pixels=app.config["UPLOAD_MAX_PIXELS"],
        )
    assert caught.value.errors["photo"].code == "photo.too_many_pixels"


def test_a_large_jpeg_is_decoded_reduced_and_stored_small(app: Flask, world: World, fresh_claim):
    claim_id = fresh_claim()
    before = uploads(app)
    r = post_photo(app, world, claim_id, jpeg_bytes((4800, 3600)), "big.jpg", "image/jpeg")
    assert r.status_code == 200, r.get_json()
    (name,) = uploads(app) - before
    from PIL import Image

    with Image.open(Path(app.instance_path) / "uploads" / name) as img:
        assert max(img.size) <= 2048
