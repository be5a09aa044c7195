"""The sequencing service tells a job's requester by email when the job completes or fails.

It needs the notification service to accept the two templates it uses with the data it sends, and to
refuse (422) what it cannot deliver, which sequencing turns into "job unchanged" (503).
"""

from collections.abc import Callable

import pytest
from pact import Pact, match

from consumer_tests._wire import JSON, invalid_input, plain_http
from services.common.errors import Unprocessable
from services.sequencing.clients import NotificationClient

PactMaker = Callable[[str, str], Pact]


def _sent(example_id: str) -> dict[str, object]:
    # Sequencing reads only the delivery's id and status; "delivered" is the only status a send can have.
    return {"id": match.str(example_id), "status": "delivered"}


def test_a_completed_job_is_announced_to_its_requester(pact: PactMaker) -> None:
    p = pact("sequencing", "notification")
    data = {"job_id": "job-000000000001", "sample_ids": ["S-1", "S-2"], "platform": "NovaSeq"}
    (
        p.upon_receiving("a request to email that a sequencing job completed")
        .given("the notification template exists", template="sequencing_completed")
        .with_request("POST", "/notifications")
        .with_body(
            {
                "channel": "email",
                "recipient": "ada@lab.example",
                "template": "sequencing_completed",
                "data": data,
            },
            content_type=JSON,
        )
        .will_respond_with(201)
        .with_body(_sent("ntf-000000000001"), content_type=JSON)
    )
    with p.serve() as srv, NotificationClient(str(srv.url), transport=plain_http()) as client:
        sent = client.send("email", "ada@lab.example", "sequencing_completed", data)
    assert sent.id == "ntf-000000000001"
    assert sent.status == "delivered"


def test_a_failed_job_is_announced_with_its_reason(pact: PactMaker) -> None:
    p = pact("sequencing", "notification")
    data = {"job_id": "job-000000000002", "sample_ids": ["S-3"], "reason": "library prep failed"}
    (
        p.upon_receiving("a request to email that a sequencing job failed")
        .given("the notification template exists", template="sequencing_failed")
        .with_request("POST", "/notifications")
        .with_body(
            {
                "channel": "email",
                "recipient": "ada@lab.example",
                "template": "sequencing_failed",
                "data": data,
            },
            content_type=JSON,
        )
        .will_respond_with(201)
        .with_body(_sent("ntf-000000000002"), content_type=JSON)
    )
    with p.serve() as srv, NotificationClient(str(srv.url), transport=plain_http()) as client:
        sent = client.send("email", "ada@lab.example", "sequencing_failed", data)
    assert sent.status == "delivered"


def test_a_recipient_that_is_not_an_email_address_is_refused(pact: PactMaker) -> None:
    p = pact("sequencing", "notification")
    data = {"job_id": "job-000000000003", "sample_ids": ["S-4"], "platform": "MiSeq"}
    (
        p.upon_receiving("a request to email a recipient that is not an email address")
        .given("the notification template exists", template="sequencing_completed")
        .with_request("POST", "/notifications")
        .with_body(
            {"channel": "email", "recipient": "ada", "template": "sequencing_completed", "data": data},
            content_type=JSON,
        )
        .will_respond_with(422)
        .with_body(
            invalid_input("recipient", "an email recipient must be an email address like ada@lab.example"),
            content_type=JSON,
        )
    )
    with (
        p.serve() as srv,
        NotificationClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(Unprocessable) as refused,
    ):
        client.send("email", "ada", "sequencing_completed", data)
    assert refused.value.upstream_status == 422
    assert "recipient" in refused.value.message
