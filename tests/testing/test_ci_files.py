"""The CI files agree with each other: the broker webhook sends what the workflow's dispatch job reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "contracts.yml"
WEBHOOK = ROOT / ".ci" / "webhooks" / "contract-requiring-verification.json"


def test_the_webhook_fires_the_dispatch_type_the_workflow_listens_for() -> None:
    webhook = json.loads(WEBHOOK.read_text())
    assert [event["name"] for event in webhook["events"]] == ["contract_requiring_verification_published"]
    event_type = webhook["request"]["body"]["event_type"]
    assert re.search(rf"repository_dispatch:\s*\n\s*types: \[{event_type}\]", WORKFLOW.read_text())
    assert webhook["request"]["url"].endswith("/dispatches")


def test_every_payload_field_the_workflow_reads_is_sent_by_the_webhook() -> None:
    payload = json.loads(WEBHOOK.read_text())["request"]["body"]["client_payload"]
    read = set(re.findall(r"github\.event\.client_payload\.(\w+)", WORKFLOW.read_text()))
    assert {"pact_url", "provider"} <= read
    assert read <= set(payload), (
        f"the workflow reads {sorted(read - set(payload))}, which the webhook never sends"
    )
    # Each field is filled from a broker template variable, not a constant.
    assert all(value.startswith("${pactbroker.") for value in payload.values())


def test_payload_values_reach_scripts_only_through_the_environment() -> None:
    # `${{ github.event.client_payload.* }}` inside a `run:` script is a shell injection.
    scripts = re.findall(r"run: \|\n((?:\s{10,}.*\n)+)", WORKFLOW.read_text())
    assert any("$PACT_URL" in script for script in scripts), "the dispatch job's script was not found"
    for script in scripts:
        assert "client_payload" not in script
