"""The house's layering, as pyproject.toml declares it ([tool.importlinter]): each layer of `app` imports only
from the layers below it, and no modules import each other in a cycle."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_and_no_cycle_hold() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0
