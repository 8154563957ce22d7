"""Spreadsheets written as a stream: XLSX (ECMA-376) and ODS (OpenDocument 1.2), a chunk of rows at a time.

Each file is a zip whose one big part (the sheet) is deflated as the rows come, so a million rows are sent
while read and never sit in memory or on disk; why no library is used is in docs/exports.md. Cells are typed
from the Python value: numbers, booleans, dates and (naive, local) datetimes; text is text, never a formula.
A sheet holds at most `MAX_ROWS` rows (header included); the rows beyond go on to a next sheet.
"""

import re
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
CHUNK_ROWS = 1000
MAX_ROWS = 1_048_576
"""The rows of one sheet in Excel and LibreOffice."""
MAX_TEXT = 32_767
"""The characters of one cell in Excel."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = date(1899, 12, 30)


class _Sink:
    """An unseekable file that keeps what is written until it is taken: the zip's bytes, a chunk at a time."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _text(value: Any) -> str:
    return escape(_NOT_XML.sub("", str(value))[:MAX_TEXT])


def _sheet_name(name: str, number: int) -> str:
    return name[:31] if number == 1 else f"{name[:26]} ({number})"


async def _sheets(
    name: str, header: Sequence[str], rows: AsyncIterable[Sequence[Any]]
) -> AsyncIterator[tuple[str, list[Sequence[Any]]]]:
    """`(sheet name, rows)` in chunks, the header first on each sheet; a full sheet opens the next one."""
    number, used, pending = 1, 1, [header]
    async for row in rows:
        if used == MAX_ROWS:
            yield _sheet_name(name, number), pending
            number, used, pending = number + 1, 1, [header]
        pending.append(row)
        used += 1
        if len(pending) >= CHUNK_ROWS:
            yield _sheet_name(name, number), pending
            pending = []
    yield _sheet_name(name, number), pending


async def _zipped(
    parts: AsyncIterator[tuple[str, AsyncIterator[str]]], compression: int = zipfile.ZIP_DEFLATED
) -> AsyncIterator[bytes]:
    """Each `(part name, its text pieces)` deflated into one zip, its bytes given as soon as they are made."""
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=compression)
    async for part, pieces in parts:
        stored = part == "mimetype"
        info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED if stored else compression
        entry: IO[bytes]
        with archive.open(info, "w", force_zip64=not stored) as entry:
            async for piece in pieces:
                entry.write(piece.encode("utf-8"))
                yield sink.take()
    archive.close()
    yield sink.take()


async def _one(text: str) -> AsyncIterator[str]:
    yield text


# XLSX

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_HEADER, _DATE, _DATETIME, _MONEY = 1, 2, 3, 4
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/>'
    '<bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _serial(value: date) -> float:
    """Days since Excel's epoch (1899-12-30), the fraction being the time of day."""
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
        return (value.date() - _EPOCH).days + seconds / 86_400
    return float((value - _EPOCH).days)


def _xlsx_cell(ref: str, value: Any, money: bool) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        style = f' s="{_MONEY}"' if money else ""
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


def _xlsx_header(refs: Sequence[str], header: Sequence[str]) -> str:
    cells = "".join(
        f'<c r="{ref}1" t="inlineStr" s="{_HEADER}"><is><t>{_text(name)}</t></is></c>'
        for ref, name in zip(refs, header, strict=True)
    )
    return f'<row r="1">{cells}</row>'


