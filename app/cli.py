"""`lab-registry`: the command line of the service; it calls the same services as the HTTP routes."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
import yaml
from rich.console import Console

from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.db import create_engine

cli = typer.Typer(help="Lab Registry: France's territorial public-innovation labs.", no_args_is_help=True)
console = Console()

OPENAPI_PATH = Path("openapi.yaml")


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database schema (and reference data) to the given revision."""
    settings = get_settings()
    migrations.upgrade(settings.database_url, revision)
    console.print(f"[green]Database migrated to {revision}.[/green]")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API (docs at /docs)."""
    console.print(f"Lab Registry on http://{host}:{port}/docs")
    uvicorn.run("app.main:app", host=host, port=port, reload=reload)


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
    rendered = render_openapi()
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != rendered:
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


def main() -> None:
    cli()
