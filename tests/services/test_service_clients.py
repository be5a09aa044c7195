"""The typed clients against the real provider apps over real HTTP (uvicorn on free ports)."""

from collections.abc import Iterator

import pytest

from services.common.errors import Conflict, NotFound, Unavailable, Unprocessable
from services.event.clients import SubscriberClient
from services.gateway.clients import NewSample, Sample, SampleClient
from services.runner import Platform, run_all, serve
from services.sample import create_app as sample_app
from services.sample.clients import SequencingClient, SequencingJob, StorageClient, StorageLocation
from services.sequencing.clients import NotificationClient, SentNotification
from services.storage.clients import EventClient, PublishedEvent
from tests.services.services_lab import DNA, UNREACHABLE


@pytest.fixture(scope="module")
def running() -> Iterator[Platform]:
    with run_all() as platform:
        yield platform


@pytest.fixture
def platform(running: Platform) -> Platform:
    for name in ("sample", "storage", "sequencing", "notification", "event"):
        running.store(name).reset()
    return running


@pytest.fixture
def samples(platform: Platform) -> Iterator[SampleClient]:
    with SampleClient(platform.urls["sample"]) as client:
        yield client


def new_sample(**changes: object) -> NewSample:
    return NewSample.model_validate({**DNA, **changes})


class TestSampleClient:
    def test_walks_a_sample_through_its_life(self, samples: SampleClient, platform: Platform) -> None:
        sample = samples.register(new_sample(barcode="TS-2026-000123"))
        assert isinstance(sample, Sample)
        assert (sample.barcode, sample.status) == ("TS-2026-000123", "received")
        assert samples.get(sample.id) == sample
        assert samples.validate(sample.id).status == "validated"
        stored = samples.store(sample.id, temperature_c=-80)
        assert (stored.status, stored.location_id, stored.temperature_c) == ("stored", "FRZ80-1-R1-A1", -80)
        queued = samples.sequence(sample.id, "NovaSeq", 150, paired_end=True)
        assert queued.status == "queued_for_sequencing"
        assert queued.sequencing_job_id is not None
        with SequencingClient(platform.urls["sequencing"]) as sequencing:
            assert sequencing.get_job(queued.sequencing_job_id).status == "queued"
        assert [s.id for s in samples.list_samples(status="queued_for_sequencing")] == [sample.id]
        discarded = samples.transition(sample.id, "discarded", reason="duplicate")
        assert (discarded.status, discarded.location_id) == ("discarded", None)

    def test_store_without_temperature_uses_the_type_default(self, samples: SampleClient) -> None:
        sample = samples.register(new_sample(sample_type="RNA", concentration_ng_ul=100))
        samples.validate(sample.id)
        assert samples.store(sample.id).temperature_c == -80

    def test_unknown_sample_raises_not_found(self, samples: SampleClient) -> None:
        with pytest.raises(NotFound) as caught:
            samples.get("smp-nope")
        assert caught.value.message == "sample 'smp-nope' not found"
        assert caught.value.upstream_status == 404

    def test_illegal_transition_raises_conflict(self, samples: SampleClient) -> None:
        sample = samples.register(new_sample())
        with pytest.raises(Conflict, match=r"from received to sequenced"):
            samples.transition(sample.id, "sequenced")

    def test_invalid_registration_raises_unprocessable_naming_the_field(self, samples: SampleClient) -> None:
        with pytest.raises(Unprocessable) as caught:
            samples.register(new_sample(volume_ul=-1))
        assert caught.value.message == "volume_ul: Input should be greater than 0"
        assert caught.value.body["errors"][0]["field"] == "volume_ul"

    def test_unknown_status_filter_raises_unprocessable(self, samples: SampleClient) -> None:
        with pytest.raises(Unprocessable, match=r"^query.status: "):
            samples.list_samples(status="lost")

    def test_a_503_from_the_sample_service_raises_unavailable(self) -> None:
        app = sample_app(storage=StorageClient(UNREACHABLE), sequencing=SequencingClient(UNREACHABLE))
        with serve(app) as url, SampleClient(url) as client:
            sample = client.register(new_sample())
            client.validate(sample.id)
            with pytest.raises(Unavailable) as caught:
                client.store(sample.id)
            assert caught.value.upstream_status == 503
            assert "storage unavailable" in caught.value.message
            assert client.get(sample.id).status == "validated"

    def test_an_unreachable_service_raises_unavailable(self) -> None:
        with SampleClient(UNREACHABLE) as client, pytest.raises(Unavailable) as caught:
            client.get("smp-1")
        assert caught.value.upstream_status is None
        assert caught.value.message.startswith(f"sample service unreachable at {UNREACHABLE}: ConnectError")


