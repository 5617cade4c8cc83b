"""Excel (.xlsx, openpyxl) and CSV (UTF-8 with BOM) in and out.

Out: a table is columns (a header in the user's language and a kind: text, money, count,
percent, date) and rows of plain values; money goes out in yuan with two decimals as a
real number, counts as integers, shares as fractions formatted as percentages; the header
row is frozen.

In: a file is refused unless it really is an .xlsx (a zip holding an Excel workbook) or
a text CSV (UTF-8, with or without BOM, or GB18030 as Excel on a Chinese Windows writes
it), and at most 5 MB. Rows come back as dicts keyed by the column's canonical key,
whichever language the headers were in. Every import reads through `read_rows`, which
refuses a hostile or broken file with a message saying what is wrong, within a little
CPU and memory: an .xlsx is checked part by part before openpyxl opens it
(services/sheet_check.py: unzipped sizes, DTDs, the declared and real extent, formulas,
untyped values, cell lengths), and then read only as far as its real last row and
column; a CSV is read strictly (an unclosed quote is refused), with limits on rows,
columns and cell length.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..i18n import gettext
from ..refusal import Refused
from .sheet_check import MAX_CELL, MAX_COLUMNS, BadWorkbook, check_xlsx

_ = gettext  # translated in a request, plain English without one (planner.i18n)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

FORMATS = {"money": "#,##0.00", "count": "#,##0", "percent": "0.0%", "date": "yyyy-mm-dd",
           "number": "#,##0.##", "text": "@"}


@dataclass
class Column:
    key: str
    header: str
    kind: str = "text"  # text | money (fen in, yuan out) | count | percent | date | number


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "money":
        return Decimal(int(value)) / 100
    if kind == "percent":
        return float(value)
    return value


# A text cell beginning with one of these is read as a formula by spreadsheets (OWASP,
# "CSV injection"): a name typed into the app could run as =HYPERLINK(...) in an export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """Text that a spreadsheet would take for a formula. Every export checks every text
    cell with it: .xlsx writes such a cell as a string, CSV prefixes it with '."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _string_cell(ws: Any, value: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would make "=..." a formula
    return cell


