"""Uploaded workbooks (.xlsx) opened safely: the archive is checked before openpyxl reads it.

An .xlsx is a zip of XML parts, and a few hundred KB can inflate to gigabytes (a zip bomb). Two
checks run before openpyxl sees the file:

1. The zip's central directory alone: refused when a part declares more than ``max_member_bytes``,
   all parts together more than ``max_total_bytes``, a part above 1 MB compresses better than
   ``max_ratio`` to one (real sheets compress about 10–15 to one), the archive has more than
   ``max_members`` parts, or a part is encrypted or compressed other than deflate/stored.
2. Each XML part, streamed through expat without building anything: refused when it declares a
   DTD (no entity tricks reach the parser), or holds more than openpyxl can keep in memory while
   it streams a sheet: ``max_rows`` rows in a sheet, ``max_strings`` shared strings,
   ``MAX_UNIT_ELEMENTS`` elements or ``MAX_UNIT_CHARS`` characters in one row or string,
   ``MAX_STRING_CHARS`` characters in all shared strings,
   ``MAX_OTHER_ELEMENTS`` elements or ``MAX_OTHER_CHARS`` characters elsewhere (styles, workbook,
   a sheet's merged cells or validations — parts that openpyxl loads whole).

The declared sizes cannot be lied about: ``zipfile`` stops inflating a part at the size its
central-directory entry declares and then fails its CRC-32 check (``BadZipFile``) on a part that
holds more; the scan reads every part to its end, so such a file is refused here, and it also
counts the bytes it reads against the declared size.

Every reader of an uploaded workbook (the household import, the account import) goes through
``open_workbook``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from marketplace.config import Defaults
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message

MB = 1024 * 1024
CHUNK = 64 * 1024
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
MAX_UNIT_ELEMENTS = 50_000  # elements in one row (16,384 cells and their values) or string
MAX_UNIT_CHARS = 4 * MB  # characters in one row or shared string (Excel: 32,767 per cell)
MAX_STRING_CHARS = 64 * MB  # characters of all shared strings (openpyxl holds them all)
MAX_OTHER_ELEMENTS = 200_000  # elements outside rows and strings, per part
MAX_OTHER_CHARS = 16 * MB


@dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may hold (settings ``XLSX_*`` in ``marketplace.config``)."""

    max_member_bytes: int = Defaults.XLSX_MAX_MEMBER_BYTES
    max_total_bytes: int = Defaults.XLSX_MAX_TOTAL_BYTES
    max_ratio: int = Defaults.XLSX_MAX_RATIO
    max_members: int = Defaults.XLSX_MAX_MEMBERS
    max_rows: int = Defaults.XLSX_MAX_SHEET_ROWS
    max_strings: int = Defaults.XLSX_MAX_STRINGS
    # Parts smaller than this may compress at any ratio: they cannot exhaust anything.
    ratio_floor_bytes: int = MB

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkbookLimits:
        return cls(
            max_member_bytes=int(config["XLSX_MAX_MEMBER_BYTES"]),
            max_total_bytes=int(config["XLSX_MAX_TOTAL_BYTES"]),
            max_ratio=int(config["XLSX_MAX_RATIO"]),
            max_members=int(config["XLSX_MAX_MEMBERS"]),
            max_rows=int(config["XLSX_MAX_SHEET_ROWS"]),
            max_strings=int(config["XLSX_MAX_STRINGS"]),
        )


