"""What every kind of broker the fixture can hand out must do: answer its heartbeat and keep a pact."""

from __future__ import annotations

import uuid

import httpx

HEARTBEAT = "/diagnostic/status/heartbeat"


def sample_pact(consumer: str, provider: str) -> dict[str, object]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "description": "a request for sample S-1",
                "providerState": "sample S-1 exists",
                "request": {"method": "GET", "path": "/samples/S-1"},
                "response": {"status": 200, "body": {"id": "S-1", "status": "registered"}},
            }
        ],
        "metadata": {"pactSpecification": {"version": "2.0.0"}},
    }


def assert_accepts_a_publish(base_url: str) -> None:
    """PUT a pact the classic way, then read it back as the latest pact between the two."""
    suffix = uuid.uuid4().hex[:8]  # an external broker may be shared: names of our own
    consumer, provider = f"fixture-consumer-{suffix}", f"fixture-provider-{suffix}"
    pact = sample_pact(consumer, provider)
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get(HEARTBEAT).status_code == 200
        published = client.put(f"/pacts/provider/{provider}/consumer/{consumer}/version/1.0.0", json=pact)
        assert published.status_code in (200, 201), published.text
        latest = client.get(f"/pacts/provider/{provider}/consumer/{consumer}/latest")
        assert latest.status_code == 200, latest.text
        body = latest.json()
        assert body["consumer"]["name"] == consumer
        assert body["interactions"][0]["description"] == "a request for sample S-1"