class TestStorageClient:
    def test_allocates_and_releases(self, platform: Platform) -> None:
        with StorageClient(platform.urls["storage"]) as storage:
            location = storage.allocate("smp-1", temperature_c=4)
            assert location == StorageLocation(id="FRG04-1-R1-A1", temperature_c=4)
            assert platform.store("storage").location_of("smp-1").id == location.id
            assert storage.release("smp-1") is None
            assert platform.store("storage").location_of("smp-1") is None

    def test_allocation_is_idempotent_within_a_zone(self, platform: Platform) -> None:
        with StorageClient(platform.urls["storage"]) as storage:
            first = storage.allocate("smp-1", temperature_c=4)
            assert storage.allocate("smp-1", temperature_c=4) == first
            with pytest.raises(
                Conflict, match=r"^sample 'smp-1' is already stored at FRG04-1-R1-A1 \(4 °C\)$"
            ):
                storage.allocate("smp-1", temperature_c=-80)

    def test_a_full_zone_raises_conflict(self, platform: Platform) -> None:
        platform.store("storage").fill_zone(-80)
        with (
            StorageClient(platform.urls["storage"]) as storage,
            pytest.raises(Conflict, match=r"zone is full"),
        ):
            storage.allocate("smp-1", temperature_c=-80)

    def test_releasing_nothing_raises_not_found(self, platform: Platform) -> None:
        with StorageClient(platform.urls["storage"]) as storage, pytest.raises(NotFound):
            storage.release("smp-nope")

    def test_an_unknown_temperature_raises_unprocessable(self, platform: Platform) -> None:
        with StorageClient(platform.urls["storage"]) as storage, pytest.raises(Unprocessable) as caught:
            storage.allocate("smp-1", temperature_c=-70)
        assert caught.value.message == "temperature_c: Input should be -80, -20, 4 or 20"


class TestSequencingClient:
    def test_creates_and_reads_a_job(self, platform: Platform) -> None:
        with SequencingClient(platform.urls["sequencing"]) as sequencing:
            job = sequencing.create_job(["smp-1", "smp-2"], "MiSeq", 300, True, "ada@lab.example")
            assert isinstance(job, SequencingJob)
            assert (job.status, job.sample_ids) == ("queued", ["smp-1", "smp-2"])
            assert sequencing.get_job(job.id) == job

    def test_platform_rules_raise_unprocessable(self, platform: Platform) -> None:
        with (
            SequencingClient(platform.urls["sequencing"]) as sequencing,
            pytest.raises(Unprocessable) as caught,
        ):
            sequencing.create_job(["smp-1"], "NextSeq", 300, False, "ada@lab.example")
        assert caught.value.message == "read_length: NextSeq read length must be between 50 and 150, got 300"

    def test_unknown_job_raises_not_found(self, platform: Platform) -> None:
        with SequencingClient(platform.urls["sequencing"]) as sequencing, pytest.raises(NotFound):
            sequencing.get_job("job-nope")


class TestEventClient:
    def test_publishes_an_event(self, platform: Platform) -> None:
        with EventClient(platform.urls["event"]) as events:
            published = events.publish("sample.stored", "storage", {"sample_id": "smp-1"})
        assert isinstance(published, PublishedEvent)
        assert published.type == "sample.stored"
        [event] = platform.store("event").list()
        assert (event.id, event.payload) == (published.id, {"sample_id": "smp-1"})

    def test_a_malformed_type_raises_unprocessable(self, platform: Platform) -> None:
        with EventClient(platform.urls["event"]) as events, pytest.raises(Unprocessable, match=r"^type: "):
            events.publish("SampleStored", "storage", {})


class TestNotificationClient:
    def test_sends_a_notification(self, platform: Platform) -> None:
        data = {"job_id": "job-1", "sample_ids": ["smp-1"], "platform": "ONT"}
        with NotificationClient(platform.urls["notification"]) as notifications:
            sent = notifications.send("email", "ada@lab.example", "sequencing_completed", data)
        assert isinstance(sent, SentNotification)
        assert sent.status == "delivered"
        assert platform.store("notification").get(sent.id).recipient == "ada@lab.example"

    def test_an_unknown_template_raises_unprocessable(self, platform: Platform) -> None:
        with (
            NotificationClient(platform.urls["notification"]) as notifications,
            pytest.raises(Unprocessable, match=r"^template: unknown template 'hello'"),
        ):
            notifications.send("sms", "+441234567890", "hello", {})


class TestSubscriberClient:
    def test_delivers_to_the_notification_inbox(self, platform: Platform) -> None:
        message = {
            "type": "storage.released",
            "payload": {"sample_id": "smp-1", "location_id": "SHELF-1-R1-A1"},
        }
        with SubscriberClient(platform.urls["notification"] + "/event-messages") as inbox:
            inbox.deliver(message)
            with pytest.raises(Unprocessable, match=r"cannot handle event type 'x.y'"):
                inbox.deliver({"type": "x.y", "payload": {}})
        assert [d.template for d in platform.store("notification").list()] == ["sample_released"]