class _Refused(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.message = Message(code, params)


def check_archive(data: bytes, limits: WorkbookLimits) -> None:
    """Refuse (``ValidationFailed`` on ``file``) a workbook that could exhaust memory or time."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_directory(members, limits)
            for member in members:
                _scan_part(archive, member, limits)
    except _Refused as exc:
        raise ValidationFailed({"file": exc.message}) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError):
        raise ValidationFailed({"file": Message("workbook.not_xlsx")}) from None


def open_workbook(data: bytes, limits: WorkbookLimits | None = None) -> Workbook:
    """The uploaded workbook, read-only (rows are streamed) and with formulas as written (not
    their cached results), after ``check_archive``. Close it when done: a read-only workbook
    keeps its archive open.

    Raises ``ValidationFailed`` on ``file`` when the archive is refused or is no workbook."""
    check_archive(data, limits or WorkbookLimits())
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types (KeyError, InvalidFileException, XML errors…)
        raise ValidationFailed({"file": Message("workbook.not_xlsx")}) from None


def _check_directory(members: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    if len(members) > limits.max_members:
        raise _Refused("workbook.too_many_parts", max=limits.max_members)
    total = 0
    for member in members:
        if member.compress_type not in _METHODS or member.flag_bits & 0x1:
            raise _Refused("workbook.not_xlsx")
        if member.file_size > limits.max_member_bytes:
            raise _Refused("workbook.too_large", mb=limits.max_member_bytes // MB)
        if (
            member.file_size > limits.ratio_floor_bytes
            and member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            raise _Refused("workbook.compression_ratio", max=limits.max_ratio)
        total += member.file_size
        if total > limits.max_total_bytes:
            raise _Refused("workbook.too_large", mb=limits.max_total_bytes // MB)


def _is_xml(head: bytes) -> bool:
    """XML text (what openpyxl would parse), as opposed to an image or other binary part."""
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.lstrip()[:1] == b"<"


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: WorkbookLimits) -> None:
    """Stream one part through expat, counting what openpyxl would hold (see the module doc)."""
    if member.is_dir():
        return
    scan = _XmlScan(limits)
    read = 0
    with archive.open(member) as part:
        head = part.read(CHUNK)
        if not _is_xml(head):
            while chunk := part.read(CHUNK):  # read to the end: the CRC is checked there
                read += len(chunk)
            return
        chunk = head
        while chunk:
            read += len(chunk)
            if read > member.file_size:  # zipfile stops at the declared size; never trust it alone
                raise _Refused("workbook.not_xlsx")
            scan.feed(chunk, final=False)
            chunk = part.read(CHUNK)
    scan.feed(b"", final=True)


class _XmlScan:
    """Counts, per XML part, the units openpyxl keeps (a sheet's rows, the shared strings) and
    what each holds; refuses a DTD. The part's kind is its root element."""

    def __init__(self, limits: WorkbookLimits) -> None:
        self.limits = limits
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.kind = ""
        self.depth = 0
        self.unit_depth = 0  # depth of the row or string being read; 0 outside one
        self.units = 0
        self.unit_elements = self.unit_chars = self.all_unit_chars = 0
        self.other_elements = self.other_chars = 0

    def feed(self, data: bytes, *, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError:
            raise _Refused("workbook.not_xlsx") from None

    def _doctype(self, *_args: Any) -> None:
        raise _Refused("workbook.not_xlsx")

    def _start(self, name: str, _attrs: Any) -> None:
        self.depth += 1
        local = name.rpartition(" ")[2]
        if self.depth == 1:
            self.kind = local
        if self.unit_depth:
            self.unit_elements += 1
            if self.unit_elements > MAX_UNIT_ELEMENTS:
                raise _Refused("workbook.too_complex")
        elif (self.kind == "worksheet" and local == "row") or (
            self.kind == "sst" and local == "si"
        ):
            self.unit_depth = self.depth
            self.unit_elements = self.unit_chars = 0
            self.units += 1
            if local == "row" and self.units > self.limits.max_rows:
                raise _Refused("workbook.too_many_rows", max=self.limits.max_rows)
            if local == "si" and self.units > self.limits.max_strings:
                raise _Refused("workbook.too_complex")
        else:
            self.other_elements += 1
            if self.other_elements > MAX_OTHER_ELEMENTS:
                raise _Refused("workbook.too_complex")

    def _end(self, _name: str) -> None:
        if self.depth == self.unit_depth:
            self.unit_depth = 0
        self.depth -= 1

    def _text(self, data: str) -> None:
        if self.unit_depth:
            self.unit_chars += len(data)
            self.all_unit_chars += len(data)
            if self.unit_chars > MAX_UNIT_CHARS or (
                self.kind == "sst" and self.all_unit_chars > MAX_STRING_CHARS
            ):
                raise _Refused("workbook.too_complex")
        else:
            self.other_chars += len(data)
            if self.other_chars > MAX_OTHER_CHARS:
                raise _Refused("workbook.too_complex")
