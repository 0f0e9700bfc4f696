"""志愿服务记录证明 — a member's certificate of service records for a period (DESIGN §11).

Issuing stores the certificate: a random code (``secrets.token_urlsafe``: unforgeable, checked by
lookup), the masked volunteer, the period and its totals and record ids, fixed at issue. The PDF is
drawn with fpdf2 in a Chinese font embedded as a subset (fpdf2 reads OpenType CFF fonts and font
collections through fontTools; reportlab cannot embed CFF-based Noto CJK). Its QR code (segno)
points to the public verification page, whose URL the web layer gives (``verify_url``).

The font: ``CERTIFICATE_FONT`` (a .ttf/.otf/.ttc path; ``path#n`` picks font n of a collection),
else the first of ``FONT_CANDIDATES`` found — Debian's fonts-noto-cjk (installed by ``.ci/run``),
WenQuanYi, Droid Sans Fallback. Without any, a certificate is refused with
``certificate.font_missing`` (503) and everything else works: ``apt-get install fonts-noto-cjk``.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import math
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import segno
from sqlmodel import Session, col, select

from marketplace.models import Certificate, Contribution, User, utcnow
from marketplace.services import audit, contributions
from marketplace.services.clock import beijing_date, to_beijing
from marketplace.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace.services.exports import Words, workbook
from marketplace.services.privacy import mask_name
from marketplace.services.regions import region_names

ROWS_PER_PAGE = 20
CODE_BYTES = 24  # 32 URL-safe characters
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)


def N_(message: str) -> str:
    return message


class FontMissing(ServiceError):
    status = 503
    code = "unavailable"
    default_message = "certificate.font_missing"


def _common_characters() -> frozenset[int]:
    """ASCII, CJK and full-width punctuation and the 6,763 hanzi of GB 2312: what nearly every
    certificate uses (names, places, hubs, wish titles)."""
    chars = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFF70))
    chars |= {0xB7, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026}
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


@lru_cache(maxsize=4)
def common_subset(path: str, index: int, cache_dir: str) -> tuple[str, frozenset[int]] | None:
    """The font cut down to ``_common_characters`` (2 MB instead of 19 MB for Noto CJK) and with
    TrueType outlines (``_to_truetype``), kept in ``cache_dir``. Built once (about 8 s) by the
    first certificate; written atomically. fpdf2 subsets the font of every PDF again for the
    glyphs it uses: with this font that takes ~30 ms for a 12-month certificate where the whole
    CFF font took ~550 ms and the CFF cut ~300 ms. Returns (path, the code points it covers), or
    None when it cannot be built (the whole font is used then)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        stat = Path(path).stat()
        key = hashlib.sha256(f"{path}#{index}:{stat.st_size}:{stat.st_mtime_ns}:2".encode())
        target = Path(cache_dir) / f"certificate-font-{key.hexdigest()[:16]}.ttf"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            font = TTFont(path, fontNumber=index, lazy=False)
            options = subset.Options()
            options.layout_features = []
            options.name_IDs = ["*"]
            options.notdef_outline = True
            cutter = subset.Subsetter(options)
            cutter.populate(unicodes=_common_characters())
            cutter.subset(font)
            if "CFF " in font:
                _to_truetype(font)
            partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
            font.save(str(partial))
            font.close()
            os.replace(partial, target)
        with TTFont(str(target), lazy=True) as font:
            covered = frozenset(font.getBestCmap())
        return str(target), covered
    except (OSError, ValueError, KeyError, AssertionError, AttributeError, TypeError):
        return None


def _to_truetype(font: Any) -> None:
    """Replace the CFF outlines of ``font`` by TrueType ones (cubic curves approximated by
    quadratic ones within 1 font unit, contours turned clockwise), in place. Subsetting a CFF
    font means running every glyph's charstring program (subroutine closure, bounds) in Python;
    TrueType glyphs are copied as bytes."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font.sfntVersion = "\x00\x01\x00\x00"


@lru_cache(maxsize=8)
def find_font(configured: str = "") -> tuple[str, int]:
    """(path, index in the collection) of the certificate's Chinese font."""
    if configured:
        path, _sep, number = configured.partition("#")
        if not Path(path).is_file():
            raise FontMissing()
        return path, int(number) if number.isdigit() else _simplified_index(path)
    for path in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, _simplified_index(path)
    raise FontMissing()


def _simplified_index(path: str) -> int:
    """In a collection, the Simplified Chinese font (Noto's "… SC"), else the first."""
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for i, font in enumerate(collection.fonts):
            name = str(font["name"].getDebugName(4) or "")
            if name.endswith(" SC") or "SC" in name.split():
                return i
        return 0
    finally:
        collection.close()


