"""`lab-registry`: the command line of the service; it calls the same services as the HTTP routes."""

import asyncio
import logging
import os
import shutil
import signal
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from app.auth import service as auth_service
from app.auth.schemas import ApiKeyCreate, ApiKeyRead, check_expiry
from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker, session_scope
from app.core.errors import Conflict, InvalidInput, NotFound
from app.exports.csv import Dialect, Separator
from app.models import ApiKey
from app.ops import metrics
from app.ops.logging import configure_logging

cli = typer.Typer(help="Lab Registry: France's territorial public-innovation labs.", no_args_is_help=True)
console = Console()
logger = logging.getLogger("app.cli")

OPENAPI_PATH = Path("openapi.yaml")


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database schema (and reference data) to the given revision."""
    settings = get_settings()
    migrations.upgrade(settings.database_url, revision)
    console.print(f"[green]Database migrated to {revision}.[/green]")


@cli.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Revision to go back to (`base`: empty).")]) -> None:
    """Take the database schema back to an older revision, with the newer code still installed (it holds the
    downgrade steps); then install the older code."""
    settings = get_settings()
    migrations.downgrade(settings.database_url, revision)
    console.print(f"[green]Database downgraded to {revision}.[/green]")


class LogFormat(StrEnum):
    json = "json"
    console = "console"


WORKER_HEALTHCHECK_SECONDS = 30


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (PostgreSQL only beyond 1).")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    graceful_timeout: Annotated[
        int, typer.Option(min=0, help="Seconds requests in flight get to finish on SIGTERM before they are cut.")
    ] = 25,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Proxies trusted for X-Forwarded-For/-Proto (comma-separated IPs or networks, * for any); "
            "default: FORWARDED_ALLOW_IPS, else 127.0.0.1."
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None, typer.Option(help="json (production) or console (readable); default: LOG_FORMAT.")
    ] = None,
) -> None:
    """Serve the API (docs at /docs) with uvloop and httptools; JSON logs, one line per request; request heads
    over MAX_HEADER_BYTES are answered 431."""
    if log_format is not None:
        # The workers read their settings from the environment, so the choice travels there.
        os.environ["LOG_FORMAT"] = log_format.value
        get_settings.cache_clear()
    settings = get_settings()
    if workers > 1 and settings.is_sqlite:
        console.print(
            "[red]SQLite takes one writer at a time and cannot be shared by several worker processes: "
            "serve it with --workers 1, or set DATABASE_URL to PostgreSQL to scale out.[/red]"
        )
        raise typer.Exit(2)
    configure_logging(settings)
    temporary_metrics_dir = (
        metrics.start_multiprocess_dir() if workers > 1 or metrics.MULTIPROC_DIR in os.environ else None
    )
    logger.info("Lab Registry on http://%s:%s/docs (%d worker%s)", host, port, workers, "s" if workers > 1 else "")
    try:
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            loop="uvloop",
            http="app.ops.protocol:HeadLimitedProtocol",
            h11_max_incomplete_event_size=settings.max_header_bytes,
            log_config=None,
            log_level=settings.log_level.lower(),
            access_log=False,
            server_header=False,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            timeout_graceful_shutdown=graceful_timeout,
            # uvicorn kills a worker that does not answer its supervisor within this time (5 s by default): on a
            # busy machine, starting the app takes longer, and the workers were killed and restarted in a loop.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        )
    finally:
        if temporary_metrics_dir is not None:
            shutil.rmtree(temporary_metrics_dir, ignore_errors=True)


def render_openapi() -> str:
    """The app's OpenAPI document as YAML, keys in the app's order so diffs stay readable."""
    from app.main import create_app

    schema = create_app(get_settings()).openapi()
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=120)


@cli.command()
def openapi(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the document.")] = OPENAPI_PATH,
    check: Annotated[bool, typer.Option(help="Fail when the file differs from the app instead of writing it.")] = False,
) -> None:
    """Write openapi.yaml from the app (or check that it is up to date)."""
    if check and not output.exists():
        console.print(f"[red]{output} is missing: run `lab-registry openapi`.[/red]")
        raise typer.Exit(1)
    rendered = render_openapi()
    if check:
        if output.read_text(encoding="utf-8") != rendered:
            console.print(f"[red]{output} is out of date: run `lab-registry openapi`.[/red]")
            raise typer.Exit(1)
        console.print(f"{output} is up to date.")
        return
    output.write_text(rendered, encoding="utf-8")
    console.print(f"Wrote {output}.")


def require_migrated(settings: Settings) -> None:
    """Stop with a clear message, rather than a database error, when the schema is not at the code's head."""

    async def pending() -> bool:
        engine = create_engine(settings)
        try:
            return await migrations.pending_migrations(engine)
        finally:
            await engine.dispose()

    if asyncio.run(pending()):
        console.print(
            "[red]The database is not migrated to the latest revision: run `lab-registry migrate` first.[/red]"
        )
        raise typer.Exit(2)


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load the synthetic demo dataset (idempotent: a second run changes nothing)."""
    from app.demo.seed import seed

    settings = get_settings()
    require_migrated(settings)
    report = asyncio.run(seed(settings))
    console.print(report)


def _parse_expiry(value: str | None) -> datetime | None:
    """A date means the key stops working when that day begins (UTC); a datetime needs its offset; either lies
    in the future (the rule of the API's `expires_at`)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "give a date (2027-01-31) or a datetime with offset (2027-01-31T18:00:00+01:00)"
        ) from None
    if len(value) == 10:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return check_expiry(parsed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None


@cli.command("export")
def export(
    resource: Annotated[str, typer.Option(help="What to export: labs, events, allocations, organizations…")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="csv, jsonl, xlsx or ods (any list), ics (events), geojson (labs), scdl (allocations)."
        ),
    ] = "csv",
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="A list filter as key=value (repeatable): lab=bretagne.")
    ] = None,
    separator: Annotated[str, typer.Option(help="CSV separator: comma or semicolon.")] = "comma",
    dialect: Annotated[str, typer.Option(help="CSV dialect: standard, or excel-fr (';' and decimal commas).")] = (
        "standard"
    ),
) -> None:
    """Write a whole filtered list to a file, streamed from the database as the HTTP exports are."""
    from app.cli.export import ExportFormat, ExportUsageError, export_to_file, parse_filters

    settings = get_settings()
    try:
        chosen = ExportFormat(fmt)
        chosen_separator = Separator(separator)
        chosen_dialect = Dialect(dialect)
    except ValueError:
        console.print(
            f"[red]--format is one of {', '.join(ExportFormat)}; --separator comma or semicolon; "
            "--dialect standard or excel-fr.[/red]"
        )
        raise typer.Exit(2) from None
    require_migrated(settings)
    try:
        summary = asyncio.run(
            export_to_file(
                settings, resource, chosen, parse_filters(filters or []), output, chosen_separator, chosen_dialect
            )
        )
    except ExportUsageError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"[green]Wrote {summary.bytes_written} bytes to {summary.path}.[/green]")
    if summary.incomplete_rows:
        console.print(
            f"[yellow]{summary.incomplete_rows} row(s) lack a required idAttribuant (no SIRET for the stream's "
            "managing organization) or dateConvention (no decision date): exported with an empty cell.[/yellow]"
        )


