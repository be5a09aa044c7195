"""In-process TracSeq: the six real apps wired to each other through FastAPI TestClients.

Each service's outgoing client is the real typed client, handed a `TestClient` of the real provider app as
its httpx client, so unit tests exercise every rule end to end without sockets. `UNREACHABLE` is a URL no
one listens on, for the "provider down" cases.
"""

from dataclasses import dataclass

from fastapi.testclient import TestClient

from services.event import EventSettings, EventStore, Subscription
from services.event import create_app as event_app
from services.gateway import create_app as gateway_app
from services.gateway.clients import SampleClient
from services.notification import HANDLED_EVENT_TYPES, NotificationStore
from services.notification import create_app as notification_app
from services.sample import SampleStore
from services.sample import create_app as sample_app
from services.sample.clients import SequencingClient, StorageClient
from services.sequencing import SequencingStore
from services.sequencing import create_app as sequencing_app
from services.sequencing.clients import NotificationClient
from services.storage import StorageSettings, StorageStore
from services.storage import create_app as storage_app
from services.storage.clients import EventClient

UNREACHABLE = "http://127.0.0.1:1"


@dataclass
class Lab:
    event: TestClient
    notification: TestClient
    storage: TestClient
    sequencing: TestClient
    sample: TestClient
    gateway: TestClient
    events: EventStore
    notifications: NotificationStore
    freezers: StorageStore
    jobs: SequencingStore
    samples: SampleStore


def build_lab(storage_settings: StorageSettings | None = None) -> Lab:
    notifications = NotificationStore()
    notification = TestClient(notification_app(store=notifications))
    events = EventStore()
    subscription = Subscription(url="http://notification/event-messages", types=sorted(HANDLED_EVENT_TYPES))
    event = TestClient(
        event_app(EventSettings(subscribers=[subscription]), store=events, subscriber_http=notification)
    )
    storage_settings = storage_settings or StorageSettings()
    freezers = StorageStore(
        storage_settings.racks_per_freezer, storage_settings.rack_rows, storage_settings.rack_columns
    )
    storage = TestClient(
        storage_app(storage_settings, store=freezers, events=EventClient("http://event", http=event))
    )
    jobs = SequencingStore()
    sequencing = TestClient(
        sequencing_app(store=jobs, notifications=NotificationClient("http://notification", http=notification))
    )
    samples = SampleStore()
    sample = TestClient(
        sample_app(
            store=samples,
            storage=StorageClient("http://storage", http=storage),
            sequencing=SequencingClient("http://sequencing", http=sequencing),
        )
    )
    gateway = TestClient(gateway_app(samples=SampleClient("http://sample", http=sample)))
    return Lab(
        event,
        notification,
        storage,
        sequencing,
        sample,
        gateway,
        events,
        notifications,
        freezers,
        jobs,
        samples,
    )


DNA = {
    "sample_type": "DNA",
    "volume_ul": 50,
    "concentration_ng_ul": 25.5,
    "submitter": "ada@lab.example",
    "project": "PRJ-ONCO-01",
}
