"""Reading an import body as it streams in: its encoding, its records, and each record's line in the file.

Spreadsheets reach us as CSV saved by Excel (UTF-8 with a BOM, or Windows-1252 from older versions, `;`
separated in French locales) and from other systems as UTF-8 CSV or JSON Lines. Nothing declares the
encoding, so it is recognised:

- a UTF-8 BOM means UTF-8; a UTF-16 BOM is refused with the advice to save as UTF-8;
- otherwise the bytes are decoded as UTF-8, strictly. If a byte is not UTF-8 while everything before it was
  ASCII (which both encodings read alike), the rest is Windows-1252; after UTF-8 text, or in Windows-1252 on
  one of the five bytes it leaves undefined, the body is refused: it decodes in no supported encoding.

A charset declared in `Content-Type` is used as declared, when it is one of the text encodings of `CHARSETS`
(by name or usual alias): any other codec Python knows (`bz2_codec`, `base64_codec`, `rot13`…) turns bytes into
something else than text, or expands a few bytes into gigabytes, and is refused (415) before the body is read.

Records are cut from the decoded text line by line, never holding more than one chunk: a CSV line whose
quotes are unbalanced continues on the next line (a quoted field with a line break), which is how each
record keeps the number of the line it starts on.
"""

import codecs
import csv
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import Any

import orjson

from app.core.errors import AppError

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SEPARATORS = (",", ";", "\t")
MAX_RECORD_LINES = 1000
"""A quoted field longer than this many lines is an unbalanced quote, not data: the file is refused."""
PIECE_BYTES = 64 * 1024


SPOOL_IN_MEMORY = 1_048_576
CELL_CHARS = 131_072
"""The longest CSV cell read (csv's default limit, set before each read: the limit is the process's, and a
library loaded beside the app may have changed it)."""


class Upload:
    """An upload read whole before the import starts — kept in memory up to a megabyte, on disk beyond — so that
    a slow client keeps no database lock (nor connection) waiting: the import's write lock is taken only once the
    file is here. A line past 4 bytes a character of the limit is refused as it arrives."""

    def __init__(self) -> None:
        self.file = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)

    @classmethod
    async def read(cls, chunks: AsyncIterator[bytes], max_line_chars: int) -> "Upload":
        upload, line, run = cls(), 1, 0
        try:
            async for chunk in chunks:
                start = 0
                while (end := chunk.find(b"\n", start)) >= 0:
                    if run + end - start > 4 * max_line_chars:
                        raise line_too_long(line, max_line_chars)
                    line, run, start = line + 1, 0, end + 1
                run += len(chunk) - start
                if run > 4 * max_line_chars:
                    raise line_too_long(line, max_line_chars)
                upload.file.write(chunk)
        except BaseException:
            upload.file.close()
            raise
        upload.file.seek(0)
        return upload

    async def chunks(self) -> AsyncIterator[bytes]:
        """The upload again, a piece at a time; the spool is closed once read."""
        try:
            while piece := self.file.read(PIECE_BYTES):
                yield piece
        finally:
            self.file.close()


class ImportFileError(AppError):
    """The body as a whole cannot be read as an import: nothing of it is loaded. The problem names the line (and
    the column) at fault when there is one."""

    status = 422
    slug = "import-file-invalid"

    def __init__(self, detail: str, *, line: int | None = None, column: str | None = None) -> None:
        super().__init__(detail)
        if line is not None:
            self.extensions = {"line": line, "column": column}


def line_too_long(number: int, limit: int) -> "ImportFileError":
    return ImportFileError(
        f"Line {number} is longer than {limit} characters: is this a CSV or JSON Lines file, with a line break "
        "after each row?",
        line=number,
    )


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"


CHARSETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "utf-8": ("utf-8-sig", ("utf8", "unicode11utf8", "unicode20utf8", "xunicode20utf8")),
    "utf-8-sig": ("utf-8-sig", ("utf8sig",)),
    "windows-1252": ("cp1252", ("windows1252", "cp1252", "xcp1252")),
    "iso-8859-1": (
        "latin-1",
        ("iso88591", "iso885911987", "latin1", "l1", "isoir100", "cp819", "ibm819", "csisolatin1"),
    ),
    "iso-8859-15": ("iso8859-15", ("iso885915", "latin9", "l9", "csisolatin9")),
    "us-ascii": ("ascii", ("usascii", "ascii", "ansix341968", "iso646us", "csascii", "us")),
}
"""The charsets an import may declare: name → (Python codec, aliases compared without case or punctuation).

A declared `utf-8` is read as `utf-8-sig`, so that a BOM Excel wrote is not taken for the first column's name.
"""
_NAMES = {alias: name for name, (_, aliases) in CHARSETS.items() for alias in aliases}


def charset_name(declared: str) -> str:
    """The name in `CHARSETS` of a declared charset; 415 naming the accepted ones when it is none of them."""
    name = _NAMES.get(re.sub(r"[^0-9a-z]", "", declared.lower()))
    if name is None:
        error = UnsupportedMediaType(
            f"The charset '{declared[:100]}' is not accepted: declare one of {', '.join(CHARSETS)}, or none (UTF-8 "
            "and Windows-1252 are then recognised)."
        )
        error.extensions = {"accepted_charsets": list(CHARSETS)}
        raise error
    return name


@dataclass(frozen=True)
class Record:
    """One row of the file: the line it starts on (the header is line 1) and its values.

    CSV values are a list of cells in the header's order; a JSON line is its object, or an error message when
    the line is not one.
    """

    line: int
    cells: list[str] | None = None
    values: dict[str, Any] | None = None
    error: str | None = None


class Decoder:
    """Incremental decoding with the recognition described in the module docstring."""

    def __init__(self, declared: str | None) -> None:
        self.offset = 0
        self._started = False
        self._ascii_so_far = True
        self._declared = declared is not None
        self.encoding = "utf-8"
        self._decoder: codecs.IncrementalDecoder | None = None
        self._head = b""
        if declared is not None:
            self.encoding = charset_name(declared)
            self._decoder = codecs.getincrementaldecoder(CHARSETS[self.encoding][0])(errors="strict")

    def feed(self, data: bytes, final: bool = False) -> str:
        if not self._started:
            self._head += data
            if len(self._head) < 3 and not final:
                return ""
            data, self._head = self._head, b""
            self._started = True
            if self._decoder is None:
                data = self._recognise(data)
        return self._decode(data, final)

    def _recognise(self, data: bytes) -> bytes:
        if data.startswith(UTF16_BOMS):
            raise ImportFileError("The body is UTF-16: save the file as CSV UTF-8 (or Windows-1252) instead.")
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        if data.startswith(BOM):
            self.offset = len(BOM)
            self._ascii_so_far = False
            return data[len(BOM) :]
        return data

    def _decode(self, data: bytes, final: bool) -> str:
        assert self._decoder is not None
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            recognising_utf8 = not self._declared and self.encoding == "utf-8"
            if recognising_utf8 and self._ascii_so_far and data[: exc.start].isascii():
                # Nothing but ASCII so far: the two encodings agree on it, and this byte says Windows-1252.
                self.encoding = "windows-1252"
                self._decoder = codecs.getincrementaldecoder("cp1252")(errors="strict")
                return self._decode(data, final)
            position = self.offset + exc.start
            raise ImportFileError(
                f"The body decodes in no supported encoding: byte 0x{exc.object[exc.start]:02x} at offset "
                f"{position} is not {'UTF-8 although the text before it is' if recognising_utf8 else self.encoding}"
                ". Save the file as CSV UTF-8, or Windows-1252, and load it again."
            ) from None
        self.offset += len(data)
        if self._ascii_so_far and not data.isascii():
            self._ascii_so_far = False
        return text


