"""The sample service honours its HTTP consumer: the gateway.

Storing, sequencing and discarding make the sample service call storage and sequencing. Those calls are its
own business, not part of the gateway's contract, so the app under test is wired to the real platform
(`services.runner.run_all`: storage, sequencing and the event and notification services behind them, each on
its own port); provider states that need the world beyond the sample table set it up in those services.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.verification import ProviderVerification
from provider_verification._pacts import PactSource
from services.runner import Platform, run_all
from services.sample import SampleSettings, SampleStore, create_app
from services.sequencing import Job, SequencingStore
from services.storage import StorageStore


def sample_verification(platform: Platform) -> ProviderVerification:
    verification = ProviderVerification(
        "sample",
        app_factory=lambda: create_app(
            SampleSettings(storage_url=platform.urls["storage"], sequencing_url=platform.urls["sequencing"])
        ),
    )

    def samples() -> SampleStore:
        store: SampleStore = verification.app.state.store
        return store

    def freezers() -> StorageStore:
        store: StorageStore = platform.store("storage")
        return store

    def jobs() -> SequencingStore:
        store: SequencingStore = platform.store("sequencing")
        return store

    def forget_everything() -> None:
        samples().reset()
        freezers().reset()
        jobs().reset()

    @verification.state("a sample exists")
    def sample_exists(parameters: dict[str, Any]) -> Callable[[], None]:
        seeded = samples().seed(**parameters)
        if seeded.location_id is not None:
            # A stored sample holds its position in storage too, so releasing it finds it there.
            freezers().put(seeded.id, seeded.location_id)
        return forget_everything

    @verification.state("no sample exists")
    def no_sample(parameters: dict[str, Any]) -> Callable[[], None]:
        samples().reset()
        return forget_everything

    @verification.state("no sample is registered with the barcode")
    def barcode_free(parameters: dict[str, Any]) -> Callable[[], None]:
        samples().reset()
        return forget_everything

    @verification.state("the storage zone is full")
    def zone_full(parameters: dict[str, Any]) -> Callable[[], None]:
        freezers().fill_zone(int(parameters["temperature_c"]))
        return forget_everything

    @verification.state("its sequencing job has completed")
    def job_completed(parameters: dict[str, Any]) -> Callable[[], None]:
        now = datetime.now(UTC)
        jobs().add(
            Job(
                id=parameters["job_id"],
                sample_ids=[parameters["sample_id"]],
                platform="NovaSeq",
                read_length=150,
                paired_end=True,
                requested_by="ada@lab.example",
                status="completed",
                created_at=now,
                started_at=now,
                finished_at=now,
                output_uri=f"s3://tracseq-runs/{parameters['job_id']}/",
            )
        )
        return forget_everything

    return verification


def test_sample_honours_gateway(pact_source: PactSource) -> None:
    with run_all() as platform:
        result = pact_source.verify(sample_verification(platform), consumers=["gateway"])
    assert result.success, result.report()
