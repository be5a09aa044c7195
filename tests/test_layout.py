"""The distribution exposes the three packages and the `contracts` command."""

import importlib
import sys
from pathlib import Path


def test_packages_import() -> None:
    for name in ("services", "contracts", "broker"):
        assert importlib.import_module(name).__doc__


def test_cli_is_installed_beside_the_interpreter() -> None:
    script = Path(sys.executable).parent / "contracts"
    assert script.exists(), "the `contracts` script is not installed; run `make venv`"
