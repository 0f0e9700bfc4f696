"""Delivery photos: type and size checked, decompression bombs refused, re-encoded without EXIF.

A photo costs nothing until the report may take it: ``photo_saver`` hands ``claims.report_delivery``
a function that it calls only once the claim has moved to delivered; only then is the picture
decoded (within ``UPLOAD_MAX_PIXELS``, read from the header before any decoding; JPEGs decoded at
the reduced size they are stored at), re-encoded and written, and the file is removed again when
the unit of work does not commit. Delivery reports are rate-limited per account
(``DELIVERY_RATE_LIMIT``, one bucket for the form and the API).
"""

from __future__ import annotations

import io
import secrets
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