def to_xlsx(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """A workbook written in openpyxl's streaming (write-only) mode: real numbers with
    number formats, a bold frozen header row; text is only ever text (formula_like)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet((title or "Sheet")[:31])
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns):
        letter = _letter(i + 1)
        ws.column_dimensions[letter].width = max(10, min(40, len(c.header) * 2 + 2))
    bold = Font(bold=True)
    head = []
    for c in columns:
        cell = _string_cell(ws, c.header) if formula_like(c.header) else WriteOnlyCell(
            ws, value=c.header)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    # One styled cell per column, its value replaced row by row: a write-only sheet
    # writes each row out when it is appended, so the cells (and their style lookups)
    # are made once, not once per value.
    templates: list[Any] = []
    for c in columns:
        if c.kind == "text":
            templates.append(None)
        else:
            cell = WriteOnlyCell(ws, value=0)
            cell.number_format = FORMATS[c.kind]
            templates.append(cell)
    for row in rows:
        out: list[Any] = []
        for v, c, cell in zip(row, columns, templates, strict=True):
            value = _cell(v, c.kind)
            if formula_like(value):
                out.append(_string_cell(ws, value))
            elif cell is None or value is None:
                out.append(value)
            else:
                cell.value = value
                out.append(cell)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(n))


def csv_text(value: str) -> str:
    """A text cell for CSV: formula-like text gets a leading ' (OWASP)."""
    return "'" + value if formula_like(value) else value


def csv_unescaped(value: str) -> str:
    """Text that csv_text escaped, as it was (an export read back by an import)."""
    return value[1:] if value.startswith("'") and formula_like(value[1:]) else value


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        fen = int(value)
        sign = "-" if fen < 0 else ""
        return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_text(c.header) for c in columns])
    for row in rows:
        w.writerow([_csv_value(v, c.kind) for v, c in zip(row, columns, strict=True)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export(fmt: str, title: str, columns: Sequence[Column],
           rows: Iterable[Sequence[Any]]) -> bytes:
    return to_xlsx(title, columns, rows) if fmt == "xlsx" else to_csv(columns, rows)


# ------------------------------------------------------------------ reading


def sheet_error_message(code: str, **d: Any) -> str:
    messages = {
        "too_large": lambda: _("The file is larger than 5 MB; split it and import the parts."),
        "empty": lambda: _("The file is empty."),
        "not_sheet": lambda: _("This is not an Excel (.xlsx) or CSV file."),
        "too_many_rows": lambda: _("The file has too many rows (at most 50,000)."),
        "no_header": lambda: _("The first row must hold the column headers."),
        "utf16": lambda: _("This CSV is saved as UTF-16 (Unicode text); save it as "
                           "\"CSV UTF-8\" and import it again."),
        "csv_field": lambda: _("Line %(line)s of the CSV has a cell that is too long (at "
                               "most %(n)s characters).", **d),
        "csv_quote": lambda: _("Line %(line)s of the CSV cannot be read: a quote (\") is "
                               "not closed, or text follows a closing quote.", **d),
        "too_wide": lambda: _("The sheet reaches cell %(cell)s: at most %(n)s columns.", **d),
        "unzipped": lambda: _("The workbook is too large once unzipped (at most %(mb)s MB); "
                              "split it and import the parts.", **d),
        "dtd": lambda: _("The workbook holds XML declarations (a DTD) that Excel never "
                         "writes; it is refused for safety. Save it again from Excel."),
        "formula": lambda: _("Cell %(cell)s has a formula; save the sheet with values only "
                             "(copy, then paste as values) and import it again.", **d),
        "damaged_cell": lambda: _("Cell %(cell)s is damaged: it holds \"%(value)s\" where "
                                  "its type says otherwise. Save the file again from Excel.",
                                  **d),
        "error_cell": lambda: _("Cell %(cell)s has an error (%(value)s); correct it and "
                                "import the file again.", **d),
        "cell_too_long": lambda: _("Cell %(cell)s is too long (at most %(n)s characters).",
                                   **d),
        "too_many_strings": lambda: _("The workbook holds too many different texts (at most "
                                      "%(n)s); split it and import the parts.", **d),
    }
    say = messages.get(code)
    return say() if say is not None else _("The file cannot be read.")


class SheetError(Refused, ValueError):
    """The file as a whole cannot be read (too large, not xlsx/csv, no header, hostile
    or damaged): `code` says which (the keys of sheet_error_message), `message` says it
    for the person, with the cell or line at fault."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(sheet_error_message(code, **details))
        self.code = code


def sniff(data: bytes, filename: str) -> str:
    """'xlsx' or 'csv' by content (not by name); SheetError otherwise."""
    if len(data) > MAX_BYTES:
        raise SheetError("too_large")
    if not data:
        raise SheetError("empty")
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            raise SheetError("not_sheet") from None
        if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
            return "xlsx"
        raise SheetError("not_sheet")
    head = data[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:200:2].count(b"\x00") > 50:
        raise SheetError("utf16")
    if b"\x00" in head:
        raise SheetError("not_sheet")
    try:
        _decode(data)
    except UnicodeDecodeError:
        raise SheetError("not_sheet") from None
    return "csv"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(data: bytes, kind: str) -> list[list[Any]]:
    """Every row of the first sheet (xlsx) or of the CSV, header first, as cell values
    (xlsx numbers stay numbers; CSV cells are text). SheetError for a file that cannot
    be read, saying what is wrong with it."""
    if kind == "xlsx":
        return _read_xlsx(data)
    return _read_csv(_decode(data))


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        extent = check_xlsx(data, MAX_ROWS)
    except BadWorkbook as bad:
        raise SheetError(bad.code, **bad.details) from None
    if not extent.rows:
        raise SheetError("empty")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # the checked extent, not what the file declares
        out = [list(row) for row in ws.iter_rows(
            min_row=1, max_row=extent.rows, max_col=extent.columns, values_only=True)]
        wb.close()
    except Exception:  # what the check did not foresee: say the file is broken, never 500
        raise SheetError("not_sheet") from None
    return out


def _read_csv(text: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise SheetError("too_many_rows")
            if len(row) > MAX_COLUMNS:
                raise SheetError("too_wide", cell=f"{_letter(MAX_COLUMNS + 1)}{len(rows) + 1}",
                                 n=MAX_COLUMNS)
            if any(len(cell) > MAX_CELL for cell in row):
                raise SheetError("csv_field", line=reader.line_num, n=MAX_CELL)
            rows.append(row)
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise SheetError("csv_field", line=reader.line_num, n=MAX_CELL) from None
        raise SheetError("csv_quote", line=reader.line_num) from None
    return rows


def _norm(h: Any) -> str:
    return "".join(str(h or "").split()).lower().replace("_", "")


def map_header(header: Sequence[Any], aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """{key: column index} for the columns whose header is one of the key's aliases (zh
    or en, any case and spacing)."""
    lookup = {_norm(a): key for key, names in aliases.items() for a in (key, *names)}
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        key = lookup.get(_norm(h))
        if key is not None and key not in out:
            out[key] = i
    return out


def text(value: Any) -> str:
    """A cell as trimmed text (whole floats from Excel without the .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
