"""A pytest plugin for the runs the pipeline starts: `pytest -p contracts._gate [--start-signal-fd N]
[--exit-at-once] ...`.

The pipeline starts the provider verifications while the consumer tests still run, so that their start-up
(Python, pytest, the services and the Pact core imported, the modules collected) costs no time of its own.
With `--start-signal-fd N` the run then waits before its first test for one line on the pipe `N`: `go`
runs what was collected, `go ["<module path>", ...]` only the tests of those modules (the others are
deselected), so several runs that collected the same modules can share them out. Anything else, or the
pipe closing (the pipeline stopped), ends the run untested.

With `--exit-at-once` the process ends as soon as pytest has reported everything (its exit status kept),
skipping CPython's clean-up of the interpreter, which takes 0.3-0.4 s for the modules a verification
imports (FastAPI and pydantic alone: 0.24 s) and which the pipeline would otherwise wait out after every
run.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
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

    parser.addoption(
        "--exit-at-once",
        action="store_true",
        default=False,
        help="end the process once the session has reported, without the interpreter's clean-up",
    )


_finished: list[pytest.Session] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if session.config.getoption("--exit-at-once"):
        _finished.append(session)  # reported by now: the terminal summary and any JUnit XML are written


def _exit_at_once() -> None:
    if not _finished:
        return
    logging.shutdown()  # registered with atexit before this plugin was imported: it would not run
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(int(_finished[-1].exitstatus))


# Registered at import, so it runs after the exit handlers of everything imported later.
atexit.register(_exit_at_once)


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