@dataclass(frozen=True)
class Verification:
    valid: bool
    volunteer: str = ""
    hours: Decimal = Decimal(0)
    records: int = 0
    issued_at: datetime | None = None
    period_from: date | None = None
    period_to: date | None = None

    def as_json(self) -> dict[str, Any]:
        if not self.valid:
            return {"valid": False}
        return {
            "valid": True,
            "volunteer": self.volunteer,
            "hours": float(self.hours),
            "records": self.records,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "period": {
                "from": self.period_from.isoformat() if self.period_from else None,
                "to": self.period_to.isoformat() if self.period_to else None,
            },
        }


def issue(
    session: Session,
    *,
    member: User,
    d_from: date,
    d_to: date,
    now: datetime | None = None,
) -> tuple[Certificate, list[Contribution]]:
    """Issue a certificate of the member's records ended within [d_from, d_to] (Beijing days)."""
    records = contributions.records_of_member(
        session, member_id=member.id or 0, d_from=d_from, d_to=d_to
    )
    if not records:
        raise ValidationFailed({"from": "certificate.no_records"})
    cert = Certificate(
        code=secrets.token_urlsafe(CODE_BYTES),
        member_id=member.id or 0,
        volunteer=mask_name(member.display_name or member.username),
        period_from=d_from,
        period_to=d_to,
        records=len(records),
        hours=sum((Decimal(r.hours) for r in records), Decimal(0)),
        record_ids=[r.id or 0 for r in records],
        issued_at=now or utcnow(),
    )
    session.add(cert)
    session.flush()
    audit.record(
        session,
        member,
        "certificate.issue",
        cert,
        after={"records": cert.records, "hours": str(cert.hours)},
    )
    return cert, records


def verify(session: Session, code: str) -> Verification:
    """The public check of a certificate code: its fixed totals, nothing about households."""
    code = (code or "").strip()
    if not code or len(code) > 43 or not all(c.isalnum() or c in "-_" for c in code):
        return Verification(valid=False)
    cert = session.exec(select(Certificate).where(Certificate.code == code)).first()
    if cert is None:
        return Verification(valid=False)
    return Verification(
        valid=True,
        volunteer=cert.volunteer,
        hours=Decimal(cert.hours),
        records=cert.records,
        issued_at=cert.issued_at,
        period_from=cert.period_from,
        period_to=cert.period_to,
    )


def certificate_records(session: Session, cert: Certificate) -> list[Contribution]:
    ids = list(cert.record_ids)
    rows = session.exec(select(Contribution).where(col(Contribution.id).in_(ids))).all()
    return sorted(rows, key=lambda r: (r.ended_at, r.id or 0))


def get_own(session: Session, *, member: User, certificate_id: int) -> Certificate:
    cert = session.get(Certificate, certificate_id)
    if cert is None or cert.member_id != member.id:
        raise NotFound()
    return cert


def _hours(value: Decimal) -> str:
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


P = ParamSpec("P")
R = TypeVar("R")


