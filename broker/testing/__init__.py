"""Test support shipped with the broker: the fluent test-data builder."""

from broker.testing.builder import TestDataBuilder, pact_content
from broker.testing.live import LiveBroker

__all__ = ["LiveBroker", "TestDataBuilder", "pact_content"]
