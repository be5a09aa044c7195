"""Where the pacts to verify come from, and the order that lets one `pytest` run write them first.

Local by default: the pact folder the consumer tests of this session write to (`--pact-dir`, `PACT_DIR`,
else `pacts/`). With `--broker-url` or `PACT_BROKER_BASE_URL`: the broker's selection for the provider,
with the harness's defaults for publishing (`PACT_PUBLISH_VERIFICATION_RESULTS`, `PACT_PROVIDER_VERSION`,
`PACT_PROVIDER_BRANCH`, else detected from CI or git).
"""

import os
from pathlib import Path

import pytest

from contracts.pytest_plugin import PactFactory
from contracts.settings import BrokerSettings
from provider_verification._pacts import PactSource

# The Pact core otherwise spends about two minutes trying to send usage metrics before it does anything.
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Consumer tests first, whatever order the paths were given in: their pacts are what we verify."""
    items.sort(key=lambda item: _HERE in Path(str(item.path)).parents)


@pytest.fixture(scope="session")
def pact_source(pytestconfig: pytest.Config, pact_factory: PactFactory) -> PactSource:
    """The local pact folder, or the broker when one is named."""
    broker = BrokerSettings()
    if url := pytestconfig.getoption("--broker-url"):
        broker = broker.model_copy(update={"base_url": url})
    return PactSource(pact_dir=pact_factory.pact_dir, broker=broker if broker.base_url else None)
