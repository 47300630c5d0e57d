"""Reading a call list file: CSV in UTF-8, GBK or GB18030 (detected, or as
chosen), or Excel (.xlsx, read with openpyxl in read-only mode). Gives the
header and each row with its line in the file, as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zipfile import BadZipFile

from crm.errors import ValidationError

ENCODINGS = ("utf-8", "gbk", "gb18030")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_FILE_BYTES = 200_000_000


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line in the file, cells)
    encoding: str  # what the CSV was read as; "excel" for a workbook


def read_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """The file's header and rows; ValidationError when it cannot be read as a list."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise ValidationError(f"{path.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB; split it")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, sheet)
    if sheet:
        raise ValidationError("--sheet is for Excel workbooks; this is a CSV file")
    return _read_csv(path.read_bytes(), path.name, encoding)


def decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """(text, encoding): as chosen, else UTF-8 (with or without its BOM), else GBK, else GB18030."""
    if encoding is not None:
        chosen = encoding.lower().replace("_", "-")
        if chosen not in ENCODINGS:
            raise ValidationError(f"Unknown encoding {encoding!r}: use one of {', '.join(ENCODINGS)}")
        try:
            return data.decode("utf-8-sig" if chosen == "utf-8" else chosen), chosen
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{name} is not {chosen.upper()} text: the bytes at line {_line_of(data, exc.start)} "
                f"cannot be read so; choose another encoding ({', '.join(ENCODINGS)}) or leave it to "
                "be detected") from None
    for candidate in ENCODINGS:
        try:
            return data.decode("utf-8-sig" if candidate == "utf-8" else candidate), candidate
        except UnicodeDecodeError:
            continue
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
    raise ValidationError(f"{name} is neither UTF-8, GBK nor GB18030 text (line {line} cannot be read); "
                          "save it as UTF-8 CSV") from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _read_csv(data: bytes, name: str, encoding: str | None) -> Table:
    text, used = decode(data, name, encoding)
    if "\x00" in text:
        raise ValidationError(f"{name} holds NUL characters: it is not a CSV file (an Excel file saved "
                              "under another name?)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationError(f"{name} is empty")
        rows = list(_csv_rows(reader))
    except csv.Error as exc:
        raise ValidationError(f"{name} is not a readable CSV file at line {reader.line_num}: {exc}") from None
    return Table(_header(header, name), rows, used)


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if any(c.strip() for c in cells):
            yield start, cells


def _header(cells: list[str], name: str) -> list[str]:
    header = [c.strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise ValidationError(f"{name} has no header line naming its columns")
    seen = set()
    for i, column in enumerate(header):
        if not column:
            raise ValidationError(f"{name}: column {i + 1} of the header has no name")
        if column in seen:
            raise ValidationError(f"{name}: the column {column!r} is named twice in the header")
        seen.add(column)
    return header


def _read_excel(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ValidationError(f"{path.name} is not an Excel workbook (.xlsx) that can be read: {exc}") from None
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ValidationError(f"{path.name} has no sheet {sheet!r} (its sheets: {', '.join(workbook.sheetnames)})")
        rows = (workbook[sheet] if sheet else workbook.active).iter_rows()
        header = next(rows, None)
        if header is None:
            raise ValidationError(f"{path.name} is empty")
        table = []
        for cells in rows:
            texts = [_cell_text(c.value) for c in cells]
            if any(t.strip() for t in texts):  # a row with a value has a cell that knows its row number
                line = next(c.row for c in cells if getattr(c, "row", None) is not None)
                table.append((line, texts))
        return Table(_header([_cell_text(c.value) for c in header], path.name), table, "excel")
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A cell as text; a number stored as a number (13800138000.0) without its decimals."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
