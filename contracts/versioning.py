"""Which version of the code is this? The consumer version a pact is published with, and the provider
version verification results are published with.

The rule the Pact docs insist on: a version number names exactly one state of the code. So a clean checkout
is its commit SHA, and a dirty work tree gets `<sha>+dirty.<hash of the changes>`, which can never collide
with a clean commit's version (the broker refuses changed content under an existing version, and
can-i-deploy would otherwise vouch for code that was never committed).

CI variables win over git because CI checkouts are often detached HEADs (no branch to read), and
`PACT_CONSUMER_VERSION` / `PACT_BRANCH` override everything.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["VersionDetectionError", "VersionInfo", "detect_version"]


class VersionDetectionError(RuntimeError):
    """No version could be found: not in CI, no usable git checkout, and no explicit override."""


@dataclass(frozen=True)
class VersionInfo:
    """A pacticipant version as the broker sees it."""

    number: str
    branch: str | None
    build_url: str | None = None
    dirty: bool = False
    source: str = "git"  # where it came from: "git", "github", "gitlab", "env" (generic CI), "override"


def detect_version(cwd: str | Path | None = None, env: Mapping[str, str] = os.environ) -> VersionInfo:
    """Detect the version, branch and build URL of the code in `cwd` (default: the current directory).

    >>> detect_version(env={"GITHUB_SHA": "abc", "GITHUB_REF_NAME": "main"}).number
    'abc'
    """
    version_override = _clean(env.get("PACT_CONSUMER_VERSION"))
    info = _from_ci(env)
    if info is None and version_override is not None:
        info = VersionInfo(number=version_override, branch=_git_branch_or_none(cwd), source="override")
    elif info is None:
        info = _from_git(Path(cwd) if cwd is not None else Path.cwd())
    elif info.branch is None:
        # Some CI systems give the commit but not the branch (e.g. a tag build): ask git, if there is one.
        info = replace(info, branch=_git_branch_or_none(cwd))

    if version_override is not None and info.number != version_override:
        info = replace(info, number=version_override, dirty=False, source="override")
    if branch_override := _clean(env.get("PACT_BRANCH")):
        info = replace(info, branch=branch_override)
    return info


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _from_ci(env: Mapping[str, str]) -> VersionInfo | None:
    if sha := _clean(env.get("GITHUB_SHA")):
        # On pull_request events GITHUB_REF_NAME is "123/merge"; the PR's source branch is GITHUB_HEAD_REF.
        branch = _clean(env.get("GITHUB_HEAD_REF")) or _clean(env.get("GITHUB_REF_NAME"))
        server, repo, run = (
            _clean(env.get(k)) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        )
        build_url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
        return VersionInfo(number=sha, branch=branch, build_url=build_url, source="github")
    if sha := _clean(env.get("CI_COMMIT_SHA")):
        branch = _clean(env.get("CI_COMMIT_BRANCH")) or _clean(env.get("CI_COMMIT_REF_NAME"))
        return VersionInfo(
            number=sha, branch=branch, build_url=_clean(env.get("CI_JOB_URL")), source="gitlab"
        )
    if sha := _clean(env.get("GIT_COMMIT")):
        branch = _clean(env.get("GIT_BRANCH"))
        if branch is not None and branch.startswith("origin/"):
            branch = branch.removeprefix("origin/")  # Jenkins reports the remote-tracking name
        return VersionInfo(number=sha, branch=branch, build_url=_clean(env.get("BUILD_URL")), source="env")
    return None


def _git(cwd: Path | str | None, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError as exc:
        raise VersionDetectionError(
            "git is not installed and no CI variables were found; "
            "set PACT_CONSUMER_VERSION (and PACT_BRANCH) explicitly"
        ) from exc
    if done.returncode != 0:
        raise VersionDetectionError(
            f"`git {' '.join(args)}` failed in {cwd or Path.cwd()}: {done.stderr.strip()}; "
            "run inside a git checkout with at least one commit, or set PACT_CONSUMER_VERSION"
        )
    return done.stdout


def _git_bytes(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, timeout=60).stdout


def _git_branch_or_none(cwd: str | Path | None) -> str | None:
    try:
        name = _git(cwd, "rev-parse", "--abbrev-ref", "HEAD").strip()
    except VersionDetectionError:
        return None
    return None if name == "HEAD" else name  # "HEAD" means detached


def _from_git(cwd: Path) -> VersionInfo:
    sha = _git(cwd, "rev-parse", "--verify", "HEAD").strip()
    branch = _git_branch_or_none(cwd)
    status = _git(cwd, "status", "--porcelain", "--untracked-files=all")
    if not status.strip():
        return VersionInfo(number=sha, branch=branch, dirty=False, source="git")
    return VersionInfo(number=f"{sha}+dirty.{_changes_hash(cwd, status)}", branch=branch, dirty=True)


def _changes_hash(cwd: Path, status: str) -> str:
    """A hash of everything that differs from HEAD, so two different dirty trees get two versions and
    the same dirty tree (re-running the tests) keeps its version."""
    digest = hashlib.sha256(_git_bytes(cwd, "diff", "HEAD", "--binary"))
    top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    for line in sorted(status.splitlines()):
        if line.startswith("??"):  # untracked files are not in `git diff`
            path = line[3:]
            digest.update(path.encode())
            file = top / path
            if file.is_file():
                digest.update(file.read_bytes())
    return digest.hexdigest()[:12]
