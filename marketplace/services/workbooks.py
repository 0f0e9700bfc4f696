"""Uploaded workbooks (.xlsx) opened safely: the archive is checked before any XML is parsed.

An .xlsx is a zip of XML parts, and a few hundred KB can inflate to gigabytes (a zip bomb). Before
openpyxl sees the file, ``check_archive`` reads the zip's central directory alone and refuses the
file when a part declares more than ``max_member_bytes``, when all parts together declare more than
``max_total_bytes``, when a large part compresses better than ``max_ratio`` to one (real sheets
compress about 10–15 to one), or when the archive has too many parts or uses anything but
deflate/stored compression or encryption.

The declared sizes cannot be lied about: ``zipfile`` stops inflating a part at the size its
central-directory entry declares, and the CRC-32 check then fails with ``BadZipFile`` on a part
that holds more; so the figures checked here bound what the parser can ever read.

Every reader of an uploaded workbook (the household import, the account import) goes through
``open_workbook``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from marketplace.config import Defaults
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message

MB = 1024 * 1024
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


@dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may inflate to (settings ``XLSX_*`` in ``marketplace.config``)."""

    max_member_bytes: int = Defaults.XLSX_MAX_MEMBER_BYTES
    max_total_bytes: int = Defaults.XLSX_MAX_TOTAL_BYTES
    max_ratio: int = Defaults.XLSX_MAX_RATIO
    max_members: int = Defaults.XLSX_MAX_MEMBERS
    # Parts smaller than this may compress at any ratio: they cannot exhaust anything.
    ratio_floor_bytes: int = MB

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkbookLimits:
        return cls(
            max_member_bytes=int(config["XLSX_MAX_MEMBER_BYTES"]),
            max_total_bytes=int(config["XLSX_MAX_TOTAL_BYTES"]),
            max_ratio=int(config["XLSX_MAX_RATIO"]),
            max_members=int(config["XLSX_MAX_MEMBERS"]),
        )


def _refuse(code: str, **params: Any) -> ValidationFailed:
    return ValidationFailed({"file": Message(code, params)})


def check_archive(data: bytes, limits: WorkbookLimits) -> None:
    """Refuse (``ValidationFailed`` on ``file``) an archive that could exhaust memory or time.

    Reads only the central directory; nothing is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse("workbook.not_xlsx") from None
    if len(members) > limits.max_members:
        raise _refuse("workbook.too_many_parts", max=limits.max_members)
    total = 0
    for member in members:
        if member.compress_type not in _METHODS or member.flag_bits & 0x1:
            raise _refuse("workbook.not_xlsx")
        if member.file_size > limits.max_member_bytes:
            raise _refuse("workbook.too_large", mb=limits.max_member_bytes // MB)
        if (
            member.file_size > limits.ratio_floor_bytes
            and member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            raise _refuse("workbook.compression_ratio", max=limits.max_ratio)
        total += member.file_size
        if total > limits.max_total_bytes:
            raise _refuse("workbook.too_large", mb=limits.max_total_bytes // MB)


def open_workbook(data: bytes, limits: WorkbookLimits | None = None) -> Workbook:
    """The uploaded workbook, read-only (rows are streamed) and with formulas as written (not
    their cached results), after ``check_archive``. Close it when done: a read-only workbook
    keeps its archive open.

    Raises ``ValidationFailed`` on ``file`` when the archive is refused or is no workbook."""
    check_archive(data, limits or WorkbookLimits())
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types (KeyError, InvalidFileException, XML errors…)
        raise _refuse("workbook.not_xlsx") from None