class Lines:
    """Complete lines from decoded chunks, numbered from 1; the last partial line waits for the next chunk.

    A line longer than `limit` characters refuses the file as soon as it is seen, so a body without line breaks
    is never held whole; the pieces of a line are joined once it is complete (no growing concatenation).
    """

    def __init__(self, limit: int) -> None:
        self.number = 0
        self.limit = limit
        self._pending: list[str] = []
        self._pending_size = 0

    def feed(self, text: str) -> list[tuple[int, str]]:
        parts = text.split("\n")
        last = parts.pop()
        if parts:
            parts[0] = "".join([*self._pending, parts[0]])
            self._pending, self._pending_size = [], 0
        numbered = self._numbered(parts)
        for number, line in numbered:
            self._check(number, len(line))
        if last:
            self._pending.append(last)
            self._pending_size += len(last)
            self._check(self.number + 1, self._pending_size)
        return numbered

    def finish(self) -> list[tuple[int, str]]:
        rest = "".join(self._pending)
        self._pending, self._pending_size = [], 0
        return self._numbered([rest]) if rest else []

    def _check(self, number: int, size: int) -> None:
        if size > self.limit:
            raise line_too_long(number, self.limit)

    def _numbered(self, parts: list[str]) -> list[tuple[int, str]]:
        start = self.number
        self.number += len(parts)
        return [(start + i, part) for i, part in enumerate(parts, start=1)]


def sniff_separator(header: str) -> str:
    """The separator the header uses most: field names contain none of them."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


class CsvRecords:
    """Cuts numbered lines into CSV records (a quoted field may span lines) and parses them with `csv`.

    A record is bounded like a line (`limit` characters, line breaks included) and by `MAX_RECORD_LINES`; a cell
    `csv` cannot read (longer than its field size limit, or holding a bare CR outside quotes) refuses the file,
    naming its line and column.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.separator: str | None = None
        self.header: list[str] | None = None
        self._start = 0
        self._parts: list[str] = []
        self._size = 0
        self._quotes = 0

    def feed(self, lines: list[tuple[int, str]]) -> list[Record]:
        complete: list[tuple[int, str]] = []
        for number, line in lines:
            if not self._parts:
                self._start = number
            self._parts.append(line)
            self._size += len(line) + 1
            self._quotes += line.count('"')
            if self._quotes % 2 == 0:
                complete.append((self._start, "\n".join(self._parts)))
                self._parts, self._size, self._quotes = [], 0, 0
            elif len(self._parts) > MAX_RECORD_LINES:
                raise ImportFileError(f"Line {self._start} opens a quoted field that never closes.", line=self._start)
            elif self._size > self.limit:
                raise ImportFileError(
                    f"The record starting on line {self._start} is longer than {self.limit} characters (a quoted "
                    "field left open?).",
                    line=self._start,
                )
        return self._parse(complete)

    def finish(self) -> list[Record]:
        if self._parts:
            raise ImportFileError(f"Line {self._start} opens a quoted field that never closes.", line=self._start)
        return []

    def _parse(self, complete: list[tuple[int, str]]) -> list[Record]:
        if not complete:
            return []
        if self.separator is None:
            self.separator = sniff_separator(complete[0][1])
        csv.field_size_limit(CELL_CHARS)
        rows = csv.reader([text for _, text in complete], delimiter=self.separator)
        records = []
        for line, text in complete:
            try:
                cells = next(rows)
            except csv.Error:
                raise self._unreadable(line, text) from None
            if self.header is None:
                self.header = cells
            elif text.strip(self.separator + " \t\r"):
                records.append(Record(line=line, cells=cells))
        return records

    def _unreadable(self, line: int, text: str) -> ImportFileError:
        """The error for a record `csv` refused, naming the cell at fault and why."""
        assert self.separator is not None
        index, fault = _refused_cell(text, self.separator, CELL_CHARS)
        name = self.header[index].strip() if self.header is not None and index < len(self.header) else ""
        where = f"Line {line}, column '{name}'" if name else f"Line {line}, cell {index + 1}"
        reasons = {
            "long": f"a cell longer than {CELL_CHARS} characters.",
            "\r": "a carriage return (CR) inside a cell that is not quoted; quote the cell, or save the file with "
            "Windows (CRLF) or Unix (LF) line endings.",
            "\n": "a quote inside a cell that does not start with one; quote the whole cell and double the quotes "
            'inside it ("").',
            "": "a cell the CSV reader cannot read; check its quotes.",
        }
        return ImportFileError(f"{where}: {reasons[fault]}", line=line, column=name or None)


