"""The HAL helpers every response goes through: the JSON bytes, URL quoting and timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from broker.api.hal import HalResponse, Urls, timestamp


def test_hal_body_is_compact_utf8_json() -> None:
    body = {"name": "Probe é/ü", "n": 1.5, "none": None, "list": [1, True], "nested": {"k": "v"}}
    raw = HalResponse(body).body
    assert raw == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert HalResponse(body).media_type == "application/hal+json;charset=utf-8"


def test_integers_beyond_64_bits_in_a_pact_are_served_exactly() -> None:
    # A consumer's pact may hold any JSON number; the fast encoder refuses these, the fallback keeps them.
    body = {"contents": {"id": 10**30, "negative": -(2**70)}}
    assert json.loads(HalResponse(body).body) == body


def test_url_segments_are_quoted_each_on_its_own() -> None:
    urls = Urls("http://broker")
    assert urls.version("Sample Service", "1.0/beta+x") == (
        "http://broker/pacticipants/Sample%20Service/versions/1.0%2Fbeta%2Bx"
    )


def test_timestamps_are_utc_with_an_offset_whatever_the_input() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5, 678)
    assert timestamp(naive) == "2026-01-02T03:04:05+00:00"
    cet = datetime(2026, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    assert timestamp(cet) == "2026-01-02T03:04:05+00:00"
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05+00:00"
    assert timestamp(None) is None
