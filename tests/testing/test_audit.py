"""`.ci/audit`: pip-audit's answer becomes clean, skipped (service unreachable), vulnerable or an error."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit"


def _load() -> ModuleType:
    loader = SourceFileLoader("ci_audit", str(SCRIPT))
    spec = spec_from_loader("ci_audit", loader)
    assert spec is not None
    module = module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


audit = _load()
Verdict = audit.Verdict


def _report(*dependencies: dict[str, object]) -> str:
    # The shape of pip-audit's `-f json` output (pip_audit/_format/json.py).
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def _not_found(name: str, version: str) -> dict[str, object]:
    reason = f"Dependency not found on PyPI and could not be audited: {name} ({version})"
    return {"name": name, "skip_reason": reason}


def test_a_known_vulnerability_fails_and_names_package_advisory_and_fix() -> None:
    stdout = _report(
        {"name": "fastapi", "version": "0.115.0", "vulns": []},
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [
                {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": ["CVE-2024-22195"]}
            ],
        },
    )
    outcome = audit.classify(1, stdout, "Found 1 known vulnerability in 1 package\n")
    assert outcome.verdict is Verdict.VULNERABLE
    assert outcome.verdict.exit_code == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in outcome.message


def test_audited_packages_without_findings_pass() -> None:
    stdout = _report(
        {"name": "fastapi", "version": "0.115.0", "vulns": []},
        {"name": "tracseq-contracts", "skip_reason": "distribution marked as editable"},
    )
    outcome = audit.classify(0, stdout, "No known vulnerabilities found\n")
    assert outcome.verdict is Verdict.CLEAN
    assert outcome.verdict.exit_code == 0
    assert outcome.message.startswith("1 packages audited")


def test_a_private_package_the_service_does_not_know_is_named_but_passes() -> None:
    stdout = _report({"name": "httpx", "version": "0.28.1", "vulns": []}, _not_found("lab-internal", "1.0"))
    outcome = audit.classify(0, stdout, "")
    assert outcome.verdict is Verdict.CLEAN
    assert "lab-internal" in outcome.message


def test_a_mirror_without_the_vulnerability_api_is_unreachable_not_clean() -> None:
    # What this machine's registry mirror gives: every lookup 404s, pip-audit exits 0 and says "no known
    # vulnerabilities" although it checked nothing.
    stdout = _report(_not_found("alembic", "1.20.1"), _not_found("httpx", "0.28.1"))
    outcome = audit.classify(0, stdout, "No known vulnerabilities found\n")
    assert outcome.verdict is Verdict.UNREACHABLE
    assert outcome.verdict.exit_code == 0
    assert "none of the 2 packages" in outcome.message


def test_a_name_resolution_failure_is_unreachable() -> None:
    stderr = (
        "Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
        "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with url: /v1/query "
        "(Caused by NameResolutionError(\"Failed to resolve 'api.osv.dev' ([Errno -2] Name or service not "
        'known)"))\n'
    )
    outcome = audit.classify(1, "", stderr)
    assert outcome.verdict is Verdict.UNREACHABLE
    assert "api.osv.dev" in outcome.message


def test_pip_audits_own_connection_advice_is_unreachable() -> None:
    stderr = (
        "ERROR:pip_audit._cli:Could not connect to PyPI's vulnerability feed\n"
        "Tip: your network may be blocking this service. Try another service with `-s SERVICE`\n"
    )
    assert audit.classify(1, "", stderr).verdict is Verdict.UNREACHABLE


def test_a_crash_is_an_audit_error_never_clean() -> None:
    outcome = audit.classify(1, "", "Traceback (most recent call last):\nKeyError: 'requires_dist'\n")
    assert outcome.verdict is Verdict.ERROR
    assert outcome.verdict.exit_code == 2
    assert "KeyError" in outcome.message


def test_a_failed_run_with_an_empty_report_is_an_audit_error() -> None:
    outcome = audit.classify(1, _report({"name": "httpx", "version": "0.28.1", "vulns": []}), "boom\n")
    assert outcome.verdict is Verdict.ERROR


def test_the_script_runs_pip_audit_for_real_and_reaches_a_verdict() -> None:
    # Whatever the network allows here, the real pip-audit output must parse into a verdict, not an error.
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.stdout.startswith("dependency audit "), done.stdout + done.stderr
    assert "audit error" not in done.stdout, done.stdout
    assert done.returncode in (0, 1), done.stdout
