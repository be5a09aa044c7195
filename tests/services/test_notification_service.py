"""Notification service through its ASGI app, and its event-message handler as a plain function."""

import pytest

from services.notification import NotificationStore, UnhandledMessage, handle_event
from tests.services.services_lab import Lab

COMPLETED = {
    "channel": "email",
    "recipient": "ada@lab.example",
    "template": "sequencing_completed",
    "data": {"job_id": "job-1", "sample_ids": ["smp-1", "smp-2"], "platform": "NovaSeq"},
}


def test_sends_and_logs_a_rendered_notification(lab: Lab) -> None:
    response = lab.notification.post("/notifications", json=COMPLETED)
    assert response.status_code == 201
    delivery = response.json()
    assert delivery["id"].startswith("ntf-")
    assert delivery["status"] == "delivered"
    assert delivery["subject"] == "Sequencing job job-1 completed"
    assert delivery["body"] == "Job job-1 on NovaSeq finished for samples smp-1, smp-2."
    assert lab.notification.get(f"/notifications/{delivery['id']}").json() == delivery


def test_log_is_queried_by_recipient_and_template(lab: Lab) -> None:
    lab.notification.post("/notifications", json=COMPLETED)
    lab.notification.post("/notifications", json={**COMPLETED, "recipient": "bob@lab.example"})
    by_ada = lab.notification.get("/notifications", params={"recipient": "ada@lab.example"}).json()
    assert [d["recipient"] for d in by_ada] == ["ada@lab.example"]
    assert (
        len(lab.notification.get("/notifications", params={"template": "sequencing_completed"}).json()) == 2
    )
    assert lab.notification.get("/notifications", params={"template": "sample_stored"}).json() == []


def test_unknown_template_is_422_naming_the_known_ones(lab: Lab) -> None:
    response = lab.notification.post("/notifications", json={**COMPLETED, "template": "birthday"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("template: unknown template 'birthday'; known templates: ")
    assert "sequencing_completed" in detail
    assert lab.notifications.list() == []


def test_unknown_channel_is_422(lab: Lab) -> None:
    response = lab.notification.post("/notifications", json={**COMPLETED, "channel": "pigeon"})
    assert response.status_code == 422
    assert response.json()["detail"] == "channel: Input should be 'email', 'slack' or 'sms'"


@pytest.mark.parametrize(
    ("channel", "recipient"),
    [("email", "not-an-address"), ("slack", "lab-ops"), ("sms", "0123")],
)
def test_recipient_must_fit_the_channel(lab: Lab, channel: str, recipient: str) -> None:
    response = lab.notification.post(
        "/notifications", json={**COMPLETED, "channel": channel, "recipient": recipient}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"recipient: a {channel} recipient must be")


def test_template_data_must_have_the_keys_the_template_needs(lab: Lab) -> None:
    response = lab.notification.post("/notifications", json={**COMPLETED, "data": {"job_id": "job-1"}})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "data: template 'sequencing_completed' needs data keys job_id, sample_ids, platform; "
        "missing: sample_ids, platform"
    )


def test_unknown_delivery_is_404(lab: Lab) -> None:
    assert lab.notification.get("/notifications/ntf-nope").status_code == 404


def test_templates_are_listed_with_their_keys(lab: Lab) -> None:
    templates = {t["name"]: t["required_data"] for t in lab.notification.get("/templates").json()}
    assert templates["sample_stored"] == ["sample_id", "location_id", "temperature_c"]


def test_handle_event_turns_sample_stored_into_a_lab_channel_message() -> None:
    store = NotificationStore()
    message = {
        "id": "evt-1",
        "type": "sample.stored",
        "source": "storage",
        "payload": {"sample_id": "smp-1", "location_id": "FRZ80-1-R1-A1", "temperature_c": -80},
        "timestamp": "2026-03-01T10:00:00Z",
    }
    delivery = handle_event(message, store)
    assert (delivery.channel, delivery.recipient, delivery.template) == ("slack", "#lab-ops", "sample_stored")
    assert delivery.body == "Sample smp-1 is stored at FRZ80-1-R1-A1 (-80 °C)."
    assert delivery.source_event_id == "evt-1"
    assert store.list() == [delivery]


def test_handle_event_turns_sequencing_completed_into_an_email_to_the_requester() -> None:
    message = {
        "type": "sequencing.completed",
        "payload": {
            "job_id": "job-9",
            "sample_ids": ["smp-1"],
            "platform": "MiSeq",
            "requested_by": "ada@lab.example",
        },
    }
    delivery = handle_event(message)
    assert (delivery.channel, delivery.recipient) == ("email", "ada@lab.example")
    assert delivery.subject == "Sequencing job job-9 completed"


def test_handle_event_refuses_a_type_it_does_not_handle() -> None:
    with pytest.raises(
        UnhandledMessage, match=r"cannot handle event type 'sample.registered'; handled types:"
    ):
        handle_event({"type": "sample.registered", "payload": {}})


def test_handle_event_names_the_missing_payload_field() -> None:
    with pytest.raises(UnhandledMessage, match=r"^sample.stored message lacks payload.location_id$"):
        handle_event({"type": "sample.stored", "payload": {"sample_id": "smp-1", "temperature_c": -80}})


def test_handle_event_refuses_something_that_is_not_an_event() -> None:
    with pytest.raises(UnhandledMessage, match=r"not an event message: type: Field required"):
        handle_event({"payload": {}})


def test_event_message_inbox_records_or_refuses(lab: Lab) -> None:
    ok = lab.notification.post(
        "/event-messages",
        json={"type": "storage.released", "payload": {"sample_id": "smp-1", "location_id": "FRG04-1-R1-A1"}},
    )
    assert ok.status_code == 201
    assert ok.json()["template"] == "sample_released"
    refused = lab.notification.post("/event-messages", json={"type": "nope.nope", "payload": {}})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("cannot handle event type 'nope.nope'")
    assert [d.template for d in lab.notifications.list()] == ["sample_released"]