@cli.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="A .csv file (',' ';' or tab separated, UTF-8 or Windows-1252) or .jsonl/.ndjson.")
    ],
    resource: Annotated[
        str,
        typer.Option(
            help="What the rows are: organizations, labs, funding-streams, allocations, disbursements, projects, "
            "project-partners, campaigns or events."
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            envvar="LAB_REGISTRY_URL",
            help="Base URL of a remote instance to send the file to; without it, the file goes straight into the "
            "database DATABASE_URL names.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LAB_REGISTRY_TOKEN",
            help="API key with the write scope, with --url (from the environment, it stays out of the process list).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    atomic: Annotated[
        bool, typer.Option("--atomic/--no-atomic", help="All or nothing; --no-atomic loads the good rows.")
    ] = True,
    rejects: Annotated[
        Path | None, typer.Option(help="Write the rejected rows there, in the file's format, with a reason column.")
    ] = None,
) -> None:
    """Upsert the rows of a file into the database, or through a remote instance's API, and print the report.

    Exit status: 0 when every row was loaded (with --dry-run: would be); 1 when rows were rejected or the file was
    refused (empty, unknown columns, undecodable, too large, or the server failed); 2 on a usage error: options,
    a missing file or an unknown extension, and with --url a key refused (401, 403), an address that redirects or
    is no Lab Registry (404), or a server that cannot be reached.
    """
    from app.imports.cli_support import ImportJob, ImportUsageError, run_import

    try:
        job = ImportJob.from_options(
            file, resource, url=url, token=token, dry_run=dry_run, atomic=atomic, rejects=rejects
        )
    except ImportUsageError as exc:
        console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    settings = get_settings()
    if job.url is None:
        require_migrated(settings)
    raise typer.Exit(run_import(job, settings, console))


