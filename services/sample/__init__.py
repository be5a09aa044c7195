"""Sample service: the life of a sample from the reception desk to the sequencer.

Statuses: `received → validated → stored → queued_for_sequencing → sequenced`, with the exits `failed_qc`
and `discarded`. Allowed moves (anything else is 409 naming the sample, both statuses and what is allowed):
    received               → validated, failed_qc, discarded
    validated              → stored, failed_qc, discarded
    stored                 → queued_for_sequencing, discarded
    queued_for_sequencing  → sequenced, failed_qc, discarded
    sequenced, failed_qc   → discarded

Endpoints:
    POST /samples                        register {barcode?, sample_type, volume_ul, concentration_ng_ul?,
                                         submitter, project} → 201 Sample (status received; a barcode
                                         `TS-<year>-<6 digits>` is assigned when none is given; 409 if taken)
    GET  /samples?status=&project=&barcode=   list, oldest first
    GET  /samples/{id}                   one sample (404 if unknown)
    POST /samples/{id}/validate          QC against the limits of its type: → validated, or → failed_qc with
                                         the reasons in `qc_failures` (200 either way)
    POST /samples/{id}/store             {temperature_c?} (default per type) → stored; asks storage for a
                                         position (storage's 409 "zone full" is passed on as 409)
    POST /samples/{id}/sequence          {platform, read_length, paired_end} → queued_for_sequencing; asks
                                         sequencing for a job (its 422 on platform rules is passed on)
    POST /samples/{id}/transitions       {status: failed_qc | discarded | sequenced, reason?}
                                         `sequenced` only once the sample's job has completed (asked of
                                         sequencing); `discarded` releases the storage position first
    GET  /health                         liveness

A call to storage or sequencing that fails leaves the sample exactly as it was: 409/422 for their
refusals, 503 when they cannot be reached.

QC limits (volume µL; concentration ng/µL, required for DNA and RNA):
    DNA 10–1000, 1–1000 · RNA 10–500, 5–3000 · blood 200–10000 · tissue 10–2000 · saliva 500–5000
Default storage temperature: DNA −20, RNA −80, blood 4, tissue −80, saliva 20 (room temperature).
"""

from services.sample.app import create_app
from services.sample.models import NewSample, Sample, SampleStatus, SampleType
from services.sample.settings import SampleSettings
from services.sample.store import SampleStore

__all__ = ["NewSample", "Sample", "SampleSettings", "SampleStatus", "SampleStore", "SampleType", "create_app"]
