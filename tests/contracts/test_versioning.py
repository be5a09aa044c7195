"""Version and branch detection, from real git repositories in temporary folders and from CI variables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contracts.versioning import VersionDetectionError, detect_version

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "feat/x")
    (tmp_path / "a.txt").write_text("one\n")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_clean_checkout_is_its_commit_and_branch(repo: Path) -> None:
    info = detect_version(repo, env={})
    assert info.number == git(repo, "rev-parse", "HEAD")
    assert len(info.number) == 40
    assert info.branch == "feat/x"
    assert not info.dirty
    assert info.source == "git"


def test_dirty_tree_gets_a_version_distinct_from_the_commit_and_stable_while_unchanged(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    (repo / "a.txt").write_text("two\n")
    first = detect_version(repo, env={})
    assert first.dirty
    assert first.number.startswith(f"{sha}+dirty.")
    assert first.number != sha
    assert detect_version(repo, env={}).number == first.number

    (repo / "a.txt").write_text("three\n")
    assert detect_version(repo, env={}).number != first.number


def test_untracked_files_make_the_tree_dirty_and_their_content_counts(repo: Path) -> None:
    (repo / "new.py").write_text("x = 1\n")
    one = detect_version(repo, env={})
    (repo / "new.py").write_text("x = 2\n")
    two = detect_version(repo, env={})
    assert one.dirty and two.dirty
    assert one.number != two.number


def test_detached_head_keeps_the_commit_and_has_no_branch(repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "--detach")
    info = detect_version(repo, env={})
    assert info.number == sha
    assert info.branch is None


def test_no_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VersionDetectionError, match="PACT_CONSUMER_VERSION"):
        detect_version(tmp_path, env={})


def test_repository_without_commits_is_a_clear_error(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    with pytest.raises(VersionDetectionError, match="at least one commit"):
        detect_version(tmp_path, env={})


def test_explicit_overrides_need_no_git(tmp_path: Path) -> None:
    info = detect_version(tmp_path, env={"PACT_CONSUMER_VERSION": "1.2.3", "PACT_BRANCH": "release"})
    assert (info.number, info.branch, info.source) == ("1.2.3", "release", "override")


def test_github_actions_push(repo: Path) -> None:
    env = {
        "GITHUB_SHA": "a" * 40,
        "GITHUB_REF_NAME": "main",
        "GITHUB_HEAD_REF": "",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "tracseq/contracts",
        "GITHUB_RUN_ID": "42",
    }
    info = detect_version(repo, env=env)
    assert info.number == "a" * 40
    assert info.branch == "main"
    assert info.build_url == "https://github.com/tracseq/contracts/actions/runs/42"
    assert info.source == "github"


def test_github_pull_request_uses_the_source_branch(repo: Path) -> None:
    env = {"GITHUB_SHA": "b" * 40, "GITHUB_REF_NAME": "7/merge", "GITHUB_HEAD_REF": "feat/y"}
    assert detect_version(repo, env=env).branch == "feat/y"


def test_gitlab(repo: Path) -> None:
    env = {"CI_COMMIT_SHA": "c" * 40, "CI_COMMIT_REF_NAME": "dev", "CI_JOB_URL": "https://gl/jobs/9"}
    info = detect_version(repo, env=env)
    assert (info.number, info.branch, info.build_url, info.source) == (
        "c" * 40,
        "dev",
        "https://gl/jobs/9",
        "gitlab",
    )


def test_generic_ci_variables_strip_the_remote_prefix(repo: Path) -> None:
    info = detect_version(repo, env={"GIT_COMMIT": "d" * 40, "GIT_BRANCH": "origin/main"})
    assert (info.number, info.branch) == ("d" * 40, "main")


def test_ci_without_a_branch_falls_back_to_git_for_it(repo: Path) -> None:
    info = detect_version(repo, env={"GIT_COMMIT": "e" * 40})
    assert (info.number, info.branch) == ("e" * 40, "feat/x")


def test_overrides_win_over_ci(repo: Path) -> None:
    env = {
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REF_NAME": "main",
        "PACT_CONSUMER_VERSION": "9",
        "PACT_BRANCH": "hotfix",
    }
    info = detect_version(repo, env=env)
    assert (info.number, info.branch) == ("9", "hotfix")
