"""Ten hostile import files (issue 23): each a (name, filename, bytes) that every import
must refuse with a message that says what is wrong, quickly and in little memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = ('<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>value</t></is></c></row>')


def sheet(rows: str, dimension: str = "A1:B2", prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<worksheet {MAIN}><dimension ref="{dimension}"/>'
            f"<sheetData>{HEAD}{rows}</sheetData></worksheet>")


def shared(strings: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<sst {MAIN} count="1" uniqueCount="1">{strings}</sst>')


def xlsx(sheet_xml: str | bytes, shared_xml: str | bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        z.writestr("xl/sharedStrings.xml",
                   shared_xml if shared_xml is not None else shared("<si><t>x</t></si>"))
    return buf.getvalue()


def _string_bomb() -> bytes:
    """Shared strings that unzip to 300 MB (a 300 kB file)."""
    one = b"<si><t>" + b"A" * 100_000 + b"</t></si>"
    body = one * 3_000
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           + f'<sst {MAIN} count="3000" uniqueCount="3000">'.encode() + body + b"</sst>")
    return xlsx(sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), xml)


def _laughs() -> str:
    """Entities nine levels deep, ten of the level below each: 10**9 "lol"s."""
    entities = ['<!ENTITY lol "lol">', f'<!ENTITY lol1 "{"&lol;" * 10}">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(2, 10)]
    return f"<!DOCTYPE lolz [{''.join(entities)}]>"


LAUGHS = _laughs()
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

HOSTILE: dict[str, tuple[str, Callable[[], bytes]]] = {
    "oversized field": ("big.csv", lambda: b"name,value\r\nx," + b"9" * 200_000 + b"\r\n"),
    "unterminated quote": ("quote.csv",
                           lambda: b'name,value\r\n"Acme,1\r\nBeta,2\r\n' + b"Gamma,3\r\n" * 9),
    "untyped cell": ("untyped.xlsx",
                     lambda: xlsx(sheet('<row r="2"><c r="A2"><v>abc</v></c></row>'))),
    "formula cell": ("formula.xlsx",
                     lambda: xlsx(sheet('<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>'
                                        '<c r="B2"><f>A2*2</f></c></row>'))),
    "huge dimension": ("dimension.xlsx", lambda: xlsx(sheet(
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        dimension="A1:XFD1048576"))),
    "shared-strings bomb": ("bomb.xlsx", _string_bomb),
    "XXE": ("xxe.xlsx", lambda: xlsx(sheet('<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;'
                                           "</t></is></c></row>", prolog=XXE))),
    "billion laughs": ("laughs.xlsx", lambda: xlsx(
        sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'),
        shared("<si><t>&lol9;</t></si>", prolog=LAUGHS))),
    "PNG named .xlsx": ("picture.xlsx", lambda: PNG),
    "UTF-16 CSV": ("utf16.csv", lambda: "name,value\r\nAcme,1\r\n".encode("utf-16")),
}
