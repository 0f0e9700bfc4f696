"""Delivery photos: type and size checked, decompression bombs refused, re-encoded without EXIF.

A photo costs nothing until the report may take it: ``photo_saver`` hands ``claims.report_delivery``
a function that it calls only once the claim has moved to delivered; only then is the picture
decoded (within ``UPLOAD_MAX_PIXELS``, read from the header before any decoding; JPEGs decoded at
the reduced size they are stored at), re-encoded and written, and the file is removed again when
the unit of work does not commit. Delivery reports are rate-limited per account
(``DELIVERY_RATE_LIMIT``, one bucket for the form and the API).
"""

from __future__ import annotations

import base64
import io
import re
import secrets
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_login import current_user
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlmodel import Session
from werkzeug.datastructures import FileStorage

from marketplace.extensions import limiter
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
STORED_SIZE = (2048, 2048)  # the largest stored photo


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sanitise_image(raw: bytes, *, max_bytes: int, max_pixels: int) -> bytes:
    """Return a fresh JPEG of the picture: orientation applied, no metadata (EXIF/GPS) kept.

    The pixel count is checked from the header (``Image.open`` decodes nothing), so a small file
    that claims a huge picture is refused before it costs memory or time."""
    if not raw:
        raise ValidationFailed({"photo": "photo.empty"})
    if len(raw) > max_bytes:
        raise ValidationFailed(
            {"photo": Message("photo.too_large", {"mb": max_bytes // (1024 * 1024)})}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ValidationFailed({"photo": "photo.type"})
                width, height = probe.size
                if width * height > max_pixels or width <= 0 or height <= 0:
                    raise ValidationFailed({"photo": "photo.too_many_pixels"})
                probe.verify()
            with Image.open(io.BytesIO(raw)) as img:
                # JPEG: let the decoder scale down (1/2, 1/4, 1/8) to no less than the stored size.
                img.draft("RGB", STORED_SIZE)
                img.load()
                img.thumbnail(STORED_SIZE)
                upright = ImageOps.exif_transpose(img).convert("RGBA")
                # A new image from the pixels alone: no EXIF, GPS, ICC or text chunks survive.
                clean = Image.new("RGB", upright.size, (255, 255, 255))
                clean.paste(upright, mask=upright.split()[3])
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed({"photo": "photo.unreadable"}) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationFailed({"photo": "photo.unreadable"}) from None
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85)
    return out.getvalue()


def photo_saver(upload: FileStorage | None, session: Session) -> Callable[[], str] | None:
    """For ``claims.report_delivery``: store the uploaded photo when called (``None`` without a
    photo). The file is removed if the unit of work of ``session`` then does not commit."""
    if upload is None or not upload.filename:
        return None

    def save() -> str:
        return save_photo(upload, session)

    return save


def save_photo(upload: FileStorage, session: Session) -> str:
    """Check, re-encode and write the photo; its file name (removed again unless ``session``'s
    unit of work commits)."""
    cfg = current_app.config
    data = sanitise_image(
        upload.read(cfg["UPLOAD_MAX_BYTES"] + 1),
        max_bytes=cfg["UPLOAD_MAX_BYTES"],
        max_pixels=cfg["UPLOAD_MAX_PIXELS"],
    )
    name = secrets.token_hex(16) + ".jpg"
    path = upload_dir() / name
    path.write_bytes(data)
    _remove_unless_committed(session, path)
    return name


def _remove_unless_committed(session: Session, path: Path) -> None:
    """Delete ``path`` when the session's outermost transaction ends other than by a commit
    (rolled back, failed to commit, or closed). A savepoint's release also fires
    ``after_commit``; its own end resets the flag, so only the outermost commit counts."""
    state = {"committed": False, "done": False}

    def committed(_session: Session) -> None:
        state["committed"] = True

    def ended(_session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            state["committed"] = False
            return
        if not state["done"]:
            state["done"] = True
            if not state["committed"]:
                path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)


# 档案附件 — a household's documents and photos (services/casefile.py): an image gets exactly the
# delivery photo's treatment (re-encoded JPEG, no metadata); a PDF is checked (header, end marker,
# no active content) and kept as sent. Stored under a random name in ``uploads/attachments``, served
# only through the hub's audited view.
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


def attachment_dir() -> Path:
    path = upload_dir() / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sanitise_attachment(raw: bytes, *, max_bytes: int, max_pixels: int) -> tuple[bytes, str]:
    """The bytes to store and their content type: a PDF as sent once checked, any other file as
    a picture (``sanitise_image``). Refusals name the field ``file``."""
    if raw.startswith(b"%PDF-"):
        if len(raw) > max_bytes:
            raise ValidationFailed(
                {"file": Message("photo.too_large", {"mb": max_bytes // (1024 * 1024)})}
            )
        if b"%%EOF" not in raw[-2048:]:
            raise ValidationFailed({"file": "attachment.pdf_invalid"})
        if PDF_ACTIVE.search(raw):
            raise ValidationFailed({"file": "attachment.pdf_active"})
        return raw, "application/pdf"
    try:
        return sanitise_image(raw, max_bytes=max_bytes, max_pixels=max_pixels), "image/jpeg"
    except ValidationFailed as exc:
        message = exc.errors.get("photo")
        if message is not None and message.code in ("photo.type", "photo.unreadable"):
            raise ValidationFailed({"file": "attachment.type"}) from None
        raise ValidationFailed({"file": message or "attachment.type"}) from None


def attachment_saver(upload: FileStorage, session: Session) -> Callable[[], tuple[str, str, int]]:
    """For ``casefile.add_attachment``: when called (after the scope check), check and write the
    file; its stored name, content type and size. Removed again unless ``session`` commits."""

    def save() -> tuple[str, str, int]:
        cfg = current_app.config
        data, content_type = sanitise_attachment(
            upload.read(cfg["UPLOAD_MAX_BYTES"] + 1),
            max_bytes=cfg["UPLOAD_MAX_BYTES"],
            max_pixels=cfg["UPLOAD_MAX_PIXELS"],
        )
        name = secrets.token_hex(16) + (".pdf" if content_type == "application/pdf" else ".jpg")
        path = attachment_dir() / name
        path.write_bytes(data)
        _remove_unless_committed(session, path)
        return name, content_type, len(data)

    return save


def remove_stored(directory: Path, names: list[str]) -> None:
    """Delete stored files by their random names (after their rows let go of them: the
    anonymisation of a household); any other name is ignored."""
    for name in names:
        if re.fullmatch(r"[0-9a-f]{32}\.(jpg|pdf)", name):
            (directory / name).unlink(missing_ok=True)


# Pending photos: a delivery report is previewed before it is sent, so the photo chosen for it is
# checked and re-encoded at the preview and kept until the deliverer confirms, under a name made
# of the claim id and a random token (``<claim>-<token>.jpg``): only the claim's deliverer, who holds
# the token, can send it. Files left behind by reports never confirmed are swept after a day.
PENDING_TOKEN = re.compile(r"^[0-9a-f]{32}$")
PENDING_MAX_AGE_S = 24 * 3600
THUMBNAIL_SIZE = (480, 480)


def pending_dir() -> Path:
    path = upload_dir() / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_pending(upload: FileStorage, claim_id: int) -> str:
    """Check and re-encode a photo (as ``save_photo`` does) and keep it for the claim's
    confirmation; its token. Raises ``ValidationFailed`` (and keeps nothing) for a bad photo."""
    cfg = current_app.config
    data = sanitise_image(
        upload.read(cfg["UPLOAD_MAX_BYTES"] + 1),
        max_bytes=cfg["UPLOAD_MAX_BYTES"],
        max_pixels=cfg["UPLOAD_MAX_PIXELS"],
    )
    _sweep_pending()
    token = secrets.token_hex(16)
    (pending_dir() / f"{claim_id}-{token}.jpg").write_bytes(data)
    return token


def pending_path(claim_id: int, token: str | None) -> Path | None:
    """The photo kept for a claim under ``token``; None when the token is malformed or the file
    is gone (swept, or already sent)."""
    if not token or not PENDING_TOKEN.match(token):
        return None
    path = pending_dir() / f"{claim_id}-{token}.jpg"
    return path if path.is_file() else None


def pending_saver(path: Path, session: Session) -> Callable[[], str]:
    """For ``claims.report_delivery``: store a kept photo as the report's photo when called. The
    stored copy is removed unless ``session``'s unit of work commits; the kept one once it does."""

    def save() -> str:
        name = secrets.token_hex(16) + ".jpg"
        final = upload_dir() / name
        final.write_bytes(path.read_bytes())
        _remove_unless_committed(session, final)
        _remove_once_committed(session, path)
        return name

    return save


def thumbnail_data_uri(path: Path) -> str:
    """A small JPEG of a kept photo as a ``data:`` URI, for the preview (CSP allows ``data:``)."""
    with Image.open(path) as img:
        img.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _sweep_pending() -> None:
    cutoff = time.time() - PENDING_MAX_AGE_S
    for old in pending_dir().glob("*.jpg"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except OSError:
            continue


def _remove_once_committed(session: Session, path: Path) -> None:
    """Delete ``path`` when the session's outermost transaction commits (not on a rollback)."""
    state = {"committed": False}

    def committed(_session: Session) -> None:
        state["committed"] = True

    def ended(_session: Session, transaction: Any) -> None:
        if transaction.parent is not None:
            state["committed"] = False
        elif state["committed"]:
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", ended)


def _deliverer_key() -> str:
    user = g.get("api_user") or current_user
    user_id = getattr(user, "id", None)
    return f"deliverer:{user_id}" if user_id else f"deliverer-addr:{get_remote_address()}"


# One bucket per deliverer account, shared by the delivery form and the API. Apply it below the
# decorator that authenticates, so that the account is known when the limit is checked.
delivery_limit = limiter.shared_limit(
    lambda: current_app.config["DELIVERY_RATE_LIMIT"],
    scope="delivery",
    key_func=_deliverer_key,
    methods=["POST"],
)
