"""Sequencing service: sequencing jobs for one or more samples, and their lifecycle.

Lifecycle: `queued → running → completed | failed` (a queued job may also fail, e.g. library prep).
Completion and failure notify the requester by email through the notification service *before* they take
effect: if notification cannot be reached the request fails with 503 and the job keeps its status.

Endpoints:
    POST /jobs                       {sample_ids, platform, read_length, paired_end, requested_by} → 201 Job
    GET  /jobs?status=&sample_id=    list jobs, oldest first
    GET  /jobs/{id}                  one job (404 if unknown)
    POST /jobs/{id}/start            queued → running
    POST /jobs/{id}/complete         running → completed; body optional {output_uri}
    POST /jobs/{id}/fail             queued|running → failed; body {reason}
    GET  /health                     liveness
An illegal transition is 409 naming the job, its status and the refused transition.

Platforms and read lengths (bp): NovaSeq 50–250, MiSeq 25–300, NextSeq 50–150 (all may be paired-end);
ONT 1000–100000, single reads only.

How a sample becomes `sequenced`: this service does not call the sample service back. The operator (or
the LIMS) asks the sample service for the `sequenced` transition, and the sample service checks here that
the sample's job has completed (`GET /jobs/{id}`).
"""

from services.sequencing.app import create_app
from services.sequencing.models import Job, JobStatus, NewJob, Platform
from services.sequencing.settings import SequencingSettings
from services.sequencing.store import SequencingStore

__all__ = ["Job", "JobStatus", "NewJob", "Platform", "SequencingSettings", "SequencingStore", "create_app"]
