"""The sequencing service honours its HTTP consumer: sample (creating jobs, reading a job's status).

Sequencing's own outgoing calls (emails through the notification service when a job finishes) are not part
of this contract, so the app under test is wired to a real notification service started for the run.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.verification import ProviderVerification
from provider_verification._pacts import PactSource
from services.notification import NotificationSettings
from services.notification import create_app as create_notification
from services.runner import serve
from services.sequencing import Job, SequencingSettings, SequencingStore, create_app


def sequencing_verification(notification_url: str) -> ProviderVerification:
    verification = ProviderVerification(
        "sequencing",
        app_factory=lambda: create_app(SequencingSettings(notification_url=notification_url)),
    )

    def jobs() -> SequencingStore:
        store: SequencingStore = verification.app.state.store
        return store

    @verification.state("a sequencing job exists")
    def job_exists(parameters: dict[str, Any]) -> Callable[[], None]:
        now = datetime.now(UTC)
        status = parameters.get("status", "queued")
        job = {
            "sample_ids": ["S-1"],
            "platform": "NovaSeq",
            "read_length": 150,
            "paired_end": True,
            "requested_by": "ada@lab.example",
            "created_at": now,
            "started_at": now if status in {"running", "completed"} else None,
            "finished_at": now if status in {"completed", "failed"} else None,
            **parameters,
        }
        jobs().add(Job.model_validate(job))
        return jobs().reset

    @verification.state("no sequencing job exists")
    def no_job(parameters: dict[str, Any]) -> None:
        jobs().reset()

    return verification


def test_sequencing_honours_sample(pact_source: PactSource) -> None:
    with serve(create_notification(NotificationSettings())) as notification_url:
        result = pact_source.verify(sequencing_verification(notification_url), consumers=["sample"])
    assert result.success, result.report()