def _refused_cell(text: str, separator: str, limit: int) -> tuple[int, str]:
    r"""Where `csv` stops reading a record, by its rules (a quote opens a quoted cell only at the cell's start,
    `""` is a quote inside one): the index of the first cell longer than `limit` (`long`), or holding a CR alone
    outside quotes (`\r`), or of the cell whose stray quote made the record span lines (`\n`); `""` when none
    is found. Walked in Python: only a refused record takes this path."""
    index = length = position = 0
    quoted, starting = False, True
    stray: int | None = None
    while position < len(text):
        char = text[position]
        position += 1
        if quoted:
            if char == '"' and text[position : position + 1] == '"':
                position += 1
            elif char == '"':
                quoted = False
                continue
        elif char == '"' and starting:
            quoted, starting = True, False
            continue
        elif char == separator:
            index, length, starting = index + 1, 0, True
            continue
        elif char in "\r\n" and text[position:].strip("\r\n"):
            if char == "\n" or text[position : position + 1] == "\n":
                return (index if stray is None else stray), "\n"
            return index, "\r"
        elif char == '"' and stray is None:
            stray = index
        starting = False
        length += 1
        if length > limit:
            return index, "long"
    return index, ""


def jsonl_records(lines: list[tuple[int, str]]) -> list[Record]:
    """One object per non-blank line; a line that is not a JSON object is reported, not fatal."""
    records = []
    for line, text in lines:
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            records.append(Record(line=line, error=f"not valid JSON: {exc.args[0]}"))
            continue
        if not isinstance(value, dict):
            records.append(Record(line=line, error=f"a JSON line must be an object, not {type(value).__name__}"))
        else:
            records.append(Record(line=line, values=value))
    return records


class BodyReader:
    """The body's records in file order; for CSV, `header` is set before the first record is yielded.

    A chunk is read `PIECE_BYTES` at a time, so that however large the chunks a client or server hands over, a
    line over `max_line_chars` is refused after reading little more than it.
    """

    def __init__(self, *, jsonl: bool, charset: str | None, max_line_chars: int) -> None:
        self.jsonl = jsonl
        self._decoder = Decoder(charset)
        self._lines = Lines(max_line_chars)
        self._csv = None if jsonl else CsvRecords(max_line_chars)

    @property
    def header(self) -> list[str] | None:
        return None if self._csv is None else self._csv.header

    def _cut(self, numbered: list[tuple[int, str]]) -> list[Record]:
        return jsonl_records(numbered) if self._csv is None else self._csv.feed(numbered)

    async def records(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[Record]:
        received = False
        async for chunk in chunks:
            for start in range(0, len(chunk), PIECE_BYTES):
                received = True
                for record in self._cut(self._lines.feed(self._decoder.feed(chunk[start : start + PIECE_BYTES]))):
                    yield record
        if not received:
            raise ImportFileError("The body is empty: send a CSV file with a header line, or JSON Lines.")
        tail = self._cut(self._lines.feed(self._decoder.feed(b"", final=True)) + self._lines.finish())
        if self._csv is not None:
            tail += self._csv.finish()
        for record in tail:
            yield record
