"""Fixtures for the service tests; the wiring itself is in `services_lab`."""

from collections.abc import Iterator

import pytest

from tests.services.services_lab import Lab, build_lab


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield build_lab()
