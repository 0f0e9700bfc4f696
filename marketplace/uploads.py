"""Delivery photos: type and size checked, decompression bombs refused, re-encoded without EXIF."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from marketplace.services.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sanitise_image(raw: bytes, *, max_bytes: int, max_pixels: int) -> bytes:
    """Return a fresh JPEG of the picture: orientation applied, no metadata (EXIF/GPS) kept."""
    if not raw:
        raise ValidationFailed({"photo": "The photo is empty"})
    if len(raw) > max_bytes:
        raise ValidationFailed(
            {"photo": f"The photo is larger than {max_bytes // (1024 * 1024)} MB"}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ValidationFailed({"photo": "Only JPEG, PNG or WebP photos are accepted"})
                width, height = probe.size
                if width * height > max_pixels or width <= 0 or height <= 0:
                    raise ValidationFailed({"photo": "The photo has too many pixels"})
                probe.verify()
            with Image.open(io.BytesIO(raw)) as img:
                img.load()
                upright = ImageOps.exif_transpose(img).convert("RGBA")
                # A new image from the pixels alone: no EXIF, GPS, ICC or text chunks survive.
                clean = Image.new("RGB", upright.size, (255, 255, 255))
                clean.paste(upright, mask=upright.split()[3])
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed({"photo": "The file is not a readable image"}) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationFailed({"photo": "The file is not a readable image"}) from None
    clean.thumbnail((2048, 2048))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85)
    return out.getvalue()


def save_photo(upload: FileStorage) -> str:
    cfg = current_app.config
    data = sanitise_image(
        upload.read(cfg["UPLOAD_MAX_BYTES"] + 1),
        max_bytes=cfg["UPLOAD_MAX_BYTES"],
        max_pixels=cfg["UPLOAD_MAX_PIXELS"],
    )
    name = secrets.token_hex(16) + ".jpg"
    (upload_dir() / name).write_bytes(data)
    return name
