"""The sample service asks sequencing for a job when a sample is sent to the sequencer, and asks again about
that job before it lets the sample become `sequenced` (only a completed job will do).

It reads a job's id, status and sample ids; it passes sequencing's 422 (a read set-up the platform refuses)
on to its own caller, and a 404 for the job means the sample cannot become sequenced.
"""

from collections.abc import Callable

import pytest
from pact import Pact, match

from consumer_tests._wire import JSON, one_of, plain_http, refusal
from services.common.errors import NotFound, Unprocessable
from services.sample.clients import SequencingClient

PactMaker = Callable[[str, str], Pact]
JOB_ID = r"^job-[0-9a-f]{12}$"


def test_a_job_is_created_for_a_sample(pact: PactMaker) -> None:
    p = pact("sample", "sequencing")
    (
        p.upon_receiving("a request to sequence one sample")
        .with_request("POST", "/jobs")
        .with_body(
            {
                "sample_ids": ["smp-000000000001"],
                "platform": "NovaSeq",
                "read_length": 150,
                "paired_end": True,
                "requested_by": "ada@lab.example",
            },
            content_type=JSON,
        )
        .will_respond_with(201)
        .with_body(
            {
                "id": match.regex("job-0123456789ab", regex=JOB_ID),
                "status": "queued",
                "sample_ids": ["smp-000000000001"],
            },
            content_type=JSON,
        )
    )
    with p.serve() as srv, SequencingClient(str(srv.url), transport=plain_http()) as client:
        job = client.create_job(["smp-000000000001"], "NovaSeq", 150, True, "ada@lab.example")
    assert job.id == "job-0123456789ab"
    assert job.status == "queued"
    assert job.sample_ids == ["smp-000000000001"]


def test_a_read_set_up_the_platform_cannot_do_is_refused(pact: PactMaker) -> None:
    p = pact("sample", "sequencing")
    (
        p.upon_receiving("a request for paired-end reads on a platform that reads single strands only")
        .with_request("POST", "/jobs")
        .with_body(
            {
                "sample_ids": ["smp-000000000002"],
                "platform": "ONT",
                "read_length": 5000,
                "paired_end": True,
                "requested_by": "ada@lab.example",
            },
            content_type=JSON,
        )
        .will_respond_with(422)
        .with_body(refusal("paired_end: ONT does not support paired-end reads"), content_type=JSON)
    )
    with (
        p.serve() as srv,
        SequencingClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(Unprocessable) as refused,
    ):
        client.create_job(["smp-000000000002"], "ONT", 5000, True, "ada@lab.example")
    assert "paired-end" in refused.value.message


def test_a_completed_job_is_read(pact: PactMaker) -> None:
    p = pact("sample", "sequencing")
    (
        p.upon_receiving("a request for a completed sequencing job")
        .given("a sequencing job exists", id="job-00000000000c", status="completed", sample_ids=["S-7"])
        .with_request("GET", "/jobs/job-00000000000c")
        .will_respond_with(200)
        # The exact status matters here: only `completed` lets the sample become sequenced.
        .with_body(
            {"id": "job-00000000000c", "status": "completed", "sample_ids": match.each_like("S-7")},
            content_type=JSON,
        )
    )
    with p.serve() as srv, SequencingClient(str(srv.url), transport=plain_http()) as client:
        job = client.get_job("job-00000000000c")
    assert job.status == "completed"
    assert job.sample_ids == ["S-7"]


def test_a_running_job_is_read(pact: PactMaker) -> None:
    p = pact("sample", "sequencing")
    (
        p.upon_receiving("a request for a sequencing job still running")
        .given("a sequencing job exists", id="job-00000000000r", status="running", sample_ids=["S-8"])
        .with_request("GET", "/jobs/job-00000000000r")
        .will_respond_with(200)
        .with_body(
            {
                "id": "job-00000000000r",
                "status": one_of("running", "queued", "running", "failed"),
                "sample_ids": match.each_like("S-8"),
            },
            content_type=JSON,
        )
    )
    with p.serve() as srv, SequencingClient(str(srv.url), transport=plain_http()) as client:
        job = client.get_job("job-00000000000r")
    assert job.status != "completed"


def test_an_unknown_job_is_not_found(pact: PactMaker) -> None:
    p = pact("sample", "sequencing")
    (
        p.upon_receiving("a request for a sequencing job that does not exist")
        .given("no sequencing job exists", id="job-000000000404")
        .with_request("GET", "/jobs/job-000000000404")
        .will_respond_with(404)
        .with_body(refusal("sequencing job 'job-000000000404' not found"), content_type=JSON)
    )
    with (
        p.serve() as srv,
        SequencingClient(str(srv.url), transport=plain_http()) as client,
        pytest.raises(NotFound) as missing,
    ):
        client.get_job("job-000000000404")
    assert "job-000000000404" in missing.value.message