async def xlsx_chunks(
    name: str, header: Sequence[str], rows: AsyncIterable[Sequence[Any]], money: Collection[int] = ()
) -> AsyncIterator[bytes]:
    """An XLSX workbook of `rows` under a bold, frozen `header`; columns in `money` show two decimals."""
    refs = [_letters(index) for index in range(len(header))]
    sheets: list[str] = []
    chunks = _sheets(name, header, rows)
    first = await anext(chunks)

    async def sheet(sheet_name: str, chunk: list[Sequence[Any]]) -> AsyncIterator[str]:
        yield (
            f'{_XML}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f"<sheetData>{_xlsx_header(refs, header)}"
        )
        number = 1
        current: tuple[str, list[Sequence[Any]]] | None = (sheet_name, chunk[1:])
        while current is not None and current[0] == sheet_name:
            pieces = []
            for row in current[1]:
                number += 1
                cells = "".join(
                    _xlsx_cell(f"{ref}{number}", value, index in money)
                    for index, (ref, value) in enumerate(zip(refs, row, strict=True))
                )
                pieces.append(f'<row r="{number}">{cells}</row>')
            yield "".join(pieces)
            current = await anext(chunks, None)
        yield "</sheetData></worksheet>"
        nonlocal first
        first = current  # type: ignore[assignment]

    async def parts() -> AsyncIterator[tuple[str, AsyncIterator[str]]]:
        while first is not None:
            sheets.append(first[0])
            yield f"xl/worksheets/sheet{len(sheets)}.xml", sheet(*first)
        listed = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{n}" r:id="rId{n}"/>' for n, title in enumerate(sheets, 1)
        )
        yield (
            "xl/workbook.xml",
            _one(f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>{listed}</sheets></workbook>'),
        )
        links = "".join(
            f'<Relationship Id="rId{n}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        styles = f'<Relationship Id="rId{len(sheets) + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        rels = f'{_XML}<Relationships xmlns="{_RELS}">{links}{styles}</Relationships>'
        yield "xl/_rels/workbook.xml.rels", _one(rels)
        yield "xl/styles.xml", _one(_STYLES)
        yield (
            "_rels/.rels",
            _one(
                f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{kinds}.worksheet+xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        yield (
            "[Content_Types].xml",
            _one(
                f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{kinds}.styles+xml"/>{overrides}</Types>'
            ),
        )

    async for data in _zipped(parts()):
        if data:
            yield data


# ODS

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"'
)
_ODS_STYLES = (
    '<office:automatic-styles><number:date-style style:name="N1"><number:year number:style="long"/>'
    '<number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text>'
    '<number:day number:style="long"/></number:date-style><number:date-style style:name="N2">'
    '<number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/>'
    '<number:text>-</number:text><number:day number:style="long"/><number:text> </number:text>'
    '<number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/>'
    '<number:text>:</number:text><number:seconds number:style="long"/></number:date-style>'
    '<number:number-style style:name="N3"><number:number number:decimal-places="2" number:min-integer-digits="1" '
    'number:grouping="true"/></number:number-style>'
    '<style:style style:name="date" style:family="table-cell" style:data-style-name="N1"/>'
    '<style:style style:name="datetime" style:family="table-cell" style:data-style-name="N2"/>'
    '<style:style style:name="money" style:family="table-cell" style:data-style-name="N3"/>'
    '<style:style style:name="header" style:family="table-cell"><style:text-properties fo:font-weight="bold"/>'
    "</style:style></office:automatic-styles>"
)


def _ods_cell(value: Any, money: bool) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        shown = "true" if value else "false"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{shown}">'
            f"<text:p>{shown.upper()}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float | Decimal):
        style = ' table:style-name="money"' if money else ""
        return f'<table:table-cell{style} office:value-type="float" office:value="{value}"/>'
    if isinstance(value, datetime):
        instant = value.replace(tzinfo=None).isoformat()
        return f'<table:table-cell table:style-name="datetime" office:value-type="date" office:date-value="{instant}"/>'
    if isinstance(value, date):
        return f'<table:table-cell table:style-name="date" office:value-type="date" office:date-value="{value}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{_text(value)}</text:p></table:table-cell>'


def _ods_settings(tables: Sequence[str]) -> str:
    """Each table's first row frozen, as LibreOffice reads it from settings.xml."""
    entries = "".join(
        f"<config:config-item-map-entry config:name={quoteattr(title)}>"
        '<config:config-item config:name="VerticalSplitMode" config:type="short">2</config:config-item>'
        '<config:config-item config:name="VerticalSplitPosition" config:type="int">1</config:config-item>'
        '<config:config-item config:name="ActiveSplitRange" config:type="short">2</config:config-item>'
        '<config:config-item config:name="PositionBottom" config:type="int">1</config:config-item>'
        "</config:config-item-map-entry>"
        for title in tables
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-settings '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.2"><office:settings>'
        '<config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed config:name="Views">'
        '<config:config-item-map-entry><config:config-item-map-named config:name="Tables">'
        f"{entries}</config:config-item-map-named></config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    )


_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{ODS_MEDIA_TYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


async def ods_chunks(
    name: str, header: Sequence[str], rows: AsyncIterable[Sequence[Any]], money: Collection[int] = ()
) -> AsyncIterator[bytes]:
    """An ODS spreadsheet of `rows` under a bold, frozen `header`; columns in `money` show two decimals."""
    tables: list[str] = []
    head = "".join(
        f'<table:table-cell table:style-name="header" office:value-type="string"><text:p>{_text(title)}</text:p>'
        "</table:table-cell>"
        for title in header
    )

    async def content() -> AsyncIterator[str]:
        yield (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS} office:version="1.2">'
            f"{_ODS_STYLES}<office:body><office:spreadsheet>"
        )
        async for table, chunk in _sheets(name, header, rows):
            pieces = []
            if not tables or tables[-1] != table:
                if tables:
                    pieces.append("</table:table>")
                tables.append(table)
                pieces.append(
                    f"<table:table table:name={quoteattr(table)}><table:table-header-rows><table:table-row>"
                    f"{head}</table:table-row></table:table-header-rows>"
                )
                chunk = chunk[1:]
            for row in chunk:
                cells = "".join(_ods_cell(value, index in money) for index, value in enumerate(row))
                pieces.append(f"<table:table-row>{cells}</table:table-row>")
            yield "".join(pieces)
        yield "</table:table></office:spreadsheet></office:body></office:document-content>"

    async def parts() -> AsyncIterator[tuple[str, AsyncIterator[str]]]:
        yield "mimetype", _one(ODS_MEDIA_TYPE)
        yield "content.xml", content()
        yield "settings.xml", _one(_ods_settings(tables))
        yield "META-INF/manifest.xml", _one(_MANIFEST)

    async for data in _zipped(parts()):
        if data:
            yield data
