"""The distribution exposes the three packages and the `contracts` command."""

import importlib
import shutil


def test_packages_import() -> None:
    for name in ("services", "contracts", "broker"):
        assert importlib.import_module(name).__doc__


def test_cli_is_installed() -> None:
    assert shutil.which("contracts"), "the `contracts` script is not on PATH; run `make venv`"
