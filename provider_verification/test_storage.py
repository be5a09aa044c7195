"""The storage service honours its HTTP consumer: sample (allocating and releasing positions).

Storage announces every allocation and release to the event service before it takes effect; that call is
storage's own business, not part of this contract, so the app under test is wired to a real event service
started for the run.
"""

from collections.abc import Callable
from typing import Any

from contracts.verification import ProviderVerification
from provider_verification._pacts import PactSource
from services.event import EventSettings
from services.event import create_app as create_event
from services.runner import serve
from services.storage import StorageSettings, StorageStore, create_app


def storage_verification(event_url: str) -> ProviderVerification:
    verification = ProviderVerification(
        "storage", app_factory=lambda: create_app(StorageSettings(event_url=event_url))
    )

    def freezers() -> StorageStore:
        store: StorageStore = verification.app.state.store
        return store

    @verification.state("the storage zone has free positions")
    def zone_has_room(parameters: dict[str, Any]) -> Callable[[], None]:
        freezers().reset()  # the default layout: every zone empty
        return freezers().reset

    @verification.state("the storage zone is full")
    def zone_full(parameters: dict[str, Any]) -> Callable[[], None]:
        freezers().reset()
        freezers().fill_zone(int(parameters["temperature_c"]))
        return freezers().reset

    @verification.state("a sample is stored")
    def sample_stored(parameters: dict[str, Any]) -> Callable[[], None]:
        freezers().reset()
        freezers().put(parameters["sample_id"], parameters["location_id"])
        return freezers().reset

    @verification.state("no sample is stored")
    def nothing_stored(parameters: dict[str, Any]) -> None:
        freezers().reset()

    return verification


def test_storage_honours_sample(pact_source: PactSource) -> None:
    with serve(create_event(EventSettings())) as event_url:
        result = pact_source.verify(storage_verification(event_url), consumers=["sample"])
    assert result.success, result.report()