def _without_cyclic_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the cyclic garbage collector paused. Drawing a certificate makes some
    100,000 short-lived objects (the font's glyphs, fpdf2's text fragments); counted by the
    collector, they set off a full collection every dozen certificates, and a full collection
    walks every object of the process (pypinyin's phrase dictionary alone is 200,000 lists):
    150 ms more for that certificate. They die with the PDF, and the first young-generation
    collection after it clears any cycles among them. Safe with threads: only a call that found
    the collector on turns it on again."""

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapped


@_without_cyclic_gc
def render_pdf(
    session: Session,
    cert: Certificate,
    *,
    member: User,
    records: list[Contribution] | None = None,
    words: Words,
    verify_url: Callable[[str], str],
    font: str = "",
    font_cache: str = "",
) -> bytes:
    """The certificate as PDF: one page per ``ROWS_PER_PAGE`` records, each page with the
    statement, the records' table, the QR code to ``verify_url(code)`` and the page number."""
    from fpdf import FPDF

    path, index = find_font(font)
    t, label = words.t, words.label
    records = records if records is not None else certificate_records(session, cert)
    names = region_names(session)
    url = verify_url(cert.code)
    qr = io.BytesIO()
    segno.make(url, error="m").save(qr, kind="png", scale=6, border=2)
    qr_png = qr.getvalue()

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(t(N_("Certificate of volunteer service records")))
    pdf.set_creator("Zhongfu")
    volunteer = member.display_name or member.username
    statement = t(
        N_(
            "This certifies that %(name)s took part in volunteer service from %(start)s to "
            "%(end)s: %(n)s records, %(hours)s hours in total, as listed below."
        )
    ) % {
        "name": volunteer,
        "start": cert.period_from.isoformat(),
        "end": cert.period_to.isoformat(),
        "n": cert.records,
        "hours": _hours(cert.hours),
    }
    headings = [
        (t(N_("Record number")), 30),
        (t(N_("Date")), 22),
        (t(N_("Service content")), 50),
        (t(N_("Place")), 30),
        (t(N_("Hours")), 14),
        (t(N_("Recording unit")), 40),
    ]
    # The common characters' subset when it covers every text, else the whole font.
    texts = [statement, volunteer, url, *(h for h, _w in headings)]
    texts += [
        t(msgid)
        for msgid in (
            "Certificate of volunteer service records",
            "Scan to verify",
            "Certificate code %(code)s · issued %(at)s",
            "Verify at %(url)s",
            "Page %(page)s of %(pages)s",
        )
    ]
    texts += [f"{r.content}{r.recording_unit}{names.get(r.community_code, '')}" for r in records]
    items = {code: label("item", code) for code in {r.item_code for r in records}}
    texts += items.values()
    fast = common_subset(path, index, font_cache) if font_cache else None
    if fast is not None and all(ord(c) in fast[1] for c in "".join(texts) if not c.isspace()):
        path, index = fast[0], 0
    pdf.add_font("cjk", "", path, collection_font_number=index)
    # fpdf2 recomputes every kept glyph's bounds when it writes the font subset; the font's own
    # bounds are right already (and a font-wide box that is too large is harmless), so skip it:
    # half of the time of drawing a certificate.
    ttfont = getattr(pdf.fonts.get("cjk"), "ttfont", None)
    if ttfont is not None:
        ttfont.recalcBBoxes = False
    pages = max(1, math.ceil(len(records) / ROWS_PER_PAGE))
    rows = [
        [
            r.record_no,
            beijing_date(r.ended_at).isoformat(),
            f"{items[r.item_code]} · {r.content}",
            names.get(r.community_code, r.community_code),
            _hours(r.hours),
            r.recording_unit,
        ]
        for r in records
    ]
    pdf.set_font("cjk", size=9)
    heading_widths = [pdf.get_string_width(heading) for heading, _width in headings]
    issued = to_beijing(cert.issued_at).strftime("%Y-%m-%d %H:%M")
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("cjk", size=20)
        pdf.set_xy(15, 15)
        pdf.cell(180, 10, t(N_("Certificate of volunteer service records")), align="C")
        pdf.set_font("cjk", size=11)
        pdf.set_xy(15, 30)
        pdf.multi_cell(140, 6, statement, align="L")
        pdf.image(io.BytesIO(qr_png), x=163, y=26, w=32, h=32)
        pdf.set_font("cjk", size=7)
        pdf.set_xy(155, 58)
        pdf.cell(48, 4, t(N_("Scan to verify")), align="C")
        # The table as rectangles and text: fpdf2's cell() costs several times as much.
        y = 66.0
        pdf.set_font("cjk", size=9)
        pdf.set_fill_color(230, 230, 230)
        x = 15.0
        for (heading, width), heading_width in zip(headings, heading_widths, strict=True):
            pdf.rect(x, y, width, 8, style="DF")
            pdf.text(x + (width - heading_width) / 2, y + 5.2, heading)
            x += width
        y += 8
        for cells in rows[page * ROWS_PER_PAGE : (page + 1) * ROWS_PER_PAGE]:
            x = 15.0
            for (_heading, width), text in zip(headings, cells, strict=True):
                pdf.rect(x, y, width, 9)
                pdf.text(x + 1, y + 5.7, _fit(pdf, text, width - 2))
                x += width
            y += 9
        pdf.set_font("cjk", size=8)
        pdf.set_xy(15, 266)
        pdf.cell(
            180,
            5,
            t(N_("Certificate code %(code)s · issued %(at)s")) % {"code": cert.code, "at": issued},
        )
        pdf.set_xy(15, 271)
        pdf.cell(180, 5, _fit(pdf, t(N_("Verify at %(url)s")) % {"url": url}, 180))
        pdf.set_xy(15, 278)
        pdf.cell(
            180,
            5,
            t(N_("Page %(page)s of %(pages)s")) % {"page": page + 1, "pages": pages},
            align="R",
        )
    return bytes(pdf.output())


def _fit(pdf: Any, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit a table cell."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def records_workbook(session: Session, records: list[Contribution], *, words: Words) -> bytes:
    """The member's records as an Excel sheet (志愿服务记录): the national record's columns."""
    t, label = words.t, words.label
    names = region_names(session)
    headers = [
        t(N_("Record number")),
        t(N_("Volunteer")),
        t(N_("Organisation")),
        t(N_("Item")),
        t(N_("Service content")),
        t(N_("Place")),
        t(N_("Household")),
        t(N_("Start")),
        t(N_("End")),
        t(N_("Hours declared")),
        t(N_("Hours")),
        t(N_("Recording unit")),
        t(N_("Points")),
    ]
    rows = (
        [
            r.record_no,
            r.volunteer_name,
            r.organisation_name,
            label("item", r.item_code),
            r.content,
            names.get(r.community_code, r.community_code),
            r.household_label,
            r.started_at,
            r.ended_at,
            r.hours_declared if r.hours_declared is not None else "",
            r.hours,
            r.recording_unit,
            r.points,
        ]
        for r in records
    )
    return workbook([(t(N_("Service records")), headers, rows)])