@cli.command("create-api-key")
def create_api_key(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, write, funding, publish, admin.")] = "read",
    expires: Annotated[
        str | None, typer.Option(help="Expiry: a date (UTC midnight) or a datetime with offset.")
    ] = None,
    labs: Annotated[
        str | None,
        typer.Option(help="Comma-separated labs (slug or id) the key is bound to: it writes only their rows."),
    ] = None,
) -> None:
    """Create an API key; the key itself is printed alone on the last line, and never shown again.

    The CLI is the root of trust: its keys may hold any scope and expiry. The name must be free among live keys
    (exit status 1 otherwise).
    """
    try:
        body = ApiKeyCreate.model_validate(
            {
                "name": name,
                "scopes": [scope.strip() for scope in scopes.split(",") if scope.strip()],
                "expires_at": _parse_expiry(expires),
                "labs": None if labs is None else [lab.strip() for lab in labs.split(",") if lab.strip()],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'key'}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems) from None
    settings = get_settings()
    require_migrated(settings)

    async def create() -> tuple[ApiKey, str]:
        async with session_scope(settings) as session:
            return await auth_service.create_key(
                session, name=body.name, scopes=body.scopes, expires_at=body.expires_at, labs=body.labs
            )

    try:
        row, key = asyncio.run(create())
    except (Conflict, InvalidInput) as exc:
        console.print(exc.detail, style="red", markup=False)
        raise typer.Exit(1) from None
    bound = f", bound to {', '.join(body.labs)}" if body.labs else ""
    console.print(
        f"Created API key '{row.name}' ({row.prefix}…, id {row.id}) with scopes {', '.join(row.scopes)}{bound}."
    )
    console.print("Store it now: it is not shown again.")
    typer.echo(key)


@cli.command("list-api-keys")
def list_api_keys() -> None:
    """List API keys (never the keys themselves)."""
    settings = get_settings()
    require_migrated(settings)

    async def rows() -> list[ApiKeyRead]:
        async with session_scope(settings) as session:
            return await auth_service.list_keys(session)

    table = Table("id", "prefix", "name", "scopes", "labs", "created", "last used", "expires", "revoked")
    for row in asyncio.run(rows()):
        table.add_row(
            str(row.id),
            row.prefix,
            row.name,
            ",".join(row.scopes),
            ",".join(lab.slug for lab in row.labs) if row.labs is not None else "—",
            *(
                f"{moment:%Y-%m-%d %H:%M}" if moment else "—"
                for moment in (row.created_at, row.last_used_at, row.expires_at, row.revoked_at)
            ),
        )
    console.print(table)


@cli.command("revoke-api-key")
def revoke_api_key(key: Annotated[str, typer.Argument(help="The key's id or prefix, as listed.")]) -> None:
    """Revoke an API key at once and for good."""
    settings = get_settings()
    require_migrated(settings)

    async def revoke() -> ApiKey:
        async with session_scope(settings) as session:
            return await auth_service.revoke_key(session, await auth_service.get_key(session, key))

    try:
        row = asyncio.run(revoke())
    except NotFound as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Revoked API key '{row.name}' ({row.prefix}…).")


@cli.command()
def worker() -> None:
    """Deliver webhooks until stopped (SIGINT/SIGTERM); run several on PostgreSQL to share the work."""
    from app.webhooks.dispatcher import run_dispatcher

    settings = get_settings()
    configure_logging(settings)
    require_migrated(settings)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        engine = create_engine(settings)
        try:
            async with run_dispatcher(create_sessionmaker(engine), settings):
                logger.info("webhook dispatcher started")
                await stop.wait()
        finally:
            await engine.dispose()
        logger.info("webhook dispatcher stopped")

    asyncio.run(work())


def main() -> None:
    cli()
