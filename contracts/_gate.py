"""A pytest plugin for runs started ahead of time: `pytest -p contracts._gate --start-signal-fd N ...`.

The pipeline starts the provider verifications while the consumer tests still run, so that their start-up
(Python, pytest, the services and the Pact core imported, the modules collected) costs no time of its own.
The run then waits before its first test for one line on the pipe `N`: `go` runs what was collected,
`go ["<module path>", ...]` only the tests of those modules (the others are deselected), so several runs
that collected the same modules can share them out. Anything else, or the pipe closing (the pipeline
stopped), ends the run untested.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = ["go_line"]


def go_line(only: Sequence[Path] | None = None) -> bytes:
    """The line that releases a waiting run (all its tests, or `only` those of these modules)."""
    return b"go\n" if only is None else f"go {json.dumps([str(p) for p in only])}\n".encode()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--start-signal-fd",
        type=int,
        default=None,
        help="wait before the first test until `go` is read from this file descriptor (a pipe)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    fd = session.config.getoption("--start-signal-fd")
    if fd is None:
        return
    with os.fdopen(fd, "rb") as signal:
        said = signal.readline().decode()
    if said == "go\n":
        return
    if not said.startswith("go ") or not said.endswith("\n"):
        pytest.exit(
            "the pipeline stopped before the verifications were due", returncode=pytest.ExitCode.INTERRUPTED
        )
    wanted = {Path(path).resolve() for path in json.loads(said.removeprefix("go "))}
    kept = [item for item in session.items if Path(str(item.path)).resolve() in wanted]
    dropped = [item for item in session.items if item not in kept]
    if dropped:
        session.config.hook.pytest_deselected(items=dropped)
        session.items[:] = kept
