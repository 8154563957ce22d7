"""`lab-registry import`: a CSV or JSON Lines file loaded into the database, or sent to a remote instance.

Both ways stream the file in chunks under a progress bar (bytes, and rows approximated by line breaks) and end
with the report the HTTP route answers, printed as tables. On request the rejected rows are copied back into a
file of the input's format with a `reason` column, to be corrected and loaded again; the input is then read a
second time as a stream, keeping only the rejected line numbers and their reasons in memory. A local import
then has every error reported; a server lists the first `MAX_REPORTED_ERRORS`, and the file holds their rows.
"""

import asyncio
import csv
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from itertools import chain
from pathlib import Path
from typing import Any

import httpx2
import orjson
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import AppError, problem_type
from app.imports.reading import BOM, sniff_separator
from app.imports.schemas import MAX_REPORTED_ERRORS, ImportReport, ImportResource, RowProblem
from app.imports.service import ImportRejected, import_body

CHUNK_BYTES = 256 * 1024
PRINTED_ERRORS = 20
MEDIA_TYPES = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".ndjson": "application/x-ndjson"}
IMPORTS_PATH = "/api/v1/imports"
USAGE_STATUSES = frozenset({400, 401, 403, 404})
"""Answers that mean the options do not fit the server (its address, the key), not that the file was refused."""
TIMEOUT = httpx2.Timeout(300.0, connect=10.0)
"""The server reads the body as it imports it and answers once the last batch is written: be patient."""


class ExitCode(IntEnum):
    loaded = 0
    rejected = 1
    usage = 2


class ImportUsageError(Exception):
    """The options name no import that can run (exit 2): nothing was read or sent."""


@dataclass(frozen=True)
class ImportJob:
    """One run of the command, its options checked."""

    path: Path
    resource: ImportResource
    media_type: str
    dry_run: bool
    atomic: bool
    url: str | None = None
    token: str | None = None
    rejects: Path | None = None

    @property
    def jsonl(self) -> bool:
        return self.media_type != MEDIA_TYPES[".csv"]

    @classmethod
    def from_options(
        cls,
        path: Path,
        resource: str,
        *,
        url: str | None,
        token: str | None,
        dry_run: bool,
        atomic: bool,
        rejects: Path | None,
    ) -> "ImportJob":
        """Check the options before anything is read, so that a usage error never leaves half a job done."""
        try:
            chosen = ImportResource(resource)
        except ValueError:
            raise ImportUsageError(
                f"Unknown resource '{resource}': choose among {', '.join(ImportResource)}."
            ) from None
        media_type = MEDIA_TYPES.get(path.suffix.lower())
        if media_type is None:
            raise ImportUsageError(
                f"Cannot tell the format of '{path.name}': name it .csv, or .jsonl / .ndjson for JSON Lines."
            )
        if not path.is_file():
            raise ImportUsageError(f"No file at {path}.")
        if (url is None) != (token is None):
            raise ImportUsageError("--url and --token go together: a remote import needs an API key (write scope).")
        if url is not None and not url.startswith(("http://", "https://")):
            raise ImportUsageError(f"--url is the instance's base address (https://…), not '{url}'.")
        if rejects is not None:
            if rejects.resolve() == path.resolve():
                raise ImportUsageError("--rejects must name another file than the one imported.")
            if not rejects.parent.is_dir():
                raise ImportUsageError(f"No folder {rejects.parent} to write the rejected rows to.")
        base_url = None if url is None else url.rstrip("/")
        return cls(path, chosen, media_type, dry_run, atomic, base_url, token, rejects)


@dataclass(frozen=True)
class Outcome:
    """What came back: the report when there is one, and why the import was refused when it was."""

    report: ImportReport | None
    refusal: str | None = None
    usage: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if self.usage:
            return ExitCode.usage
        if self.refusal is not None or (self.report is not None and self.report.rejected):
            return ExitCode.rejected
        return ExitCode.loaded


def run_import(job: ImportJob, settings: Settings, console: Console) -> int:
    """Run the import, print its report, write the rejected rows if asked; returns the exit status."""
    outcome = asyncio.run(_remote(job) if job.url is not None else _local(job, settings))
    report = outcome.report
    if report is not None:
        print_report(console, report)
        if job.rejects is not None:
            count = write_rejects(job.path, job.rejects, jsonl=job.jsonl, errors=report.errors)
            console.print(Text(f"Wrote {count} rejected row(s) to {job.rejects}."))
            if report.errors_truncated:
                console.print(
                    Text(
                        f"The server listed the first {len(report.errors)} of {report.error_count} errors: the "
                        f"other rejected rows are not in {job.rejects}. Load the corrected rows again, or import "
                        "the file straight into the database (without --url) to have them all.",
                        style="yellow",
                    )
                )
    if outcome.refusal is not None:
        console.print(Text(outcome.refusal, style="red"))
    elif report is not None and report.rejected:
        console.print(
            Text(
                f"{report.rejected} of {report.read} rows rejected; the others "
                f"{'would be' if report.dry_run else 'were'} loaded.",
                style="yellow",
            )
        )
    elif report is not None:
        done = "would load (dry run: nothing was written)" if report.dry_run else "loaded"
        console.print(Text(f"All {report.read} rows {done}.", style="green"))
    return int(outcome.exit_code)


