"""Where the pacts to verify come from: the local pact folder, or a Pact Broker."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.settings import BrokerSettings
from contracts.verification import ProviderVerification, VerificationResult


@dataclass(frozen=True)
class PactSource:
    pact_dir: Path
    broker: BrokerSettings | None

    def verify(
        self, verification: ProviderVerification, consumers: Sequence[str] | None = None
    ) -> VerificationResult:
        """Verify `verification`'s provider against the pacts of `consumers` (default: all of them).

        Fails with the harness's report (each failed interaction and its mismatches) when the provider does
        not honour a pact; skips, saying why, when there is no pact to verify (a pass that verified nothing
        would claim what nobody checked).
        """
        wanted = f" from {', '.join(consumers)}" if consumers else ""
        if self.broker is not None:
            result = verification.verify(
                broker_url=self.broker.base_url,
                broker_username=self.broker.username,
                broker_password=self.broker.password,
                broker_token=self.broker.token,
                consumers=consumers,
            )
            if not result.interactions:
                pytest.skip(
                    f"the broker at {self.broker.base_url} selected no pact with provider "
                    f"{verification.provider!r}{wanted} (none published, or none the selectors match)"
                )
            return result
        expected = self._local_interactions(verification.provider, consumers)
        if not expected:
            pytest.skip(
                f"no pact with provider {verification.provider!r}{wanted} in {self.pact_dir}: "
                "run the consumer tests first (`pytest consumer_tests`), or give --broker-url"
            )
        result = verification.verify(pact_dir=self.pact_dir, consumers=consumers)
        verified = sorted((i.consumer, i.description) for i in result.interactions)
        assert verified == expected, f"verified {verified}, but the pacts hold {expected}"
        return result

    def _local_interactions(self, provider: str, consumers: Sequence[str] | None) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for path in sorted(self.pact_dir.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            consumer = doc.get("consumer", {}).get("name")
            if doc.get("provider", {}).get("name") != provider:
                continue
            if consumers is not None and consumer not in consumers:
                continue
            found.extend((consumer, i["description"]) for i in doc.get("interactions", []))
        return sorted(found)
