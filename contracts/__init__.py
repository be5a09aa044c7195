"""TracSeq Contracts: consumer-driven contract testing for the TracSeq platform.

The public API of the framework (the pytest fixtures `pact` and `pact_factory` come with the plugin):

    from contracts import BrokerClient, ProviderVerification, detect_version

Names are imported on first use, so loading the pytest plugins does not pull in the Pact core or uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.broker_client import BrokerClient, BrokerError, CanIDeployResult, MatrixRow, PublishResult
    from contracts.pipeline import Pipeline, PipelineResult
    from contracts.testing import RunningBroker, broker_url, running_broker
    from contracts.verification import (
        ProviderVerification,
        VerificationFailed,
        VerificationResult,
    )
    from contracts.versioning import VersionDetectionError, VersionInfo, detect_version

_HOMES = {
    "BrokerClient": "contracts.broker_client",
    "BrokerError": "contracts.broker_client",
    "CanIDeployResult": "contracts.broker_client",
    "MatrixRow": "contracts.broker_client",
    "PublishResult": "contracts.broker_client",
    "Pipeline": "contracts.pipeline",
    "PipelineResult": "contracts.pipeline",
    "ProviderVerification": "contracts.verification",
    "RunningBroker": "contracts.testing",
    "broker_url": "contracts.testing",
    "running_broker": "contracts.testing",
    "VerificationFailed": "contracts.verification",
    "VerificationResult": "contracts.verification",
    "VersionDetectionError": "contracts.versioning",
    "VersionInfo": "contracts.versioning",
    "detect_version": "contracts.versioning",
}

__all__ = [
    "BrokerClient",
    "BrokerError",
    "CanIDeployResult",
    "MatrixRow",
    "Pipeline",
    "PipelineResult",
    "ProviderVerification",
    "PublishResult",
    "RunningBroker",
    "VerificationFailed",
    "VerificationResult",
    "VersionDetectionError",
    "VersionInfo",
    "broker_url",
    "detect_version",
    "running_broker",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
