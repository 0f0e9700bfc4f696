"""The certificate (志愿服务记录证明) as the member's pages and the API hand it out: issued and
drawn by ``services.certificates`` in the reader's language, its QR code pointing to the public
verification page of this server."""

from __future__ import annotations

import os
import tempfile
from datetime import date

from flask import Response, current_app, url_for
from sqlmodel import Session

from marketplace.models import Certificate, User
from marketplace.services import certificates
from marketplace.web.labels import export_words


def verify_url(code: str) -> str:
    return url_for("main.verify", code=code, _external=True)


def font_cache() -> str:
    """Where the certificate font's common-characters subset is kept (CERTIFICATE_FONT_CACHE;
    default: the system's temporary folder, shared by the server's processes; "-": none)."""
    configured = str(current_app.config.get("CERTIFICATE_FONT_CACHE", "") or "")
    if configured == "-":
        return ""
    return configured or os.path.join(tempfile.gettempdir(), "zhongfu-fonts")


def certificate_pdf(
    session: Session, member: User, d_from: date, d_to: date
) -> tuple[bytes, Certificate]:
    """Issue a certificate for the period and draw it. The font is looked up first, so a server
    without a Chinese font refuses before anything is stored."""
    font = str(current_app.config.get("CERTIFICATE_FONT", "") or "")
    certificates.find_font(font)
    cert, records = certificates.issue(session, member=member, d_from=d_from, d_to=d_to)
    body = certificates.render_pdf(
        session,
        cert,
        member=member,
        records=records,
        words=export_words(),
        verify_url=verify_url,
        font=font,
        font_cache=font_cache(),
    )
    return body, cert


def pdf_response(body: bytes, cert: Certificate) -> Response:
    response = Response(body, mimetype="application/pdf")
    name = f"certificate-{cert.period_from.isoformat()}-{cert.period_to.isoformat()}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
