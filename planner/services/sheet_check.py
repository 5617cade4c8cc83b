"""An .xlsx checked before any reader opens it (services/sheets.py reads it after).

An upload of at most 5 MB must be read or refused within a little CPU and memory, so a
workbook is refused, with a message saying what is wrong, when:
- its zip lists too many parts, or its parts unzip (declared or actually) to more than
  MAX_UNZIPPED bytes (a shared-strings bomb: 300 kB that unzips to 300 MB);
- any XML part carries a DTD (Excel never writes one: XXE, billion laughs);
- the sheet declares, or has, a cell beyond MAX_ROWS rows or MAX_COLUMNS columns (a
  declared A1:XFD1048576 would keep a reader busy padding empty rows);
- a cell holds a formula (its value is a cache that may be stale or absent), a value
  that is not a number where no type is given, an error (#DIV/0!), a shared string that
  does not exist, or text over MAX_CELL characters.

Every XML part is streamed through expat in chunks (zipfile checks each part's size and
CRC as it goes), so nothing is held whole in memory here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from xml.parsers import expat

from ..refusal import Refused

MAX_PARTS = 500
MAX_UNZIPPED = 40 * 1024 * 1024  # bytes, every part together
MAX_COLUMNS = 64
MAX_CELL = 10_000  # characters of one cell
MAX_SHARED = 500_000  # shared strings
CHUNK = 64 * 1024
SHARED = "xl/sharedStrings.xml"
_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?\Z")

_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})\Z")


class BadWorkbook(Refused):
    """The workbook is refused before it is read: `code` and `details` make its message
    (services/sheets.py: SheetError)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code, self.details = code, details


def cell_position(ref: str) -> tuple[int, int] | None:
    """'B7' -> (7, 2); None if it is not a cell reference."""
    m = _REF.match(ref.upper())
    if m is None:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


@dataclass
class Extent:
    """The cells a sheet really has: its last row and column (1-based)."""

    rows: int = 0
    columns: int = 0


def _zip_entries(data: bytes) -> int | None:
    """The number of entries the zip's end record declares (None: no end record, or a
    ZIP64 one, which no 5 MB workbook needs)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return None
    n = int.from_bytes(data[end + 10:end + 12], "little")
    return None if n == 0xFFFF else n


def check_xlsx(data: bytes, max_rows: int) -> Extent:
    """Refuse (BadWorkbook) what is listed above; else the first worksheet's extent."""
    entries = _zip_entries(data)
    if entries is None or entries > MAX_PARTS:
        raise BadWorkbook("not_sheet")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if sum(i.file_size for i in infos) > MAX_UNZIPPED:
                raise BadWorkbook("unzipped", mb=MAX_UNZIPPED // (1024 * 1024))
            return _scan_parts(z, infos, max_rows)
    except BadWorkbook:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            OSError, EOFError, KeyError, ValueError):
        raise BadWorkbook("not_sheet") from None


def _scan_parts(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_rows: int) -> Extent:
    """Every XML part: the shared strings first (the sheets' "s" cells point into them),
    then the workbook, the sheets and the rest."""
    names = {i.filename for i in infos}
    shared = 0
    if SHARED in names:
        shared = _SharedScan().run(z.open(SHARED))
    first = first_sheet(z)
    extent = Extent()
    for info in infos:
        name = info.filename
        if name == SHARED or not name.endswith((".xml", ".rels")):
            continue
        if name.startswith("xl/worksheets/"):
            found = _SheetScan(max_rows, shared).run(z.open(info))
            extent = found if name == first else extent
        elif name not in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            _Scan().run(z.open(info))  # read by first_sheet already
    return extent


def first_sheet(z: zipfile.ZipFile) -> str:
    """The part name of the workbook's first sheet (as openpyxl opens it): the first
    <sheet> of xl/workbook.xml, through its relationship."""
    rid = _first_attr(z, "xl/workbook.xml", "sheet", "id")
    return _target(z, rid) if rid else ""


def _first_attr(z: zipfile.ZipFile, part: str, element: str, attr: str) -> str:
    found: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if not found and _local(name) == element:
            found.extend(v for k, v in attrs.items() if _local(k) == attr)

    _Scan(start).run(z.open(part))
    return found[0] if found else ""


def _target(z: zipfile.ZipFile, rid: str) -> str:
    targets: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _Scan(start).run(z.open("xl/_rels/workbook.xml.rels"))
    target = targets.get(rid, "")
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _local(name: str) -> str:
    """An element's or attribute's name without its prefix ("x:c" -> "c")."""
    return name[name.find(":") + 1:]