def _progress() -> Progress:
    """On stderr, and only on a terminal: the report on stdout stays clean when it is piped or captured."""
    errors = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("≈ {task.fields[rows]} rows"),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
    )


async def _chunks(path: Path, size: int, advance: Callable[[int, int], None]) -> AsyncIterator[bytes]:
    """The file's first `size` bytes (its size when the import began, as announced) a chunk at a time."""
    remaining = size
    with path.open("rb") as file:
        while remaining > 0 and (chunk := file.read(min(CHUNK_BYTES, remaining))):
            remaining -= len(chunk)
            advance(len(chunk), chunk.count(b"\n"))
            yield chunk


def _advancer(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    lines = 0

    def advance(read: int, newlines: int) -> None:
        nonlocal lines
        lines += newlines
        progress.update(task, advance=read, rows=lines)

    return advance


async def _local(job: ImportJob, settings: Settings) -> Outcome:
    """Import in one transaction of this process, as the route does in the server's (rolled back on refusal)."""
    size = job.path.stat().st_size
    with _progress() as progress:
        task = progress.add_task(f"Importing {job.path.name}", total=size, rows=0)
        try:
            async with session_scope(settings) as session:
                report = await import_body(
                    session,
                    job.resource,
                    _chunks(job.path, size, _advancer(progress, task)),
                    jsonl=job.jsonl,
                    charset=None,
                    dry_run=job.dry_run,
                    atomic=job.atomic,
                    max_line_chars=settings.max_import_line_chars,
                    max_errors=None if job.rejects is not None else MAX_REPORTED_ERRORS,
                )
        except ImportRejected as exc:
            return Outcome(ImportReport.model_validate(exc.extensions), exc.detail)
        except AppError as exc:
            return Outcome(None, exc.detail)
    return Outcome(report)


async def _remote(job: ImportJob) -> Outcome:
    """Stream the file to the instance's import route; its Content-Length lets it refuse a file too large at once."""
    assert job.url is not None
    assert job.token is not None
    size = job.path.stat().st_size
    headers = {"Authorization": f"Bearer {job.token}", "Content-Type": job.media_type, "Content-Length": str(size)}
    params = {"dry_run": str(job.dry_run).lower(), "atomic": str(job.atomic).lower()}
    endpoint = f"{job.url}{IMPORTS_PATH}/{job.resource}"
    with _progress() as progress:
        task = progress.add_task(f"Sending {job.path.name}", total=size, rows=0)
        try:
            async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
                response = await http.post(
                    endpoint, content=_chunks(job.path, size, _advancer(progress, task)), headers=headers, params=params
                )
        except httpx2.ConnectError as exc:
            return Outcome(None, f"Cannot reach {job.url}: {exc}", usage=True)
        except httpx2.HTTPError as exc:
            return Outcome(None, f"The import sent to {job.url} failed: {str(exc) or type(exc).__name__}")
    return answer_outcome(response)


def answer_outcome(response: httpx2.Response) -> Outcome:
    """The report of a 200, or of a 422 carrying it; any other answer is a refusal, told by its problem detail.

    A redirect, the wrong server (its answer no report) or a refused key are usage errors: the options are wrong.
    """
    if response.is_redirect:
        location = response.headers.get("location", "another address")
        return Outcome(
            None,
            f"{response.status_code} {response.reason_phrase}: the server sends the import to {location}; "
            "give --url the address it leads to (a streamed file is not sent twice).",
            usage=True,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    carries_report = response.status_code == 200 or (
        isinstance(body, dict) and body.get("type") == problem_type(ImportRejected.slug)
    )
    if carries_report:
        try:
            report = ImportReport.model_validate(body)
        except ValidationError:
            return Outcome(
                None,
                f"{response.status_code} {response.reason_phrase}: {response.url} answered no import report: "
                "is --url a Lab Registry?",
                usage=True,
            )
        detail = None if response.status_code == 200 else _detail(response, body)
        return Outcome(report, detail)
    return Outcome(None, _detail(response, body), usage=response.status_code in USAGE_STATUSES)


def _detail(response: httpx2.Response, body: Any) -> str:
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"{response.status_code} {response.reason_phrase}: {detail or 'the server gave no detail.'}"


def print_report(console: Console, report: ImportReport) -> None:
    """The counts — what was done, or what would have been when nothing was written — then the first errors in
    file order: --rejects has them all, a terminal shows a screenful."""
    if report.applied:
        title = f"Import of {report.resource}"
        counts = Table("read", "created", "updated", "unchanged", "rejected", title=title)
        figures = (report.read, report.created, report.updated, report.unchanged, report.rejected)
    else:
        title = f"Import of {report.resource} ({'dry run' if report.dry_run else 'refused'}: nothing was written)"
        counts = Table("read", "would create", "would update", "would leave unchanged", "rejected", title=title)
        figures = (report.read, report.would_create, report.would_update, report.would_leave_unchanged, report.rejected)
    counts.add_row(*(str(n) for n in figures))
    console.print(counts)
    if not report.errors:
        return
    errors = Table("line", "column", "value", "message", title="Rejected rows")
    for error in report.errors[:PRINTED_ERRORS]:
        value = "" if error.value is None else str(error.value)
        errors.add_row(str(error.line), Text(error.column or "—"), Text(value), Text(error.message))
    console.print(errors)
    if (more := report.error_count - PRINTED_ERRORS) > 0:
        console.print(Text(f"… and {more} more error(s): --rejects FILE writes every rejected row with its reason."))


def rejection_reasons(errors: Iterable[RowProblem]) -> dict[int, str]:
    """Each rejected line's reasons, joined with "; " when its row broke several rules."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        reason = f"{error.column}: {error.message}" if error.column else error.message
        reasons.setdefault(error.line, []).append(reason)
    return {line: "; ".join(parts) for line, parts in reasons.items()}


def write_rejects(source: Path, target: Path, *, jsonl: bool, errors: list[RowProblem]) -> int:
    """Copy the rejected rows of `source` to `target` with their reason; returns how many were written.

    The source is decoded as the server recognised it: UTF-8 (its BOM kept for the copy), or, when a byte is not
    UTF-8, Windows-1252, the copy then starting over.
    """
    reasons = rejection_reasons(errors)
    copy = _copy_jsonl if jsonl else _copy_csv
    try:
        return copy(source, target, reasons, "utf-8-sig")
    except UnicodeDecodeError:
        return copy(source, target, reasons, "cp1252")


def _output_encoding(source: Path, encoding: str) -> str:
    if encoding != "utf-8-sig":
        return encoding
    with source.open("rb") as file:
        return "utf-8-sig" if file.read(len(BOM)) == BOM else "utf-8"


def _copy_csv(source: Path, target: Path, reasons: dict[int, str], encoding: str) -> int:
    """Records keep the line they start on (csv's `line_num` before each), which is how the report names them.

    Lines end at "\\n" only, as the server cuts them, and the copy keeps the header's separator and line ending.
    A short row is padded so that its reason stands in the `reason` column.
    """
    written = 0
    with (
        source.open(encoding=encoding, newline="\n") as lines,
        target.open("w", encoding=_output_encoding(source, encoding), errors="replace", newline="") as out,
    ):
        first = lines.readline()
        separator = sniff_separator(first)
        reader = csv.reader(chain([first], lines), delimiter=separator)
        writer = csv.writer(out, delimiter=separator, lineterminator="\r\n" if first.endswith("\r\n") else "\n")
        header = next(reader, [])
        writer.writerow([*header, "reason"])
        start = reader.line_num + 1
        for cells in reader:
            if start in reasons:
                padding = [""] * (len(header) - len(cells))
                writer.writerow([*cells, *padding, reasons[start]])
                written += 1
            start = reader.line_num + 1
    return written


def _copy_jsonl(source: Path, target: Path, reasons: dict[int, str], encoding: str) -> int:
    """Each rejected object with a "reason" key, written as UTF-8 (what JSON Lines is)."""
    written = 0
    with source.open(encoding=encoding, newline="\n") as lines, target.open("wb") as out:
        for number, line in enumerate(lines, start=1):
            if number in reasons:
                out.write(orjson.dumps(_with_reason(line, reasons[number])) + b"\n")
                written += 1
    return written


def _with_reason(line: str, reason: str) -> dict[str, Any]:
    """The line's object and its reason; a line that is no JSON object is kept as the text of `raw`."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        return {**value, "reason": reason}
    return {"raw": line.rstrip("\r\n"), "reason": reason}
