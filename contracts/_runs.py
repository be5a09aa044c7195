"""Running a project's contract suites with pytest in a subprocess: the consumer tests (which write and
publish the pacts) and each provider's verification modules (`provider_verification/test_<provider>*.py`).

The suites are pytest modules whose fixtures build what a verification needs (a provider's own dependencies,
its state handlers), so they are run as pytest runs them; the broker, versions and publishing reach them
through the standard variables the plugin and the harness read: `PACT_BROKER_BASE_URL`,
`PACT_CONSUMER_VERSION`/`PACT_BRANCH`, `PACT_PUBLISH_VERIFICATION_RESULTS`,
`PACT_PROVIDER_VERSION`/`PACT_PROVIDER_BRANCH`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SuiteRun", "run_consumer_tests", "run_provider_verification", "verification_modules"]

# pytest's final line, with or without `=` decoration: "3 passed, 1 skipped in 2.10s".
_SUMMARY = re.compile(r"^=*\s*(?P<summary>(\d+ \w+,? ?)+|no tests ran)\s+in [\d.]+s.*$", re.MULTILINE)


@dataclass(frozen=True)
class SuiteRun:
    name: str
    success: bool
    exit_code: int
    output: str
    seconds: float

    @property
    def summary(self) -> str:
        """pytest's last line, e.g. `3 passed, 1 skipped`."""
        found = list(_SUMMARY.finditer(self.output))
        return found[-1].group("summary").strip(" ,") if found else f"exit code {self.exit_code}"

    @property
    def skipped_everything(self) -> bool:
        return "skipped" in self.summary and "passed" not in self.summary and "failed" not in self.summary


def verification_modules(folder: Path) -> dict[str, list[Path]]:
    """Provider name -> its verification modules (`test_<provider>.py`, `test_<provider>_<more>.py`)."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("test_*.py")) if folder.is_dir() else []:
        provider = path.stem.removeprefix("test_").split("_")[0]
        found.setdefault(provider, []).append(path)
    return found


def _pytest(name: str, project_dir: Path, args: list[str], env: Mapping[str, str], capture: bool) -> SuiteRun:
    environment = {**os.environ, "PACT_DO_NOT_TRACK": "true", **env}
    command = [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "-q", "-rfEs"]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=project_dir, env=environment, capture_output=capture, text=True, check=False
    )
    output = (done.stdout or "") + (done.stderr or "")
    return SuiteRun(name, done.returncode == 0, done.returncode, output, time.perf_counter() - started)


def run_consumer_tests(
    project_dir: Path,
    folder: str,
    *,
    broker_url: str | None,
    pact_dir: Path,
    version: str,
    branch: str | None,
    capture: bool = True,
) -> SuiteRun:
    """`pytest <folder> --pact-dir <pact_dir> [--publish --broker-url URL]` under the given version."""
    env = {"PACT_CONSUMER_VERSION": version, **({"PACT_BRANCH": branch} if branch else {})}
    args = [folder, "--pact-dir", str(pact_dir)]
    if broker_url:
        args += ["--publish", "--broker-url", broker_url]
    return _pytest("consumer tests", project_dir, args, env, capture)


def run_provider_verification(
    project_dir: Path,
    provider: str,
    modules: list[Path],
    *,
    broker_url: str | None = None,
    pact_dir: Path | None = None,
    provider_version: str | None = None,
    provider_branch: str | None = None,
    publish: bool = False,
    capture: bool = True,
) -> SuiteRun:
    """pytest over `provider`'s verification modules, against the broker (results published when asked)
    or the local `pact_dir`."""
    env: dict[str, str] = {"PACT_PUBLISH_VERIFICATION_RESULTS": "true" if publish else "false"}
    if provider_version:
        env["PACT_PROVIDER_VERSION"] = provider_version
    if provider_branch:
        env["PACT_PROVIDER_BRANCH"] = provider_branch
    args = [str(m) for m in modules]
    if broker_url:
        args += ["--broker-url", broker_url]
        env["PACT_BROKER_BASE_URL"] = broker_url
    if pact_dir is not None:
        args += ["--pact-dir", str(pact_dir)]
        env["PACT_DIR"] = str(pact_dir)  # for a bare `verification.verify()` in the module
    return _pytest(provider, project_dir, args, env, capture)
