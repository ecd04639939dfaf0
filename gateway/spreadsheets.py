"""Tables in and out of spreadsheets (XLSX with openpyxl, CSV with the csv module); pure, no I/O.

Reading gives each data row the row number a user sees in Excel and each value the column it came
from, so that an error can point at a cell. Writing neutralises text that a spreadsheet would run as
a formula, and starts CSV with a UTF-8 byte order mark so that Excel reads Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.errors import InvalidInput
from services.identity import mask_national_ids

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)
MEDIA_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv",
}
# Text starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A workbook is a zip: its parts may unpack to far more than the upload; refuse a zip bomb unopened.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Excel keeps 15 significant digits: a longer number typed into a cell has already lost digits.
MAX_EXACT_NUMBER = 10**15
# Excel on a Chinese Windows saves "CSV" in the ANSI code page, GB18030's subset GBK.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class Column:
    """One column of a table: the name of the API field it holds and its bilingual header."""

    name: str
    zh: str
    en: str
    required: bool = False

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"

    def names(self) -> set[str]:
        """The headers this column is recognised by: both languages, either alone, or the field name."""
        return {_header_key(name) for name in (self.header, self.zh, self.en, self.name)}


@dataclass(frozen=True)
class SheetRow:
    """One data row: its number in the spreadsheet, its cells as text by column name (None when
    empty), and the cells that could not be read as text."""

    number: int
    values: dict[str, str | None]
    errors: dict[str, list[str]] = field(default_factory=dict)


class SpreadsheetError(InvalidInput):
    """The file cannot be read as a table of the expected columns; nothing of it was used."""


def neutralise(value: str) -> str:
    """Text that no spreadsheet runs as a formula: a leading ``'`` where a formula could start."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def file_format_of(data: bytes, declared: str | None) -> str:
    """``xlsx`` or ``csv`` from the file's own bytes, whatever name or type it came with."""
    if data.startswith(b"PK\x03\x04"):
        return XLSX
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            "an Excel 97-2003 workbook (.xls) cannot be read", {"file": ["save it as .xlsx or .csv and upload again"]}
        )
    if declared == XLSX:
        raise SpreadsheetError("the file is not an XLSX workbook", {"file": ["not a valid .xlsx file"]})
    return CSV


def read_table(data: bytes, columns: Sequence[Column], max_rows: int, declared: str | None = None) -> list[SheetRow]:
    """The data rows of the first sheet (or the CSV), under a header row naming ``columns``.

    Headers match a column by its bilingual header, either language alone or its field name, in
    any order; blank rows are skipped. SpreadsheetError for an unreadable file, an unknown or
    missing column, or more than ``max_rows`` rows.
    """
    if not data:
        raise SpreadsheetError("the file is empty", {"file": ["empty"]})
    grid = _xlsx_rows(data) if file_format_of(data, declared) == XLSX else _csv_rows(data)
    header_number, names = _header(grid, columns)
    rows = []
    for number, cells in grid:
        if number <= header_number:
            continue
        values: dict[str, str | None] = {}
        errors: dict[str, list[str]] = {}
        for name, cell in zip(names, cells, strict=False):
            if name is None:
                continue
            try:
                values[name] = _cell_text(cell)
            except ValueError as exc:
                values[name], errors[name] = None, [str(exc)]
        if not any(values.values()) and not errors:
            continue
        if len(rows) == max_rows:
            raise SpreadsheetError(
                f"a file may hold at most {max_rows} rows", {"file": [f"more than {max_rows} data rows"]}
            )
        rows.append(SheetRow(number, {column.name: values.get(column.name) for column in columns}, errors))
    if not rows:
        raise SpreadsheetError("the file has no data rows under its header", {"file": ["no data rows"]})
    return rows


def write_table(columns: Sequence[Column], rows: Iterable[dict[str, Any]], file_format: str, title: str) -> bytes:
    """``rows`` (values by field) as an XLSX workbook or a UTF-8 CSV with a byte order mark."""
    if file_format == CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([column.header for column in columns])
        for row in rows:
            writer.writerow([_csv_value(row.get(column.name)) for column in columns])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(12, len(column.header) + 4)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(column.name)) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template(columns: Sequence[Column], title: str, example: dict[str, Any] | None = None) -> bytes:
    """An XLSX workbook with just the header row (and an example row, if given) to fill in."""
    return write_table(columns, [example] if example else [], XLSX, title)


# reading


def _xlsx_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise SpreadsheetError("the workbook unpacks to too much data", {"file": ["workbook too large"]})
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SpreadsheetError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a damaged file; all mean "unreadable"
        raise SpreadsheetError(
            "the file is not a readable XLSX workbook", {"file": ["not a valid .xlsx file"]}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [(number, tuple(cells)) for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError("the CSV file is neither UTF-8 nor GB18030 text", {"file": ["unknown text encoding"]})
    if "\x00" in text:
        raise SpreadsheetError("the file is not a CSV text file", {"file": ["not a valid .csv file"]})
    try:
        return [(number, tuple(cells)) for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1)]
    except csv.Error as exc:
        raise SpreadsheetError("the CSV file cannot be read", {"file": [str(exc)]}) from None


def _header(grid: list[tuple[int, tuple[Any, ...]]], columns: Sequence[Column]) -> tuple[int, list[str | None]]:
    """The header row's number and, cell by cell, the column name each header stands for."""
    header = next(((number, cells) for number, cells in grid if any(_cell_text(cell) for cell in cells)), None)
    if header is None:
        raise SpreadsheetError("the file is empty", {"file": ["no header row"]})
    number, cells = header
    by_header = {key: column.name for column in columns for key in column.names()}
    names: list[str | None] = []
    unknown: list[str] = []
    for cell in cells:
        text = _cell_text(cell)
        if text is None:
            names.append(None)
            continue
        name = by_header.get(_header_key(text))
        if name is None:
            unknown.append(mask_national_ids(text))
        elif name in names:
            raise SpreadsheetError(
                "a column appears twice", {"file": [f"column {mask_national_ids(text)!r} appears twice"]}
            )
        names.append(name)
    missing = [column.header for column in columns if column.required and column.name not in names]
    expected = ", ".join(column.header for column in columns)
    errors = [f"unknown column {name!r}" for name in unknown] + [f"missing column {name!r}" for name in missing]
    if errors:
        raise SpreadsheetError(f"the header row must name the columns {expected}", {"file": errors})
    return number, names


def _header_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).casefold().split()).replace("_", "")


def _cell_text(value: Any) -> str | None:
    """A cell as text, None when empty; numbers as Excel shows them, dates as ISO dates.

    ValueError for a number too long to have kept its digits (an ID number typed as a number).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if abs(value) >= MAX_EXACT_NUMBER:
            # The digits are already gone; refusing beats storing a wrong number.
            raise ValueError("a number this long loses digits in a spreadsheet; format the column as text")
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value).strip() or None


# writing


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value) if isinstance(value, str) else value


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl stores text starting with "=" as a formula; keep every text a plain string.
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        cell.data_type = "s"
        return cell
    return value