class _Scan:
    """One XML part through expat: a DTD anywhere is refused; `start` sees elements."""

    def __init__(self, start: Any = None) -> None:
        self.parser = expat.ParserCreate()  # names as written: "c", or "x:c" with a prefix
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._dtd
        self.parser.EntityDeclHandler = self._dtd
        self.parser.ExternalEntityRefHandler = self._external
        if start is not None:
            self.parser.StartElementHandler = start

    def _dtd(self, *_args: Any) -> None:
        raise BadWorkbook("dtd")

    def _external(self, *_args: Any) -> int:
        raise BadWorkbook("dtd")

    def run(self, stream: IO[bytes]) -> Any:
        with stream:
            while chunk := stream.read(CHUNK):
                self._feed(chunk, False)
            self._feed(b"", True)
        return self.result()

    def _feed(self, chunk: bytes, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            raise BadWorkbook("not_sheet") from None

    def result(self) -> Any:
        return None


class _SharedScan(_Scan):
    """xl/sharedStrings.xml: how many strings, none too long."""

    def __init__(self) -> None:
        super().__init__(self._start)
        self.parser.CharacterDataHandler = self._text
        self.count = 0
        self.length = 0

    def _start(self, name: str, _attrs: dict[str, str]) -> None:
        if _local(name) == "si":
            self.count += 1
            self.length = 0
            if self.count > MAX_SHARED:
                raise BadWorkbook("too_many_strings", n=MAX_SHARED)

    def _text(self, text: str) -> None:
        self.length += len(text)
        if self.length > MAX_CELL:
            raise BadWorkbook("cell_too_long", cell=f"#{self.count}", n=MAX_CELL)

    def result(self) -> int:
        return self.count


class _SheetScan(_Scan):
    """A worksheet: every cell within the limits, typed, and no formula."""

    def __init__(self, max_rows: int, shared: int) -> None:
        super().__init__(self._start)
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.max_rows, self.shared = max_rows, shared
        self.extent = Extent()
        self.row = 0
        self.col = 0
        self.ref = ""
        self.type = "n"
        self.value: list[str] | None = None  # the text of <v> or <t>, while in one

    def _within(self, row: int, col: int, ref: str) -> None:
        if row > self.max_rows + 1:
            raise BadWorkbook("too_many_rows")
        if col > MAX_COLUMNS:
            raise BadWorkbook("too_wide", cell=ref, n=MAX_COLUMNS)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name[name.find(":") + 1:]
        if local == "c":
            self._cell(attrs)
        elif local == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.col = 0
            self._within(self.row, 1, f"A{self.row}")
        elif local in ("v", "t"):
            self.value = []
        elif local == "f":
            raise BadWorkbook("formula", cell=self.ref)
        elif local == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            pos = cell_position(last)
            if pos is not None:
                self._within(*pos, last)

    def _cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r", "")
        pos = cell_position(ref) if ref else (self.row, self.col + 1)
        if pos is None:
            raise BadWorkbook("not_sheet")
        self.row, self.col = pos
        self.ref = ref or f"R{pos[0]}C{pos[1]}"
        self._within(pos[0], pos[1], self.ref)
        self.extent.rows = max(self.extent.rows, pos[0])
        self.extent.columns = max(self.extent.columns, pos[1])
        self.type = attrs.get("t", "n")

    def _text(self, text: str) -> None:
        if self.value is not None:
            self.value.append(text)
            if sum(map(len, self.value)) > MAX_CELL:
                raise BadWorkbook("cell_too_long", cell=self.ref, n=MAX_CELL)

    def _end(self, name: str) -> None:
        local = name[name.find(":") + 1:]
        if local == "v" and self.value is not None:
            value, self.value = "".join(self.value).strip(), None
            self._typed(value)
        elif local == "t":
            self.value = None

    def _typed(self, value: str) -> None:
        if not value:
            return
        if self.type == "e":
            raise BadWorkbook("error_cell", cell=self.ref, value=value[:20])
        if self.type == "s":
            if not value.isdigit() or int(value) >= self.shared:
                raise BadWorkbook("damaged_cell", cell=self.ref, value=value[:20])
        elif self.type == "d":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise BadWorkbook("damaged_cell", cell=self.ref, value=value[:20]) from None
        elif (self.type == "n" and not _NUMBER.match(value)) or (
                self.type == "b" and value not in ("0", "1")):
            raise BadWorkbook("damaged_cell", cell=self.ref, value=value[:20])

    def result(self) -> Extent:
        return self.extent
